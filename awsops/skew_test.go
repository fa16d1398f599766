package awsops

import (
	"testing"
	"time"
)

// TestNextSkew: Date's whole seconds make one reading up to a second
// short; the kept skew ignores that jitter (the lab's clock never steps
// back a second between two answers) and follows any real change.
func TestNextSkew(t *testing.T) {
	s := time.Second
	steps := []struct{ seen, want time.Duration }{
		{-600 * time.Millisecond, 0}, // rounds to -1 s: jitter
		{-200 * time.Millisecond, 0},
		{4 * time.Hour, 4 * time.Hour}, // the sandbox's clock moved
		{4*time.Hour - 700*time.Millisecond, 4 * time.Hour},
		{4*time.Hour + 900*time.Millisecond, 4 * time.Hour},
		{4*time.Hour + 2*s, 4*time.Hour + 2*s},
		{-3 * s, -3 * s},
	}
	kept := time.Duration(0)
	for i, st := range steps {
		kept = nextSkew(kept, st.seen)
		if kept != st.want {
			t.Errorf("step %d: seen %s, kept %s, want %s", i, st.seen, kept, st.want)
		}
	}
}
