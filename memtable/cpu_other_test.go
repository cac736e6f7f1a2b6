//go:build !unix

package memtable

import (
	"testing"
	"time"
)

// reportCPU reports nothing where getrusage is unavailable.
func reportCPU(*testing.B, time.Duration) {}

func processCPU() time.Duration { return 0 }
