package fuzz

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/wal"
)

// walLogNum is the log number FuzzWALReader reads; seeds also hold chunks
// of another log, which must be taken as garbage.
const walLogNum = 7

// readLog reads every record of log walLogNum from rd and returns copies of
// them with the error that ended the log.
func readLog(t *testing.T, rd io.Reader, inputLen int) ([][]byte, error) {
	r := wal.NewReader(rd, walLogNum)
	var recs [][]byte
	total := 0
	for {
		rec, err := r.Next()
		if err != nil {
			if err != io.EOF && !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("error outside io.EOF and the corruption class: %v", err)
			}
			if _, err2 := r.Next(); err2 != err {
				t.Fatalf("error not sticky: %v, then %v", err, err2)
			}
			return recs, err
		}
		recs = append(recs, bytes.Clone(rec))
		total += len(rec)
		// Every record costs at least one chunk header of input.
		if len(recs)*wal.HeaderSize > inputLen || total > inputLen {
			t.Fatalf("%d records of %d bytes from %d bytes of input", len(recs), total, inputLen)
		}
		if off := r.Offset(); off < 0 || off+wal.HeaderSize > int64(inputLen) {
			t.Fatalf("record offset %d outside %d bytes of input", off, inputLen)
		}
	}
}

// FuzzWALReader feeds arbitrary bytes to a log Reader. It must not panic;
// it ends with io.EOF or a corruption error, and the error is sticky; the
// records fit in the input; allocation stays linear in the input; the
// records do not depend on how reads split the input; and the records of
// any prefix of the input are a prefix of the records of the whole (a torn
// tail never changes what came before it).
func FuzzWALReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAllocs(t, "reading a log", linearBudget(len(data), 4), func() {
			r := wal.NewReader(bytes.NewReader(data), walLogNum)
			for {
				if _, err := r.Next(); err != nil {
					return
				}
			}
		})
		recs, err := readLog(t, bytes.NewReader(data), len(data))
		recs2, err2 := readLog(t, iotest.OneByteReader(bytes.NewReader(data)), len(data))
		if !equalRecords(recs2, recs) || errors.Is(err2, io.EOF) != errors.Is(err, io.EOF) {
			t.Fatalf("one byte per read: %d records, %v; whole input: %d records, %v", len(recs2), err2, len(recs), err)
		}
		prefix, _ := readLog(t, bytes.NewReader(data[:len(data)/2]), len(data)/2)
		if len(prefix) > len(recs) || !equalRecords(prefix, recs[:len(prefix)]) {
			t.Fatalf("the first half of the input gives %d records, not a prefix of the %d of the whole", len(prefix), len(recs))
		}
	})
}

func equalRecords(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// memLog is a wal.File that keeps what is written.
type memLog struct{ bytes.Buffer }

func (*memLog) Sync() error  { return nil }
func (*memLog) Close() error { return nil }

// writeWAL returns a log numbered logNum holding records, written by
// wal.Writer.
func writeWAL(tb testing.TB, logNum base.FileNum, records ...[]byte) []byte {
	f := &memLog{}
	w := wal.NewWriter(f, logNum, wal.WriterOptions{SyncPolicy: wal.SyncNo})
	for _, r := range records {
		if err := w.Append(r, false, nil); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return f.Bytes()
}

func walSeeds(tb testing.TB) []seed {
	small := writeWAL(tb, walLogNum, []byte("a"), nil, []byte("hello"))
	long := bytes.Repeat([]byte("0123456789abcdef"), (wal.BlockSize+100)/16)
	flipped := bytes.Clone(small)
	flipped[len(flipped)/2] ^= 0x40
	seeds := []seed{
		{"empty", []any{[]byte{}}},
		{"three_records", []any{small}},
		{"spanning_blocks", []any{writeWAL(tb, walLogNum, long, []byte("tail"))}},
		{"other_log", []any{writeWAL(tb, walLogNum+1, []byte("other log"))}},
		{"torn_tail", []any{small[:len(small)-3]}},
		{"bit_flip", []any{flipped}},
		{"zero_tail", []any{append(bytes.Clone(small), make([]byte, 100)...)}},
		{"damage_then_valid", []any{append(bytes.Clone(flipped), writeWAL(tb, walLogNum, []byte("after"))...)}},
		{"batches", []any{writeWAL(tb, walLogNum, seedInput(batchSeeds(tb), "mixed"), seedInput(batchSeeds(tb), "big_varints"))}},
	}
	return seeds
}
