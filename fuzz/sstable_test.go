package fuzz

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/sstable"
)

// tableBudget is the fixed part of a table read's allocation budget: a
// compressed block may legitimately decode to the format's 8 MiB limit, and
// opening and scanning a table decodes a few blocks at a time.
const tableBudget = 64 << 20

// FuzzSSTableReader opens arbitrary bytes as a table and reads all of it.
// It must not panic; opening fails only with a corruption error; an
// accepted table yields internal keys in strictly increasing order, never
// more entries than bytes, the same entries backward as forward, and a Get
// that finds every user key it iterated; allocation stays within a budget
// linear in the input plus the format's block-size bound.
func FuzzSSTableReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAllocs(t, "reading a table", linearBudget(len(data), 64)+tableBudget, func() {
			checkTable(t, data)
		})
	})
}

func checkTable(t *testing.T, data []byte) {
	fs := vfs.NewMem()
	if err := vfs.WriteFile(fs, "t.sst", data); err != nil {
		t.Fatal(err)
	}
	file, err := fs.Open("t.sst")
	if err != nil {
		t.Fatal(err)
	}
	r, err := sstable.NewReader(file, sstable.ReaderOptions{Cache: sstable.NewCache(64 << 10), FileNum: 1})
	if err != nil {
		if !errors.Is(err, base.ErrCorruption) {
			t.Fatalf("open: error outside the corruption class: %v", err)
		}
		return
	}
	defer r.Close()
	it, err := r.NewIter(nil, nil)
	if err != nil {
		return
	}
	defer it.Close()
	var fwd []itertest.Entry
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if n := len(fwd); n > 0 && base.InternalCompare(fwd[n-1].Key, k) >= 0 {
			t.Fatalf("keys out of order: %s then %s", fwd[n-1].Key, k)
		}
		if len(fwd) >= len(data) {
			t.Fatalf("more entries than the %d bytes of the table", len(data))
		}
		fwd = append(fwd, itertest.Entry{Key: k.Clone(), Value: slices.Clone(it.Value())})
	}
	if it.Error() != nil {
		return
	}
	var back []itertest.Entry
	for ok := it.Last(); ok && len(back) <= len(fwd); ok = it.Prev() {
		back = append(back, itertest.Entry{Key: it.Key().Clone(), Value: slices.Clone(it.Value())})
	}
	if it.Error() == nil {
		slices.Reverse(back)
		if fmt.Sprint(back) != fmt.Sprint(fwd) {
			t.Fatalf("backward %v, forward %v", back, fwd)
		}
	}
	for _, e := range fwd {
		if _, _, found, err := r.Get(nil, e.Key.UserKey, base.SeqNumMax); err == nil && !found {
			t.Fatalf("Get(%q) missed a key the iterator returned", e.Key.UserKey)
		}
	}
	if rd, err := r.NewRangeDelIter(); err == nil && rd != nil {
		n := 0
		for ok := rd.First(); ok && n <= len(data); ok = rd.Next() {
			n++
		}
		rd.Close()
	}
}

// writeTable returns the bytes of a table of entries written by
// sstable.Writer (entries in order; range deletions as RANGEDEL keys whose
// value is the end key).
func writeTable(tb testing.TB, opts sstable.WriterOptions, entries []itertest.Entry) []byte {
	fs := vfs.NewMem()
	file, err := fs.Create("t.sst")
	if err != nil {
		tb.Fatal(err)
	}
	w := sstable.NewWriter(file, opts)
	for _, e := range entries {
		if e.Key.Kind() == base.InternalKeyKindRangeDelete {
			err = w.AddRangeDel(e.Key.UserKey, e.Value, e.Key.SeqNum())
		} else {
			err = w.Add(e.Key, e.Value)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	data, err := vfs.ReadFile(fs, "t.sst")
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func sstableSeeds(tb testing.TB) []seed {
	entries, err := itertest.ParseEntries(`a#9,SET:1 a#3,DEL: b#5,SET:two c#4,RANGEDEL:f dd#7,SET:x e#2,SET:`)
	if err != nil {
		tb.Fatal(err)
	}
	var many []itertest.Entry
	for i := range 40 {
		many = append(many, itertest.Entry{
			Key:   base.MakeInternalKey(fmt.Appendf(nil, "key%03d", i), base.SeqNum(i+1), base.InternalKeyKindSet),
			Value: fmt.Appendf(nil, "value-%d-aaaaaaaaaaaaaaaaaaaa", i),
		})
	}
	tiny := sstable.WriterOptions{BlockSize: 64, BlockRestartInterval: 2}
	seeds := []seed{
		{"not_a_table", []any{[]byte("not a table")}},
		{"empty_table", []any{writeTable(tb, sstable.WriterOptions{}, nil)}},
	}
	for _, c := range []sstable.Compression{sstable.NoCompression, sstable.FastCompression, sstable.ZstdCompression} {
		opts := tiny
		opts.Compression = c
		seeds = append(seeds,
			seed{"small_" + c.String(), []any{writeTable(tb, opts, entries)}},
			seed{"many_blocks_" + c.String(), []any{writeTable(tb, opts, many)}})
	}
	noBloom := tiny
	noBloom.BloomBitsPerKey = -1
	seeds = append(seeds, seed{"no_bloom", []any{writeTable(tb, noBloom, entries)}})
	return seeds
}
