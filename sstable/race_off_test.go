//go:build !race

package sstable

// raceEnabled is set under the race detector, whose sync.Pool drops a
// share of what is put back: heap measurements see less than a normal
// build keeps.
const raceEnabled = false
