package problem

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestErrorReadsAsOneSentence(t *testing.T) {
	cause := errors.New("operation error EC2: DescribeVpcs, https response error StatusCode: 0, RequestID: , request send failed")
	for _, tc := range []struct {
		e    *Error
		want string
	}{
		{&Error{Kind: Permission, Op: "create the group", Code: "UnauthorizedOperation", Message: "You are not authorized"}, "create the group: UnauthorizedOperation: You are not authorized"},
		{&Error{Kind: Timeout, Op: "wait for DNS", Message: "still public"}, "wait for DNS: still public"},
		{&Error{Kind: Conflict, Code: "ExistingEndpoint"}, "ExistingEndpoint"},
		// The cause is kept for errors.Is, never printed: no SDK stack reaches a person.
		{&Error{Kind: Network, Op: "find out who you are", Err: cause}, "find out who you are: AWS unreachable"},
		{&Error{Op: "x"}, "x: error"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestKindFixAndCodeThroughWrapping(t *testing.T) {
	p := New(Local, "save the lab's state", "disk full", "free some space")
	p.Code = "ENOSPC"
	wrapped := fmt.Errorf("step: %w", p)
	if KindOf(wrapped) != Local || FixOf(wrapped) != "free some space" || CodeOf(wrapped) != "ENOSPC" {
		t.Fatalf("lost through wrapping: %s %q %q", KindOf(wrapped), FixOf(wrapped), CodeOf(wrapped))
	}
	if KindOf(errors.New("plain")) != Unknown || FixOf(errors.New("plain")) != "" {
		t.Fatal("a plain error is Unknown with no fix")
	}
	if KindOf(nil) != "" {
		t.Fatal("no error has no kind")
	}
	w := Wrap(Local, "write ~/.ecr_security", os.ErrPermission, "check its permissions")
	if !errors.Is(w, os.ErrPermission) || w.Message != os.ErrPermission.Error() {
		t.Fatalf("Wrap: %#v", w)
	}
}

func TestEveryKindHasALabel(t *testing.T) {
	for k, l := range labels {
		if l == "" || strings.Contains(l, "-") {
			t.Errorf("%s: label %q", k, l)
		}
	}
	if Server.Label() == Network.Label() || !Server.Retryable() || Permission.Retryable() {
		t.Error("server and network must read differently; only transient kinds are retryable")
	}
	if Kind("brand-new").Label() != "brand-new" || Kind("").Label() != "error" {
		t.Error("unknown kinds read as themselves")
	}
}
