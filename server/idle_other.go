//go:build !linux

package server

import "time"

// machineIdleTime is unknown outside Linux.
func machineIdleTime() time.Duration { return -1 }
