//go:build unix

package memtable

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU adds the process's CPU time per operation since start (from
// processCPU) to b's results as cpu-ns/op: on a machine shared with other
// work it is steadier than the wall-clock ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// processCPU returns the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
