package sstable

import (
	"errors"
	"fmt"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
)

func smallTable(t testing.TB, c Compression) ([]itertest.Entry, *memFile) {
	t.Helper()
	var es []itertest.Entry
	for i := 0; i < 40; i++ {
		es = append(es, itertest.Entry{
			Key:   base.MakeInternalKey([]byte(fmt.Sprintf("key%03d", i)), base.SeqNum(i+1), base.InternalKeyKindSet),
			Value: []byte(fmt.Sprintf("value-%d-%s", i, "aaaaaaaaaaaaaaaaaaaaaaaaaaaa")),
		})
	}
	es = append(es, itertest.Entry{Key: base.MakeInternalKey([]byte("key100"), 50, base.InternalKeyKindRangeDelete), Value: []byte("key200")})
	f, _, err := buildTable(es, WriterOptions{BlockSize: 128, BlockRestartInterval: 4, Compression: c})
	if err != nil {
		t.Fatal(err)
	}
	return es, f
}

// readAll opens the table and reads everything in it, returning the first
// error.
func readAll(f *memFile, keys []itertest.Entry) error {
	r, err := NewReader(f, ReaderOptions{})
	if err != nil {
		return err
	}
	defer r.Close()
	it, _ := r.NewIter(nil, nil)
	if _, err := itertest.Collect(it); err != nil {
		it.Close()
		return err
	}
	for ok := it.Last(); ok; ok = it.Prev() {
	}
	if err := it.Close(); err != nil {
		return err
	}
	if rd, _ := r.NewRangeDelIter(); rd != nil {
		if _, err := itertest.Collect(rd); err != nil {
			return err
		}
	}
	for _, e := range keys {
		if _, _, _, err := r.Get(nil, e.Key.UserKey, base.SeqNumMax); err != nil {
			return err
		}
	}
	return nil
}

// TestEveryByteFlipDetected flips each byte of a table in turn: every flip
// must surface as an ErrCorruption-class error, from NewReader or from a
// read, never as garbage or a panic.
func TestEveryByteFlipDetected(t *testing.T) {
	for _, c := range []Compression{NoCompression, FastCompression, ZstdCompression} {
		es, f := smallTable(t, c)
		if err := readAll(f.reopen(), es); err != nil {
			t.Fatal(err)
		}
		for i := range f.data {
			g := f.reopen()
			g.data[i] ^= 0x41
			err := readAll(g, es)
			if !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("%s: flip at %d of %d: %v", c, i, len(f.data), err)
			}
		}
	}
}

func TestCorruptDataBlock(t *testing.T) {
	es, f := smallTable(t, NoCompression)
	f.data[5] ^= 0xff // inside the first data block, which starts at 0
	r, err := NewReader(f, ReaderOptions{Cache: NewCache(1 << 20)})
	if err != nil {
		t.Fatalf("meta blocks are intact, NewReader must succeed: %v", err)
	}
	defer r.Close()
	_, _, _, err = r.Get(nil, es[0].Key.UserKey, base.SeqNumMax)
	if !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("Get: %v", err)
	}
	// A key in a later block is still readable.
	v, _, found, err := r.Get(nil, es[39].Key.UserKey, base.SeqNumMax)
	if err != nil || !found || string(v) != string(es[39].Value) {
		t.Fatalf("Get of an intact block: %q %v %v", v, found, err)
	}
	it, _ := r.NewIter(nil, nil)
	if it.First() || !errors.Is(it.Error(), base.ErrCorruption) {
		t.Fatalf("First: %v", it.Error())
	}
	if it.SeekGE([]byte("key039")) {
		t.Fatal("an iterator that hit an error stays invalid")
	}
	if err := it.Close(); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("Close: %v", err)
	}
	// Iterating backwards reaches the bad block last.
	it, _ = r.NewIter(nil, nil)
	n := 0
	for ok := it.Last(); ok; ok = it.Prev() {
		n++
	}
	if n == 0 || !errors.Is(it.Error(), base.ErrCorruption) {
		t.Fatalf("backward: %d entries, %v", n, it.Error())
	}
	it.Close()
}

func TestTruncatedAndBadFooter(t *testing.T) {
	es, f := smallTable(t, FastCompression)
	for n := 0; n < len(f.data); n++ {
		g := &memFile{data: append([]byte(nil), f.data[:n]...)}
		if err := readAll(g, es); !errors.Is(err, base.ErrCorruption) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	g := f.reopen()
	g.data[len(g.data)-1] ^= 1
	if _, err := NewReader(g, ReaderOptions{}); !errors.Is(err, ErrBadMagic) || !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("bad magic: %v", err)
	}
	if _, err := NewReader(&memFile{}, ReaderOptions{}); !errors.Is(err, ErrTruncated) {
		t.Fatalf("empty file: %v", err)
	}
	other := &base.Comparer{Compare: base.DefaultComparer.Compare, Separator: base.DefaultComparer.Separator,
		Successor: base.DefaultComparer.Successor, Name: "other"}
	if _, err := NewReader(f.reopen(), ReaderOptions{Comparer: other}); !errors.Is(err, ErrComparerMismatch) {
		t.Fatalf("comparer: %v", err)
	}
}
