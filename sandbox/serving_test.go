package sandbox

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestRunningAnnouncesTheServingSandbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "world")
	if _, _, err := Running(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("no world yet: %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("Running must not create the state directory")
	}
	sb, err := Start(context.Background(), Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	env, pid, err := Running(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pid != os.Getpid() || !reflect.DeepEqual(env, sb.Env()) {
		t.Fatalf("pid %d, env %v; want %d, %v", pid, env, os.Getpid(), sb.Env())
	}
	if fi, err := os.Stat(filepath.Join(dir, servingFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the announcement holds the dummy keys: it must be 0600: %v %v", fi, err)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Running(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after Close: %v", err)
	}
	// A killed sandbox leaves its announcement; nobody holds the lock, so it
	// is stale and removed.
	if err := os.WriteFile(filepath.Join(dir, servingFile), []byte(`{"pid":1,"env":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Running(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stale announcement: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, servingFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a stale announcement must be removed")
	}
}
