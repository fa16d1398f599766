package cli

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"ecr-vpce-lab/internal/testtool"
)

// Ctrl-C while a command waits for its input (up's or down's question, a
// policy or a refusal being pasted) ends the wait at once, with exit 130
// and nothing done. The command takes the signal's default action over
// while it runs, so a read left to itself waited for Enter or ctrl-d; at
// up's question the grace then ran out with a word about calls in flight
// that did not exist.
func TestCtrlCWhileReadingInput(t *testing.T) {
	t.Parallel()
	waiting := func(t *testing.T) (stdin *os.File, ctx context.Context, interrupt func()) {
		stdin, typing, err := os.Pipe() // a file, as a terminal is; a learner who types nothing
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close(); typing.Close() })
		ctx, interrupt = context.WithCancel(context.Background())
		t.Cleanup(interrupt)
		return stdin, ctx, interrupt
	}
	// explain on the sandbox: its lab is never opened, the read comes first.
	for _, args := range [][]string{{"policy", "check", "-"}, {"explain", "-", "--sandbox", "--state-dir", ""}} {
		t.Run(args[0], func(t *testing.T) {
			t.Parallel()
			stdin, ctx, interrupt := waiting(t)
			if args[len(args)-1] == "" {
				args[len(args)-1] = t.TempDir()
			}
			var out, errs testtool.SyncBuffer
			done := make(chan int, 1)
			go func() { done <- Run(ctx, args, stdin, &out, &errs) }()
			time.Sleep(100 * time.Millisecond)
			interrupt()
			select {
			case code := <-done:
				if code != 130 || !strings.Contains(errs.String(), "stopped while reading standard input: nothing was done") {
					t.Fatalf("%v: exit %d\n%s%s", args, code, out.String(), errs.String())
				}
			case <-time.After(10 * time.Second):
				stdin.Close() // the old code waits for the input to end
				t.Fatalf("%v: ctrl-c did not end the read of standard input", args)
			}
		})
	}
	t.Run("question", func(t *testing.T) {
		t.Parallel()
		stdin, ctx, interrupt := waiting(t)
		var errs testtool.SyncBuffer
		cmd := &cobra.Command{}
		cmd.SetContext(ctx)
		cmd.SetIn(stdin)
		cmd.SetErr(&errs)
		answer := make(chan bool, 1)
		go func() { answer <- askYes(cmd, "Go ahead?") }()
		time.Sleep(100 * time.Millisecond)
		interrupt()
		select {
		case yes := <-answer:
			if yes {
				t.Fatal("ctrl-c at the question was taken for a yes")
			}
		case <-time.After(10 * time.Second):
			stdin.Close()
			t.Fatal("ctrl-c at the question did not end it until the next line")
		}
	})
}
