package sstable

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
)

// summaryKeys returns n sorted internal keys drawn so that the summary's
// hard cases are common: families with long shared prefixes next to short
// keys, keys that are prefixes of others, windows that tie past 8 bytes,
// and runs of one user key at several sequence numbers.
func summaryKeys(rng *rand.Rand, n int) []base.InternalKey {
	prefixes := []string{"", "d\x00\x01\x02\x03\x04\x05\x06\x07\x08\x01", "m\x00key:0000000", "m\x00key:", "x", "m\x00k"}
	var keys []base.InternalKey
	for len(keys) < n {
		p := prefixes[rng.IntN(len(prefixes))]
		var uk []byte
		switch rng.IntN(4) {
		case 0:
			uk = fmt.Appendf([]byte(p), "%d", rng.IntN(1000))
		case 1:
			uk = append([]byte(p), byte(rng.IntN(3)))
		case 2:
			uk = []byte(p)
		default:
			uk = fmt.Appendf([]byte(p), "%020d", rng.IntN(50))
		}
		for v := rng.IntN(3); v >= 0; v-- {
			keys = append(keys, base.MakeInternalKey(uk, base.SeqNum(rng.IntN(100)+1), base.InternalKeyKindSet))
		}
	}
	slices.SortFunc(keys, func(a, b base.InternalKey) int { return compareInternal(bytes.Compare, a, b) })
	return slices.CompactFunc(keys, func(a, b base.InternalKey) bool { return compareInternal(bytes.Compare, a, b) == 0 })
}

// TestRestartSummaryMatchesSearch checks that a search narrowed by the
// summary finds the same restart point as the plain binary search, for
// targets at, between and beyond the block's keys.
func TestRestartSummaryMatchesSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 40; round++ {
		keys := summaryKeys(rng, minSummarySize+rng.IntN(2000))
		var bw blockWriter
		bw.restartInterval = 1
		for _, k := range keys {
			bw.add(k.AppendEncoded(nil), nil)
		}
		var plain blockIter
		if err := plain.init(bytes.Compare, slices.Clone(bw.finish())); err != nil {
			t.Fatal(err)
		}
		summed := plain
		summed.sum = summarize(&plain)
		if summed.sum == nil {
			t.Fatalf("round %d: no summary for %d restart points", round, plain.numRestarts)
		}
		targets := slices.Clone(keys)
		for _, tk := range summaryKeys(rng, 500) {
			targets = append(targets, tk, base.MakeSearchKey(tk.UserKey, base.SeqNumMax), base.MakeSearchKey(tk.UserKey, 0))
		}
		targets = append(targets, base.MakeSearchKey(nil, base.SeqNumMax), base.MakeSearchKey([]byte("\xff\xff"), 0))
		for _, tk := range targets {
			want, ok1 := plain.searchRestarts(tk)
			got, ok2 := summed.searchRestarts(tk)
			if !ok1 || !ok2 || got != want {
				t.Fatalf("round %d: target %q#%d: summary search gives %d, plain %d", round, tk.UserKey, tk.Trailer, got, want)
			}
		}
	}
}

// TestRestartSummaryOnlyForLargeBlocks: small blocks and other comparers
// get no summary; a table's index does.
func TestRestartSummaryOnlyForLargeBlocks(t *testing.T) {
	var bw blockWriter
	bw.restartInterval = 1
	for i := 0; i < minSummarySize-1; i++ {
		bw.add(base.MakeInternalKey(fmt.Appendf(nil, "k%04d", i), 1, base.InternalKeyKindSet).AppendEncoded(nil), nil)
	}
	var it blockIter
	if err := it.init(bytes.Compare, bw.finish()); err != nil {
		t.Fatal(err)
	}
	if summarize(&it) != nil {
		t.Fatalf("summary for %d restart points", it.numRestarts)
	}

	var entries []itertest.Entry
	for i := 0; i < 2000; i++ {
		entries = append(entries, itertest.Entry{Key: base.MakeInternalKey(fmt.Appendf(nil, "key%06d", i), 1, base.InternalKeyKindSet), Value: make([]byte, 40)})
	}
	// Another ordering, even one that compares like the bytewise one: the
	// windows assume bytewise order, so no summary.
	other := *base.DefaultComparer
	other.Name = "test.OtherComparator"
	f, _, err := buildTable(entries, WriterOptions{BlockSize: 64, Comparer: &other})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(f, ReaderOptions{Comparer: &other})
	if err != nil {
		t.Fatal(err)
	}
	if r.index.sum != nil {
		t.Errorf("summary under comparer %q", other.Name)
	}
	r.Close()

	f, _, err = buildTable(entries, WriterOptions{BlockSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	r, err = NewReader(f, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.index.sum == nil {
		t.Fatalf("no summary over an index of %d entries", r.index.numRestarts)
	}
	for i := 0; i < 2000; i++ {
		v, _, found, err := r.Get(nil, fmt.Appendf(nil, "key%06d", i), base.SeqNumMax)
		if err != nil || !found || len(v) != 40 {
			t.Fatalf("key%06d: found=%v err=%v", i, found, err)
		}
		if _, _, found, _ := r.Get(nil, fmt.Appendf(nil, "key%06d+", i), base.SeqNumMax); found {
			t.Fatalf("key%06d+ found", i)
		}
	}
}
