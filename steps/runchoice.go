package steps

import "fmt"

// RunChoiceError says that the state file is gone and several runs of the
// lab were found by their tags, so someone has to say which one to carry
// on with: headless commands take --run, the wizard shows a list.
type RunChoiceError struct {
	Region string
	Runs   []RunSummary
}

func (e *RunChoiceError) Error() string {
	return fmt.Sprintf("there is no state file here and %d runs of the lab in %s: say which with --run ID", len(e.Runs), e.Region)
}
