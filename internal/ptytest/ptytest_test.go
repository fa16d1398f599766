package ptytest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestTermRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	term, err := Start(40, 10, os.Environ(), sh, "-c", `printf 'ready\n'; read x; printf 'got %s\n' "$x"; printf '\033[31mred\033[0m\n'`)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	if _, err := term.WaitForText(5*time.Second, "ready"); err != nil {
		t.Fatal(err)
	}
	if err := term.Send("abc", Enter); err != nil {
		t.Fatal(err)
	}
	screen, err := term.WaitForText(5*time.Second, "got abc", "red")
	if err != nil {
		t.Fatalf("%v\n%s", err, screen)
	}
	if strings.Contains(screen, "\x1b[") {
		t.Fatal("Screen must be plain text")
	}
	if !strings.Contains(term.StyledScreen(), "\x1b[") {
		t.Fatal("StyledScreen must keep the colours")
	}
	if err := term.Wait(5 * time.Second); err != nil {
		t.Fatalf("exit: %v", err)
	}
	if _, err := term.WaitForText(200*time.Millisecond, "never shown"); err == nil {
		t.Fatal("waiting for absent text after exit must fail")
	}
}
