//go:build !linux

package testtool

// memoryTemp: only Linux's /dev/shm is known to be one.
func memoryTemp() string { return "" }
