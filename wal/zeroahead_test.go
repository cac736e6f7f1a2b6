package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

// posFile is an in-memory file with a file offset, as an *os.File: Write
// writes at the offset and moves it, WriteAt writes anywhere and leaves it.
// It records a WriteAt that lands below the offset, where the log's
// records are.
type posFile struct {
	mu        sync.Mutex
	data      []byte
	pos       int
	writeAts  int
	clobbered error // the first WriteAt below pos
	atErr     error // returned by every WriteAt once set
}

func (f *posFile) writeAtLocked(p []byte, off int) {
	if end := off + len(p); end > len(f.data) {
		f.data = append(f.data, make([]byte, end-len(f.data))...)
	}
	copy(f.data[off:], p)
}

func (f *posFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeAtLocked(p, f.pos)
	f.pos += len(p)
	return len(p), nil
}

func (f *posFile) WriteAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeAts++
	if f.atErr != nil {
		return 0, f.atErr
	}
	if int(off) < f.pos && f.clobbered == nil {
		f.clobbered = fmt.Errorf("WriteAt at %d, below the log's end %d", off, f.pos)
	}
	f.writeAtLocked(p, int(off))
	return len(p), nil
}

func (f *posFile) Sync() error  { return nil }
func (f *posFile) Close() error { return nil }

// readBack returns the records of log logNum in data, failing the test on
// anything but a clean end.
func readBack(t *testing.T, data []byte, logNum base.FileNum) [][]byte {
	t.Helper()
	r := NewReader(bytes.NewReader(data), logNum)
	var recs [][]byte
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs
		}
		if err != nil {
			t.Fatalf("reading the log back after %d records: %v", len(recs), err)
		}
		recs = append(recs, bytes.Clone(rec))
	}
}

// TestZeroAhead: with ZeroAhead, the file is zeros from the log's end to
// within ZeroAheadLead past it, the zeros never land on a record (from
// concurrent appenders, in groups of every size), and the log reads back
// whole, its end found at the zeros.
func TestZeroAhead(t *testing.T) {
	f := &posFile{}
	w := NewWriter(f, 7, WriterOptions{ZeroAhead: true})
	const goroutines, perG = 8, 300
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				// Sizes from a few bytes to past a block, so that groups
				// end anywhere in a block and some span blocks.
				rec := bytes.Repeat([]byte{byte(g)}, recSize(g, i))
				copy(rec, fmt.Sprintf("%d/%d", g, i))
				if err := w.Write(rec, false); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	size := w.Size()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if f.clobbered != nil {
		t.Fatal(f.clobbered)
	}
	if f.writeAts == 0 {
		t.Fatal("no zeros were written ahead")
	}
	data := f.data
	if ahead := int64(len(data)) - size; ahead <= 0 || ahead > ZeroAheadLead {
		t.Fatalf("the file ends %d bytes past the log, want (0, %d]", ahead, ZeroAheadLead)
	}
	if tail := data[size:]; !bytes.Equal(tail, make([]byte, len(tail))) {
		t.Fatal("the bytes past the log's end are not all zeros")
	}
	recs := readBack(t, data, 7)
	if len(recs) != goroutines*perG {
		t.Fatalf("read back %d records, want %d", len(recs), goroutines*perG)
	}
	next := make([]int, goroutines) // each goroutine's records in order
	for _, rec := range recs {
		var g, i int
		if _, err := fmt.Sscanf(string(rec), "%d/%d", &g, &i); err != nil || g < 0 || g >= goroutines || i != next[g] {
			t.Fatalf("record %.20q out of place (next of goroutine %d is %d)", rec, g, next[g])
		}
		if want := recSize(g, i); len(rec) != want || rec[len(rec)-1] != byte(g) {
			t.Fatalf("record %d/%d is %d bytes, want %d", g, i, len(rec), want)
		}
		next[g]++
	}
}

// recSize is the size of goroutine g's record i in TestZeroAhead: room for
// its "g/i" name and a last byte of g's, up to past a block.
func recSize(g, i int) int { return 16 + (i*397+g*31)%(BlockSize+5000) }

// TestZeroAheadKeepsLead: once the lead is reached, a leader writes zeros
// only every few groups, and the zeros stay ahead of the log's end.
func TestZeroAheadKeepsLead(t *testing.T) {
	f := &posFile{}
	w := NewWriter(f, 3, WriterOptions{ZeroAhead: true})
	rec := make([]byte, 1000)
	const n = 5000 // about 5 MB: the lead refilled a few dozen times
	for i := range n {
		if err := w.Write(rec, false); err != nil {
			t.Fatal(err)
		}
		if ahead := int64(len(f.data)) - w.Size(); i > ZeroAheadLead/len(rec) && ahead < ZeroAheadLead/2 {
			t.Fatalf("after %d records the zeros reach %d bytes past the log, want at least %d", i+1, ahead, ZeroAheadLead/2)
		}
	}
	// Every zero chunk is written once: the log's bytes plus the lead.
	if max := (int(w.Size())+ZeroAheadLead)/zeroChunk + 1; f.writeAts > max {
		t.Fatalf("%d zero writes for %d log bytes, want at most %d", f.writeAts, w.Size(), max)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := len(readBack(t, f.data, 3)); got != n {
		t.Fatalf("read back %d records, want %d", got, n)
	}
}

// TestZeroAheadOff: without the option, or on a file that cannot write at
// an offset, nothing is written past the log.
func TestZeroAheadOff(t *testing.T) {
	f := &posFile{}
	w := NewWriter(f, 1, WriterOptions{})
	appendAndWait(t, w, 100, false)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if f.writeAts != 0 || int64(len(f.data)) != w.Size() {
		t.Fatalf("without ZeroAhead: %d WriteAt calls, file %d bytes for a log of %d", f.writeAts, len(f.data), w.Size())
	}
	tf := newTestFile() // no WriteAt
	w = NewWriter(tf, 1, WriterOptions{ZeroAhead: true})
	appendAndWait(t, w, 100, false)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := int64(len(tf.bytes())); got != w.Size() {
		t.Fatalf("file %d bytes for a log of %d", got, w.Size())
	}
}

// TestZeroAheadError: a failed zero write stops the zeroing and nothing
// else: the records are acknowledged and read back.
func TestZeroAheadError(t *testing.T) {
	f := &posFile{atErr: errors.New("no space left on device")}
	w := NewWriter(f, 2, WriterOptions{ZeroAhead: true})
	for range 200 {
		if err := w.Write([]byte("record"), false); err != nil {
			t.Fatalf("a failed zero write failed a record: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if f.writeAts != 1 {
		t.Fatalf("%d zero writes tried, want 1 (the first failure stops them)", f.writeAts)
	}
	if got := len(readBack(t, f.data, 2)); got != 200 {
		t.Fatalf("read back %d records, want 200", got)
	}
}
