package wal

import (
	"bytes"
	"io"
	"testing"

	"github.com/strata-db/strata/jemallocprof"
)

// TestBuffersTracked checks that the writer's buffers are counted as WAL
// while it lives, grow for a record larger than they are, frame records
// of every size correctly, and are freed by Close.
func TestBuffersTracked(t *testing.T) {
	start := jemallocprof.Live(jemallocprof.WAL)
	f := newTestFile()
	w := NewWriter(f, 3, WriterOptions{SyncPolicy: SyncNo})
	var want [][]byte
	for i, n := range []int{1, 100, BlockSize - HeaderSize, BlockSize, 3*BlockSize + 7, 1 << 20} {
		rec := bytes.Repeat([]byte{byte('a' + i)}, n)
		want = append(want, rec)
		if err := w.Write(rec, false); err != nil {
			t.Fatal(err)
		}
		// The buffers hold at least the framed record, never less.
		if live := jemallocprof.Live(jemallocprof.WAL) - start; live < int64(n) {
			t.Fatalf("after a %d-byte record: %d WAL bytes tracked", n, live)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if live := jemallocprof.Live(jemallocprof.WAL); live != start {
		t.Fatalf("after Close: %d WAL bytes tracked, want %d", live, start)
	}
	r := NewReader(bytes.NewReader(f.bytes()), 3)
	for i, rec := range want {
		got, err := r.Next()
		if err != nil || !bytes.Equal(got, rec) {
			t.Fatalf("record %d: %d bytes, %v", i, len(got), err)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last record: %v", err)
	}
}
