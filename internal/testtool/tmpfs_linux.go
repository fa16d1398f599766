package testtool

import (
	"os"
	"syscall"
)

// memoryTemp is /dev/shm when it is a memory file system this process may
// write, with room for the suite's files (its biggest test streams three
// 80 MiB layers through a sandbox's store); "" otherwise.
func memoryTemp() string {
	const dir, tmpfsMagic, room = "/dev/shm", 0x01021994, 2 << 30
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil || fs.Type != tmpfsMagic || int64(fs.Bavail)*fs.Bsize < room {
		return ""
	}
	if syscall.Access(dir, 2 /* W_OK */) != nil {
		return ""
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return ""
	}
	return dir
}
