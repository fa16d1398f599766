// Package atomicfile writes files so that a reader, or a process killed
// mid-write, sees either the old content or the new, never a mix. The lab's
// state, ~/.ecr_security and the sandbox's world are all written this way.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write puts data at path with mode: a temporary file in the same
// directory, fsync, rename over path, then fsync of the directory so the
// rename itself survives a crash.
func Write(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// CanCreate checks that Write can make its temporary file in dir (a
// read-only directory cannot take one), and removes what it made. The
// error is os.CreateTemp's.
func CanCreate(dir string, name string) error {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	_ = f.Close()
	return os.Remove(f.Name())
}
