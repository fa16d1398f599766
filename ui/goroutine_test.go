package ui

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
)

// The fuzzer tells a goroutine that waits from one that is only slow by
// what the runtime says it is doing, not by the clock: on two loaded cores
// under -race a goroutine can sit runnable for seconds without waiting on
// anything, and a clock bound would take that for a block.

// goid is the calling goroutine's id.
func goid() int64 {
	var buf [64]byte
	s := strings.TrimPrefix(string(buf[:runtime.Stack(buf[:], false)]), "goroutine ")
	id, _ := strconv.ParseInt(s[:strings.IndexByte(s, ' ')], 10, 64)
	return id
}

// goroutineState is the state runtime.Stack prints for goroutine id
// ("running", "runnable", "chan receive", "sleep", "sync.Mutex.Lock"…)
// and its stack; ok is false once it has ended.
func goroutineState(id int64) (state, stack string, ok bool) {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	head := []byte("goroutine " + strconv.FormatInt(id, 10) + " [")
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if !bytes.HasPrefix(g, head) {
			continue
		}
		st := string(g[len(head):])
		st = st[:strings.IndexAny(st, ",]")]
		return st, string(g), true
	}
	return "", "", false
}

// waitsOnSomething reports whether a goroutine in this state is parked
// waiting for another goroutine, a timer, a lock or the outside world, as
// opposed to running or waiting for a CPU (runnable, preempted, helping
// the garbage collector), which is all that load can cause.
func waitsOnSomething(state string) bool {
	for _, p := range []string{"chan ", "select", "sleep", "sync.", "semacquire", "IO wait", "syscall", "wait for", "debug call"} {
		if strings.HasPrefix(state, p) {
			return true
		}
	}
	return false
}

// waitsForEvent reports whether a command's goroutine in this state waits
// for a timer or a message (a tick, an engine event): it will not answer
// by itself soon, however long it is given.
func waitsForEvent(state string) bool {
	for _, p := range []string{"chan ", "select", "sleep", "sync.Cond.Wait"} {
		if strings.HasPrefix(state, p) {
			return true
		}
	}
	return false
}
