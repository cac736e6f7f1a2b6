package wal

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

// writeLog writes records to an in-memory log and returns its bytes.
func writeLog(t testing.TB, logNum base.FileNum, records [][]byte) []byte {
	t.Helper()
	f := newTestFile()
	w := NewWriter(f, logNum, WriterOptions{SyncPolicy: SyncNo})
	for _, r := range records {
		if err := w.Append(r, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	size := w.Size()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := f.bytes()
	if int64(len(data)) != size {
		t.Fatalf("log has %d bytes, Size() = %d", len(data), size)
	}
	return data
}

// readResult is everything a Reader returned for a log.
type readResult struct {
	records    [][]byte
	offs, ends []int64
	err        error // the error that ended reading
}

func readLog(data []byte, logNum base.FileNum) readResult {
	var res readResult
	r := NewReader(bytes.NewReader(data), logNum)
	for {
		rec, err := r.Next()
		if err != nil {
			res.err = err
			return res
		}
		res.records = append(res.records, append([]byte{}, rec...))
		res.offs = append(res.offs, r.Offset())
		res.ends = append(res.ends, r.end())
	}
}

func record(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// framedSize returns the log bytes a record of n bytes takes when appended
// at log offset off.
func framedSize(off int64, n int) int64 {
	start := off
	for first := true; first || n > 0; first = false {
		if avail := BlockSize - off%BlockSize; avail < HeaderSize {
			off += avail
		}
		c := min(int64(n), BlockSize-off%BlockSize-HeaderSize)
		off += HeaderSize + c
		n -= int(c)
	}
	return off - start
}

func TestFormatRoundTrip(t *testing.T) {
	type tc struct {
		name  string
		sizes []int
	}
	cases := []tc{
		{"empty log", nil},
		{"size 0", []int{0}},
		{"size 1", []int{1}},
		{"two empty", []int{0, 0}},
		{"fills a block", []int{MaxChunkPayload, 1}},
		{"one byte over a block", []int{MaxChunkPayload + 1, 1}},
		{"spans 2 blocks", []int{BlockSize + 100, 7}},
		{"spans 3 blocks", []int{2*BlockSize + 100, 7}},
		{"exactly 3 full chunks", []int{3 * MaxChunkPayload, 0}},
		{"header-only chunk at block tail", []int{BlockSize - 2*HeaderSize, 5}},
		{"large", []int{10 * BlockSize, 3, 5 * BlockSize}},
	}
	// A first record that leaves 0..HeaderSize-1 bytes in the block: the
	// tail is padded and the next record starts in the next block.
	for tail := 0; tail < HeaderSize; tail++ {
		cases = append(cases, tc{fmt.Sprintf("tail padding %d", tail), []int{BlockSize - HeaderSize - tail, 10, 0}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var recs [][]byte
			var wantOffs []int64
			var off int64
			for i, n := range c.sizes {
				recs = append(recs, record(n, uint64(i)))
				if BlockSize-off%BlockSize < HeaderSize {
					off += BlockSize - off%BlockSize // padding precedes the record
				}
				wantOffs = append(wantOffs, off)
				off += framedSize(off, n)
			}
			data := writeLog(t, 3, recs)
			if int64(len(data)) != off {
				t.Fatalf("log size %d, want %d", len(data), off)
			}
			res := readLog(data, 3)
			if res.err != io.EOF {
				t.Fatalf("read ended with %v", res.err)
			}
			if len(res.records) != len(recs) {
				t.Fatalf("read %d records, want %d", len(res.records), len(recs))
			}
			for i := range recs {
				if !bytes.Equal(res.records[i], recs[i]) {
					t.Fatalf("record %d differs", i)
				}
				if res.offs[i] != wantOffs[i] {
					t.Fatalf("record %d at offset %d, want %d", i, res.offs[i], wantOffs[i])
				}
			}
			// No chunk crosses a block boundary, padding is zero.
			checkChunkLayout(t, data, 3)
		})
	}
}

// checkChunkLayout walks the chunks of a well-formed log and checks the
// framing rules: valid chunks that never cross a block boundary, zero
// padding only where no header fits.
func checkChunkLayout(t *testing.T, data []byte, logNum base.FileNum) {
	t.Helper()
	for off := 0; off < len(data); {
		rest := BlockSize - off%BlockSize
		if rest < HeaderSize {
			if !bytes.Equal(data[off:off+rest], make([]byte, rest)) {
				t.Fatalf("non-zero padding at %d", off)
			}
			off += rest
			continue
		}
		end := min(len(data), off+rest)
		c, ok := validChunk(data[off:end], chunkLogNum(logNum))
		if !ok {
			t.Fatalf("no valid chunk at %d", off)
		}
		off += len(c)
	}
}

func TestFormatHeaderLayout(t *testing.T) {
	data := writeLog(t, 0x1_0000_0007, [][]byte{[]byte("hello")})
	want := []byte{0, 0, 0, 0, 5, 0, byte(chunkFull), 7, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}
	if !bytes.Equal(data[4:], want[4:]) {
		t.Fatalf("chunk = %x, want %x", data, want)
	}
	if got, want := data[:4], chunkChecksum(data); uint32(got[0])|uint32(got[1])<<8|uint32(got[2])<<16|uint32(got[3])<<24 != want {
		t.Fatalf("checksum %x, want %08x", got, want)
	}
}

func TestSyncPolicyString(t *testing.T) {
	for p, s := range map[SyncPolicy]string{SyncAlways: "always", SyncEverySec: "everysec", SyncNo: "no"} {
		if p.String() != s {
			t.Errorf("%d.String() = %q, want %q", int(p), p.String(), s)
		}
		if q, err := ParseSyncPolicy(s); err != nil || q != p {
			t.Errorf("ParseSyncPolicy(%q) = %v, %v", s, q, err)
		}
	}
	if _, err := ParseSyncPolicy("sometimes"); err == nil {
		t.Error("ParseSyncPolicy accepted a bad name")
	}
	if err := (WriterOptions{SyncPolicy: 7}).Validate(); err == nil {
		t.Error("Validate accepted a bad policy")
	}
}
