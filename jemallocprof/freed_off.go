//go:build !invariants

package jemallocprof

func noteFreed([]byte) {}

// FreedReachable reports, in the invariants build, how many recently freed
// buffers something still references; in this build nothing is recorded
// and ok is false.
func FreedReachable() (n int, bytes int64, ok bool) { return 0, 0, false }
