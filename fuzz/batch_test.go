package fuzz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/lsm"
)

// FuzzBatch decodes arbitrary bytes as a batch (a WAL record): the result
// is a corruption error, or a batch whose encoding is the input itself
// (the encoding is canonical), within an allocation budget linear in the
// input.
func FuzzBatch(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var b *lsm.Batch
		var err error
		checkAllocs(t, "decoding a batch", linearBudget(len(data), 16), func() {
			b, err = lsm.DecodeBatch(data)
		})
		if err != nil {
			if !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("error outside the corruption class: %v", err)
			}
			return
		}
		if got := b.Repr(); !bytes.Equal(got, data) || b.Len() != len(data) {
			t.Fatalf("DecodeBatch(%q) re-encodes as %q (Len %d)", data, got, b.Len())
		}
		if n := binary.LittleEndian.Uint32(data[8:12]); b.Count() != int(n) || b.Empty() != (n == 0) {
			t.Fatalf("header counts %d records, batch has %d", n, b.Count())
		}
	})
}

func batchSeeds(testing.TB) []seed {
	mixed := new(lsm.Batch)
	mixed.Set([]byte("k1"), []byte("v1"))
	mixed.Delete([]byte("k2"))
	mixed.DeleteRange([]byte("a"), []byte("z"))
	mixed.Set(nil, nil)
	big := new(lsm.Batch)
	big.Set(bytes.Repeat([]byte("k"), 200), bytes.Repeat([]byte("v"), 20000))
	highSeq := bytes.Clone(mixed.Repr())
	binary.LittleEndian.PutUint64(highSeq, uint64(base.SeqNumMax)-3)
	overSeq := bytes.Clone(highSeq)
	binary.LittleEndian.PutUint64(overSeq, uint64(base.SeqNumMax)-2)
	countHigh := bytes.Clone(mixed.Repr())
	countHigh[8]++
	return []seed{
		{"empty", []any{new(lsm.Batch).Repr()}},
		{"mixed", []any{bytes.Clone(mixed.Repr())}},
		{"big_varints", []any{bytes.Clone(big.Repr())}},
		{"seq_at_limit", []any{highSeq}},
		{"seq_over_limit", []any{overSeq}},
		{"count_too_high", []any{countHigh}},
		{"truncated", []any{bytes.Clone(mixed.Repr()[:len(mixed.Repr())-1])}},
		{"unknown_kind", []any{append(new(lsm.Batch).Repr(), 0x7f, 0)}},
	}
}
