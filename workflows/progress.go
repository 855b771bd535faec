package workflows

// ProgressQuery is the name of the query that returns a sweep's Progress.
const ProgressQuery = "progress"

// Progress tells a client how far a sweep has come.
type Progress struct {
	Phase string `json:"phase"` // import, sensitivity, gwp, front, generate, boards, report, done
	Done  int    `json:"done"`  // finished units of work over the whole sweep
	Total int    `json:"total"` // expected units of work; grows when phases are planned
	Note  string `json:"note,omitempty"`
}
