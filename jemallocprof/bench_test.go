package jemallocprof

import "testing"

// The cost of the accounting alone, without the allocation it accounts:
// what every Alloc/Free pair (counted/uncounted) and every Track/Untrack
// pair adds. Parallel runs contend on one purpose's cache line, the worst
// case (each purpose has a line of its own). Multiplied by the tracked
// allocations per command (INFO memory's per-purpose allocation counts
// over a redis-benchmark run) it bounds the accounting's share of a
// command's CPU time.

func BenchmarkAccountingPair(b *testing.B) {
	for b.Loop() {
		counted(BlockCache, 4096)
		uncounted(BlockCache, 4096)
	}
}

func BenchmarkAccountingPairParallel(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			counted(BlockCache, 4096)
			uncounted(BlockCache, 4096)
		}
	})
}

func BenchmarkTrackPairParallel(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			Track(ClientQuery, 4096)
			Untrack(ClientQuery, 4096)
		}
	})
}

// BenchmarkAllocFree is the whole call, allocation included, of a 4 KiB
// buffer (the size of a block), for comparison with the pair alone.
func BenchmarkAllocFree(b *testing.B) {
	for b.Loop() {
		Free(BlockCache, Alloc(BlockCache, 4096))
	}
}
