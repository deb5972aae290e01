package main

import (
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile to $TRAWL_BENCH_CPUPROFILE when set.
func startProfile() func() {
	p := os.Getenv("TRAWL_BENCH_CPUPROFILE")
	if p == "" {
		return func() {}
	}
	f, err := os.Create(p)
	if err != nil {
		return func() {}
	}
	pprof.StartCPUProfile(f)
	return func() { pprof.StopCPUProfile(); f.Close() }
}
