package dataset

import "fmt"

// checkFormatFields rejects spec fields that the format ignores, so that a typo in the format or
// a field meant for another one fails loudly instead of reading the data some other way.
func (s Spec) checkFormatFields() error {
	csvOnly := len(s.Columns) > 0 || s.LabelColumn != "" || len(s.TargetColumns) > 0 || s.Header != ""
	binOnly := s.DType != "" || s.Window != 0 || s.Stride != 0 || s.Scale != 0 || s.ZeroPoint != 0
	switch {
	case csvOnly && s.Format != "csv":
		return fmt.Errorf("dataset spec: header, columns, label_column and target_columns apply to format csv, not %q", s.Format)
	case binOnly && s.Format != "bin":
		return fmt.Errorf("dataset spec: dtype, window, stride, scale and zero_point apply to format bin, not %q", s.Format)
	case len(s.Shape) > 0 && s.Format != "bin" && s.Format != "csv":
		return fmt.Errorf("dataset spec: shape applies to formats bin and csv, not %q", s.Format)
	case s.Window < 0 || s.Stride < 0:
		return fmt.Errorf("dataset spec: window %d and stride %d must not be negative", s.Window, s.Stride)
	case s.Stride > 0 && s.Window == 0:
		return fmt.Errorf("dataset spec: stride %d without a window", s.Stride)
	}
	return nil
}
