package report

import (
	"net/url"
	"strings"
)

// DefaultUIAddress is where `tcdse up` serves the Temporal Web UI.
const DefaultUIAddress = "127.0.0.1:8233"

// WorkflowURL is the Temporal Web UI page of a workflow run; base is the UI's address
// (host:port or a URL). Empty when base or the workflow id is.
func WorkflowURL(base, namespace, workflowID, runID string) string {
	if base == "" || workflowID == "" {
		return ""
	}
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	if namespace == "" {
		namespace = "default"
	}
	u := strings.TrimRight(base, "/") + "/namespaces/" + url.PathEscape(namespace) + "/workflows/" + url.PathEscape(workflowID)
	if runID != "" {
		u += "/" + url.PathEscape(runID) + "/history"
	}
	return u
}
