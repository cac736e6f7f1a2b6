package sstable

import (
	"testing"

	"github.com/strata-db/strata/internal/base"
)

// FuzzReader opens arbitrary bytes as a table and reads everything: it
// must never panic and never allocate beyond the bounds the format sets.
func FuzzReader(f *testing.F) {
	for _, c := range []Compression{NoCompression, FastCompression, ZstdCompression} {
		_, tbl := smallTable(f, c)
		f.Add(tbl.data)
	}
	f.Add([]byte("not a table"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(&memFile{data: data}, ReaderOptions{Cache: NewCache(64 << 10)})
		if err != nil {
			return
		}
		defer r.Close()
		it, _ := r.NewIter(nil, nil)
		n := 0
		for ok := it.First(); ok && n < 10000; ok = it.Next() {
			r.Get(nil, it.Key().UserKey, base.SeqNumMax)
			n++
		}
		for ok := it.Last(); ok && n < 20000; ok = it.Prev() {
			n++
		}
		it.SeekGE([]byte("key010"))
		it.SeekLT([]byte("key010"))
		it.Close()
		if rd, _ := r.NewRangeDelIter(); rd != nil {
			for ok := rd.First(); ok && n < 30000; ok = rd.Next() {
				n++
			}
			rd.Close()
		}
	})
}
