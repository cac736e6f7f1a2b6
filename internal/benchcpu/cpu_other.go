//go:build !unix

package benchcpu

import "time"

// Process returns 0 where getrusage is unavailable.
func Process() time.Duration { return 0 }
