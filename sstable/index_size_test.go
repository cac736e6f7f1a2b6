package sstable

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
)

// Keys larger than a block whose neighbours differ by one in a counter (the
// data keys of consecutive uuids, each holding one 4 KiB set member) must
// still get short index separators: an index block as large as the data
// would double every table.
func TestIndexSeparatorsStayShortForLargeKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var entries []itertest.Entry
	for i := range 500 {
		k := make([]byte, 1+8+4096)
		k[0] = 'd'
		binary.BigEndian.PutUint64(k[1:], uint64(1000+i))
		for j := 9; j < len(k); j++ {
			k[j] = byte(r.Uint32())
		}
		entries = append(entries, itertest.Entry{Key: base.MakeInternalKey(k, base.SeqNum(i+1), base.InternalKeyKindSet)})
	}
	f, _, err := buildTable(entries, WriterOptions{BlockSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := NewReader(f, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	p := rd.Properties()
	if p.NumDataBlocks < 400 {
		t.Fatalf("expected about one block per key, got %d blocks", p.NumDataBlocks)
	}
	// 500 separators of ~9 bytes plus handles and internal-key trailers.
	if p.IndexSize > 64*p.NumDataBlocks {
		t.Fatalf("index block is %d bytes for %d data blocks (%d bytes of data): separators are not shortened",
			p.IndexSize, p.NumDataBlocks, p.DataSize)
	}
}
