// Package benchcpu measures the process's CPU time for benchmarks: on a
// machine shared with other work, CPU time per operation is steadier than
// wall-clock ns/op.
package benchcpu

import (
	"testing"
	"time"
)

// Report adds the process's CPU time per operation since start (from
// Process) to b's results as cpu-ns/op.
func Report(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(Process()-start)/float64(b.N), "cpu-ns/op")
}
