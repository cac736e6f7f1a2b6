package sstable

import (
	"fmt"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
)

// TestEstimateDiskUsage: on a table of 100 keys with a block each, the
// estimate of a range is its blocks, the two at its edges counted half,
// and nothing outside the table's keys.
func TestEstimateDiskUsage(t *testing.T) {
	var es []itertest.Entry
	val := make([]byte, 200)
	for i := range 100 {
		es = append(es, itertest.Entry{
			Key:   base.MakeInternalKey(fmt.Appendf(nil, "k%03d", i), base.SeqNum(i+1), base.InternalKeyKindSet),
			Value: val,
		})
	}
	f, _, err := buildTable(es, WriterOptions{BlockSize: 64, Compression: NoCompression})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(f, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := r.Properties().NumDataBlocks; n != 100 {
		t.Fatalf("%d data blocks, want one per key", n)
	}
	block := r.Properties().DataSize / 100
	k := func(i int) []byte { return fmt.Appendf(nil, "k%03d", i) }
	for _, c := range []struct {
		start, end []byte
		blocks     float64 // expected, in blocks
	}{
		{[]byte("a"), nil, 99.5}, // the first block is an edge
		{[]byte("a"), []byte("z"), 99.5},
		{k(0), k(10), 10},             // edges k000 and k010: 0.5 + 9 + 0.5
		{k(10), k(11), 1},             // k010 and k011, half each
		{[]byte("k0105"), k(11), 0.5}, // inside one block's gap: one block, half
		{k(50), nil, 49.5},
		{[]byte("z"), nil, 0},           // past every key
		{[]byte("a"), []byte("b"), 0.5}, // before every key: the first block, half
	} {
		got := float64(r.EstimateDiskUsage(c.start, c.end)) / float64(block)
		if got < c.blocks-0.1 || got > c.blocks+0.1 {
			t.Errorf("[%s, %s): %.2f blocks, want %.1f", c.start, c.end, got, c.blocks)
		}
	}
}
