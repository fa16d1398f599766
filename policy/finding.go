package policy

import "fmt"

// Severity ranks a lint finding: errors make AWS reject the document (or make
// the lab meaningless); warnings are legal but almost certainly not meant.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Finding is one lint result, pinned to a place in the source so an editor can
// underline it and a learner can find it.
type Finding struct {
	Severity Severity `json:"severity"`
	// Path is a JSON path into the document, e.g. $.Statement[1].Action[0].
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
	// Rule is a stable identifier of the check, for tests and scripts.
	Rule string `json:"rule"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%d:%d %s %s", f.Line, f.Column, f.Severity, f.Message)
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}
