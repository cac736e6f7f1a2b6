package wal

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

// chunk builds one chunk by hand.
func chunk(t chunkType, logNum base.FileNum, payload string) []byte {
	c := make([]byte, HeaderSize+len(payload))
	copy(c[HeaderSize:], payload)
	putHeader(c, t, chunkLogNum(logNum))
	return c
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestReaderCases(t *testing.T) {
	const L = 5
	full := func(s string) []byte { return chunk(chunkFull, L, s) }
	badSum := func(c []byte) []byte { c = bytes.Clone(c); c[0] ^= 1; return c }
	// padTo pads b with zeros up to the next block boundary.
	padTo := func(b []byte) []byte { return cat(b, make([]byte, BlockSize-len(b)%BlockSize)) }
	tests := []struct {
		name    string
		log     []byte
		want    []string
		corrupt bool // reading ends with ErrCorruption rather than io.EOF
	}{
		{name: "empty", log: nil},
		{name: "one record", log: full("a"), want: []string{"a"}},
		{name: "empty record", log: full(""), want: []string{""}},
		{name: "fragments", log: cat(chunk(chunkFirst, L, "ab"), chunk(chunkMiddle, L, "cd"), chunk(chunkLast, L, "e")), want: []string{"abcde"}},
		{name: "zero-filled tail", log: cat(full("a"), make([]byte, 3*BlockSize)), want: []string{"a"}},
		{name: "zero tail shorter than a header", log: cat(full("a"), make([]byte, HeaderSize-1)), want: []string{"a"}},
		{name: "zero-filled log", log: make([]byte, BlockSize+7)},
		{name: "partial header at end", log: cat(full("a"), full("b")[:HeaderSize-2]), want: []string{"a"}},
		{name: "length runs past EOF", log: cat(full("a"), full("bcdef")[:HeaderSize+2]), want: []string{"a"}},
		{name: "length runs past block end", log: cat(full("a"), func() []byte {
			c := full("b")
			c[lengthOff], c[lengthOff+1] = 0xff, 0xff
			return c
		}()), want: []string{"a"}},
		{name: "FIRST without LAST at end", log: cat(full("a"), chunk(chunkFirst, L, "bc"), chunk(chunkMiddle, L, "d")), want: []string{"a"}},
		{name: "FIRST without LAST then FULL", log: cat(full("a"), chunk(chunkFirst, L, "bc"), full("d")), want: []string{"a"}, corrupt: true},
		{name: "FIRST then FIRST", log: cat(chunk(chunkFirst, L, "bc"), chunk(chunkFirst, L, "d"), chunk(chunkLast, L, "e")), corrupt: true},
		{name: "orphan MIDDLE", log: cat(full("a"), chunk(chunkMiddle, L, "b")), want: []string{"a"}, corrupt: true},
		{name: "orphan LAST", log: cat(chunk(chunkLast, L, "b"), full("c")), corrupt: true},
		{name: "checksum mismatch in last chunk", log: cat(full("a"), badSum(full("b"))), want: []string{"a"}},
		{name: "checksum mismatch in the middle", log: cat(full("a"), badSum(full("b")), full("c")), want: []string{"a"}, corrupt: true},
		{name: "checksum mismatch then valid chunk in a later block", log: cat(padTo(cat(full("a"), badSum(full("b")))), full("c")), want: []string{"a"}, corrupt: true},
		{name: "checksum mismatch then zeros", log: cat(full("a"), badSum(full("b")), make([]byte, 2*BlockSize)), want: []string{"a"}},
		{name: "garbage tail", log: cat(full("a"), []byte(strings.Repeat("garbage!", 5000))), want: []string{"a"}},
		{name: "other log's chunks at the tail", log: cat(full("a"), chunk(chunkFull, L+1, "old"), chunk(chunkFull, L+1, "older")), want: []string{"a"}},
		{name: "other log's chunk then ours", log: cat(full("a"), chunk(chunkFull, L+1, "old"), full("c")), want: []string{"a"}, corrupt: true},
		{name: "other log entirely", log: cat(chunk(chunkFull, L+1, "x"), chunk(chunkFull, L+1, "y"))},
		// A record's payload is client data: a value may hold a valid chunk
		// of this very log. Torn or damaged, the record must not pass that
		// chunk off as data written after it (it used to make a torn tail
		// look like corruption, failing the open after a crash).
		{name: "torn chunk holding a valid chunk", log: cat(full("a"),
			full("xx" + string(full("forged")) + "yy")[:HeaderSize+2+len(full("forged"))+1]), want: []string{"a"}},
		{name: "damaged last chunk holding a valid chunk", log: cat(full("a"),
			badSum(full("xx"+string(full("forged"))+"yy"))), want: []string{"a"}},
		{name: "damaged chunk holding a valid chunk, then a chunk", log: cat(full("a"),
			badSum(full("xx"+string(full("forged"))+"yy")), full("c")), want: []string{"a"}, corrupt: true},
		{name: "invalid chunk type", log: func() []byte {
			c := full("b")
			c[typeOff] = 9
			putHeaderChecksumOnly(c)
			return cat(full("a"), c, full("c"))
		}(), want: []string{"a"}, corrupt: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := readLog(tc.log, L)
			var got []string
			for _, r := range res.records {
				got = append(got, string(r))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || len(got) != len(tc.want) {
				t.Fatalf("records %q, want %q", got, tc.want)
			}
			if tc.corrupt {
				if !errors.Is(res.err, base.ErrCorruption) {
					t.Fatalf("ended with %v, want corruption", res.err)
				}
				if !strings.Contains(res.err.Error(), "offset") {
					t.Fatalf("corruption error %q does not name the offset", res.err)
				}
			} else if res.err != io.EOF {
				t.Fatalf("ended with %v, want io.EOF", res.err)
			}
		})
	}
}

// putHeaderChecksumOnly recomputes the checksum of a hand-edited chunk.
func putHeaderChecksumOnly(c []byte) {
	s := chunkChecksum(c)
	c[0], c[1], c[2], c[3] = byte(s), byte(s>>8), byte(s>>16), byte(s>>24)
}

// randomRecords returns a random sequence of records: mostly small, some
// spanning blocks.
func randomRecords(rng *rand.Rand, total int) [][]byte {
	var recs [][]byte
	for n := 0; n < total; {
		var size int
		switch rng.IntN(10) {
		case 0:
			size = 0
		case 1, 2:
			size = BlockSize/2 + rng.IntN(2*BlockSize)
		default:
			size = rng.IntN(300)
		}
		recs = append(recs, record(size, rng.Uint64()))
		n += size + HeaderSize
	}
	return recs
}

// checkPrefix checks that reading input, the log data cut at cut and maybe
// followed by a filler, returns exactly the records of full that end at or
// before the point where input stops matching data, then io.EOF.
func checkPrefix(t *testing.T, what string, data, input []byte, logNum base.FileNum, full readResult, cut int64) {
	t.Helper()
	res := readLog(input, logNum)
	// A filler byte may happen to equal the byte it replaces.
	for cut < int64(min(len(data), len(input))) && data[cut] == input[cut] {
		cut++
	}
	if res.err != io.EOF {
		t.Fatalf("%s, cut %d: ended with %v, want io.EOF", what, cut, res.err)
	}
	want := 0
	for want < len(full.ends) && full.ends[want] <= cut {
		want++
	}
	if len(res.records) != want {
		t.Fatalf("%s, cut %d: read %d records, want %d", what, cut, len(res.records), want)
	}
	for i, r := range res.records {
		if !bytes.Equal(r, full.records[i]) {
			t.Fatalf("%s, cut %d: record %d differs", what, cut, i)
		}
	}
}

func TestTornTail(t *testing.T) {
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		recs := randomRecords(rng, 2*BlockSize)
		data := writeLog(t, 9, recs)
		full := readLog(data, 9)
		if full.err != io.EOF || len(full.records) != len(recs) {
			t.Fatalf("seed %d: full log read %d/%d records, err %v", seed, len(full.records), len(recs), full.err)
		}
		// Every cut near a chunk boundary, plus a random sample elsewhere.
		cuts := map[int64]bool{0: true, int64(len(data)): true}
		for _, e := range full.ends {
			for d := int64(-HeaderSize - 2); d <= HeaderSize+2; d++ {
				if c := e + d; c >= 0 && c <= int64(len(data)) {
					cuts[c] = true
				}
			}
		}
		for range 200 {
			cuts[rng.Int64N(int64(len(data))+1)] = true
		}
		// An older log with the same layout but other bytes, as a recycled
		// file would hold.
		var oldRecs [][]byte
		for _, r := range recs {
			oldRecs = append(oldRecs, record(len(r), rng.Uint64()))
		}
		oldData := writeLog(t, 0x0a0b0c0d, oldRecs) // every byte of the log number differs
		for cut := range cuts {
			checkPrefix(t, "truncated", data, data[:cut], 9, full, cut)
			// A zero-filled tail: the torn page or preallocated space.
			zeroed := cat(data[:cut], make([]byte, BlockSize-cut%BlockSize+BlockSize))
			checkPrefix(t, "zero tail", data, zeroed, 9, full, cut)
			// A tail left by an older log in a recycled file.
			old := cat(data[:cut], oldData[cut:])
			checkPrefix(t, "old log tail", data, old, 9, full, cut)
		}
	}
}

