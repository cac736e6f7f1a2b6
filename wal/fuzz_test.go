package wal

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

// FuzzReader feeds arbitrary bytes to a Reader: it must never panic, never
// hold more memory than the input justifies, and end with io.EOF or a
// corruption error.
func FuzzReader(f *testing.F) {
	const logNum = 7
	seeds := [][]byte{
		nil,
		writeLog(f, logNum, [][]byte{[]byte("a"), nil, []byte("hello")}),
		writeLog(f, logNum, [][]byte{record(BlockSize+100, 1), []byte("tail")}),
		writeLog(f, logNum+1, [][]byte{[]byte("other log")}),
		cat(chunk(chunkFirst, logNum, "ab"), chunk(chunkFull, logNum, "c")),
		cat(chunk(chunkFull, logNum, "a"), make([]byte, 100)),
	}
	for _, s := range seeds {
		f.Add(s)
		if len(s) > 3 {
			bad := bytes.Clone(s)
			bad[len(bad)/2] ^= 0x40
			f.Add(bad)
			f.Add(s[:len(s)-3])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), logNum)
		total := 0
		for i := 0; ; i++ {
			rec, err := r.Next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, base.ErrCorruption) {
					t.Fatalf("unexpected error %v", err)
				}
				if _, err2 := r.Next(); err2 != err {
					t.Fatalf("error not sticky: %v then %v", err, err2)
				}
				break
			}
			total += len(rec)
			// Each record takes at least one header of input.
			if (i+1)*HeaderSize > len(data) || total > len(data) {
				t.Fatalf("%d records of %d bytes from %d bytes of input", i+1, total, len(data))
			}
			if r.Offset() < 0 || r.Offset() >= int64(len(data)) {
				t.Fatalf("offset %d outside the input", r.Offset())
			}
			// Memory is bounded by one block plus the largest record.
			if cap(r.buf) != BlockSize || cap(r.rec) > 2*len(data)+64 {
				t.Fatalf("buffers grew to %d and %d for %d bytes of input", cap(r.buf), cap(r.rec), len(data))
			}
		}
	})
}
