package cli

import (
	"context"
	"io"
	"sync"

	"github.com/muesli/cancelreader"
	"github.com/spf13/cobra"

	"ecr-vpce-lab/internal/boundedread"
)

// cancelableInput wraps accessible mode's input so that a read still
// waiting for a line when the lab ends (ctrl-c at a question: the reader
// goes on in the background) ends with it. Left blocked, that read holds
// the terminal: the error's rendering asks the terminal its background
// colour through the same stdin, waits on the read forever, and the
// learner who pressed ctrl-c sees "Stopped." and a program that never
// exits. A blocking read of a terminal cannot be stopped in Go itself:
// cancelreader (charm's, already under bubbletea and lipgloss) waits in
// epoll/kqueue/select and reads only what is there. stop cancels the read
// and waits for it to end.
func cancelableInput(in io.Reader) (io.Reader, func()) {
	cr, err := cancelreader.NewReader(in)
	if err != nil {
		return in, func() {}
	}
	r := &stoppableReader{cr: cr}
	var once sync.Once
	return r, func() {
		once.Do(func() {
			// Only a read that the cancel really ends is waited for: a
			// reader that is no file (a test's) cannot be cancelled, and
			// waiting on it would hang.
			if cr.Cancel() {
				r.reading.Wait()
			}
			_ = cr.Close()
		})
	}
}

// interruptibleInput is in for a headless command's question or pasted
// text: a Ctrl-C (ctx ends) ends the read at once. The signal's default
// action is taken over while the command runs, so a read left to itself
// would wait for Enter or ctrl-d, and then go on to what the learner had
// just stopped. done lets go of in; call it once the reading is over.
func interruptibleInput(ctx context.Context, in io.Reader) (r io.Reader, done func()) {
	r, stop := cancelableInput(in)
	unwatch := context.AfterFunc(ctx, stop)
	return r, func() {
		unwatch()
		stop()
	}
}

// readStdin reads what is pasted or piped on standard input, up to limit
// bytes; a Ctrl-C ends it at once (see interruptibleInput).
func readStdin(cmd *cobra.Command, limit int64) ([]byte, error) {
	in, done := interruptibleInput(cmd.Context(), cmd.InOrStdin())
	defer done()
	return boundedread.Stream(in, "standard input", limit)
}

// stoppedReading is a command stopped while it waited for its input:
// nothing was read, so nothing happened.
func stoppedReading() error {
	return exitCode(130, "stopped while reading standard input: nothing was done")
}

// stoppableReader counts the reads in flight, so its stop knows when the
// last one has ended (none starts after the lab has returned).
type stoppableReader struct {
	cr      cancelreader.CancelReader
	reading sync.WaitGroup
}

func (r *stoppableReader) Read(p []byte) (int, error) {
	r.reading.Add(1)
	defer r.reading.Done()
	return r.cr.Read(p)
}
