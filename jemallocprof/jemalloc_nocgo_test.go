//go:build jemalloc && !cgo

package jemallocprof

import "testing"

func TestJemallocBuildNeedsCgo(t *testing.T) {
	requireOrSkip(t, "-tags jemalloc without cgo builds the pure-Go allocator (CGO_ENABLED=0 or no C compiler)")
}