func TestTornTailExhaustive(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	// Small records, one crossing a block boundary, an empty one, and
	// block tail padding.
	recs := [][]byte{record(10, 1), record(0, 2), record(BlockSize-400, 3), record(300, 4), record(0, 5), record(3, 6)}
	data := writeLog(t, 1, recs)
	full := readLog(data, 1)
	for cut := int64(0); cut <= int64(len(data)); cut++ {
		checkPrefix(t, "truncated", data, data[:cut], 1, full, cut)
	}
}

func TestMiddleCorruption(t *testing.T) {
	for seed := range 4 {
		rng := rand.New(rand.NewPCG(uint64(seed), 2))
		recs := randomRecords(rng, 4*BlockSize)
		data := writeLog(t, 4, recs)
		full := readLog(data, 4)
		for range 200 {
			i := rng.IntN(len(recs) - 1) // never the final record
			// Flip a byte inside the first chunk of record i.
			off := full.offs[i]
			first, ok := validChunk(data[off:min(int64(len(data)), (off/BlockSize+1)*BlockSize)], chunkLogNum(4))
			if !ok {
				t.Fatalf("no chunk at offset %d", off)
			}
			pos := off + rng.Int64N(int64(len(first)))
			bad := bytes.Clone(data)
			bad[pos] ^= byte(1 + rng.IntN(255))
			res := readLog(bad, 4)
			if !errors.Is(res.err, base.ErrCorruption) {
				t.Fatalf("record %d of %d damaged at %d: ended with %v after %d records", i, len(recs), pos, res.err, len(res.records))
			}
			if len(res.records) != i {
				t.Fatalf("record %d damaged: read %d records before the error", i, len(res.records))
			}
			for j := range i {
				if !bytes.Equal(res.records[j], recs[j]) {
					t.Fatalf("record %d differs", j)
				}
			}
		}
	}
}

// TestReaderReadError checks that an I/O error is reported as such.
func TestReaderReadError(t *testing.T) {
	data := writeLog(t, 2, [][]byte{record(BlockSize*2, 1)})
	errBoom := errors.New("boom")
	r := NewReader(io.MultiReader(bytes.NewReader(data[:BlockSize]), &errReader{errBoom}), 2)
	if _, err := r.Next(); !errors.Is(err, errBoom) {
		t.Fatalf("got %v, want %v", err, errBoom)
	}
	if _, err := r.Next(); !errors.Is(err, errBoom) {
		t.Fatalf("error not sticky: %v", err)
	}
}

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }
