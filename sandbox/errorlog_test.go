package sandbox

import (
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"ecr-vpce-lab/internal/testtool"
)

// TestServerErrorsGoToTheLogger: what net/http reports about a connection
// (a handler's panic, a superfluous WriteHeader) reaches Options.Logger,
// never the log package's stderr, which is the wizard's screen when the
// wizard runs the sandbox in its own process. Not parallel: it captures
// the log package's output.
func TestServerErrorsGoToTheLogger(t *testing.T) {
	var std testtool.SyncBuffer
	log.SetOutput(&std)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	var got testtool.SyncBuffer
	s := startSandbox(t, Options{Logger: slog.New(slog.NewTextHandler(&got, nil))})

	// A TLS greeting on each plain port: answered or dropped by net/http,
	// and nothing of it may reach the log package.
	for _, addr := range []string{s.apiURL, s.imdsURL, "http://" + s.regAddr, s.publicAPIURL, "http://" + s.publicRegAddr} {
		c, err := net.Dial("tcp", strings.TrimPrefix(addr, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write([]byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"))
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		_, _ = io.Copy(io.Discard, c)
		_ = c.Close()
	}
	for i, srv := range s.servers() {
		if srv.ErrorLog == nil {
			t.Fatalf("server %d has no ErrorLog: net/http would write its errors to stderr", i)
		}
		// What net/http writes when a handler panics.
		srv.ErrorLog.Printf("http: panic serving 127.0.0.1:1: server %d", i)
	}
	for i := range s.servers() {
		if want := "server " + string(rune('0'+i)); !strings.Contains(got.String(), want) {
			t.Errorf("the sandbox's Logger did not hear %q:\n%s", want, got.String())
		}
	}
	if !strings.Contains(got.String(), "level=WARN") {
		t.Errorf("net/http's errors are not warnings in the Logger:\n%s", got.String())
	}
	if std.String() != "" {
		t.Errorf("the log package (stderr) got:\n%s", std.String())
	}
}
