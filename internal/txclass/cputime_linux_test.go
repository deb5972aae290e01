package txclass_test

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time the calling thread has used. On a shared
// machine wall-clock ns/op counts the time other processes held the core;
// this does not.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_THREAD, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
