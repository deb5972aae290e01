//go:build !linux

package txclass_test

import "time"

// threadCPU is unknown here; the benchmarks then report wall time only.
func threadCPU() time.Duration { return 0 }
