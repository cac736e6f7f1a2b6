// Regressions found by fuzz/FuzzEngine.

package lsm

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/vfs"
)

// TestIterEmptyKey pins a bug found by fuzz/FuzzEngine: Next after the
// empty user key saved it as a nil slice, took nil for "nothing to skip"
// and returned the empty key forever.
func TestIterEmptyKey(t *testing.T) {
	d := openMem(t, vfs.NewMem(), nil)
	defer d.Close()
	for _, k := range []string{"", "a", "b"} {
		if err := d.Set([]byte(k), []byte("v"+k), nil); err != nil {
			t.Fatal(err)
		}
	}
	scan := func() string {
		it, err := d.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		var fwd, back []string
		for ok := it.First(); ok && len(fwd) < 10; ok = it.Next() {
			fwd = append(fwd, fmt.Sprintf("%q", it.Key()))
		}
		for ok := it.Last(); ok && len(back) < 10; ok = it.Prev() {
			back = append(back, fmt.Sprintf("%q", it.Key()))
		}
		slices.Reverse(back)
		// Turn around on the empty key: Prev past it, then Next.
		it.SeekGE(nil)
		it.Next()
		it.Prev()
		turned := it.Next() && string(it.Key()) == "a"
		return fmt.Sprintf("%v %v %v", fwd, back, turned)
	}
	want := `["" "a" "b"] ["" "a" "b"] true`
	if got := scan(); got != want {
		t.Fatalf("memtable: %s, want %s", got, want)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := scan(); got != want {
		t.Fatalf("table: %s, want %s", got, want)
	}
}

// TestEmptyRangeDeletion pins a bug found by fuzz/FuzzEngine: a range
// deletion with start >= end went into the memtable, and its flush failed
// (the table writer refuses empty ranges), turning the DB read-only. Such a
// range deletes nothing, before and after a flush and a reopen.
func TestEmptyRangeDeletion(t *testing.T) {
	fs := vfs.NewMem()
	d := openMem(t, fs, nil)
	for _, k := range []string{"a", "k", "z"} {
		if err := d.Set([]byte(k), []byte("v"), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range [][2]string{{"k", "k"}, {"z", "a"}, {"", ""}} {
		if err := d.DeleteRange([]byte(r[0]), []byte(r[1]), nil); err != nil {
			t.Fatal(err)
		}
	}
	b := d.NewBatch()
	b.DeleteRange([]byte("q"), []byte("b"))
	b.Set([]byte("b"), []byte("v"))
	if err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, k := range []string{"a", "b", "k", "z"} {
			if _, err := d.Get([]byte(k)); err != nil {
				t.Fatalf("%s: Get(%q): %v", when, k, err)
			}
		}
	}
	check("in the memtable")
	if err := d.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	check("after a flush")
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = openMem(t, fs, nil)
	defer d.Close()
	check("after a reopen")
	if err := d.Set([]byte("after"), nil, nil); err != nil {
		t.Fatalf("write after the flush: %v", err)
	}
}

// TestCompactionEmptyKeyVersions pins a bug found by fuzz/FuzzEngine: the
// compaction loop took a nil current key for "no key yet", so every version
// of the empty key looked like a new key. A bottommost compaction dropped
// the tombstone of "" and kept the older value under it, which came back.
func TestCompactionEmptyKeyVersions(t *testing.T) {
	d := openMem(t, vfs.NewMem(), nil)
	defer d.Close()
	b := d.NewBatch()
	b.Set(nil, []byte("old"))
	b.Delete(nil)
	if err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Set([]byte(""), []byte("older"), nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"newer", ""} {
		if v == "" {
			if err := d.Delete(nil, nil); err != nil {
				t.Fatal(err)
			}
		} else if err := d.Set(nil, []byte(v), nil); err != nil {
			t.Fatal(err)
		}
		if err := d.Compact(nil, nil); err != nil {
			t.Fatal(err)
		}
		got, err := d.Get(nil)
		if v == "" && !errors.Is(err, ErrNotFound) || v != "" && (err != nil || string(got) != v) {
			t.Fatalf("after writing %q and compacting: Get(\"\") = %q, %v", v, got, err)
		}
	}
}

// TestDecodeBatchOverlongLength pins a bug found by fuzz/FuzzBatch:
// DecodeBatch accepted a length written in more bytes than needed (0x80
// 0x00 for 0), so a decoded batch re-encoded to other bytes.
func TestDecodeBatchOverlongLength(t *testing.T) {
	b := new(Batch)
	b.Set([]byte("k"), nil)
	repr := b.Repr()
	if _, err := DecodeBatch(repr); err != nil {
		t.Fatalf("canonical batch: %v", err)
	}
	// The value's length, 0, is the last byte: write it as 0x80 0x00.
	overlong := append(bytes.Clone(repr[:len(repr)-1]), 0x80, 0x00)
	if _, err := DecodeBatch(overlong); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("overlong length: DecodeBatch = %v, want corruption", err)
	}
}
