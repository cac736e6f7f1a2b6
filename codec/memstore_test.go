package codec

import (
	"errors"
	"testing"
)

func TestMemStore(t *testing.T) {
	s := NewMemStore()
	if _, err := s.Get(b("a")); !errors.Is(err, ErrNotFound) {
		t.Fatal("Get on empty store")
	}
	bt := s.NewBatch()
	for _, k := range []string{"c", "a", "e", "b", "d"} {
		bt.Set(b(k), b("v"+k))
	}
	bt.Delete(b("d"))
	if err := s.Commit(bt); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(bt); err == nil {
		t.Fatal("batch committed twice")
	}
	v, err := s.Get(b("c"))
	if err != nil || string(v) != "vc" {
		t.Fatal("Get")
	}
	v[0] = 'X' // a fresh copy
	if v2, _ := s.Get(b("c")); string(v2) != "vc" {
		t.Fatal("Get returned a shared slice")
	}
	it, _ := s.NewIter(b("b"), b("e"))
	var got []string
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, string(it.Key()))
	}
	if len(got) != 2 || got[0] != "b" || got[1] != "c" {
		t.Fatalf("bounded iteration = %q", got)
	}
	if !it.Last() || string(it.Key()) != "c" || !it.Prev() || string(it.Key()) != "b" || it.Prev() {
		t.Fatal("Last/Prev")
	}
	if !it.SeekGE(b("bb")) || string(it.Key()) != "c" || !it.SeekLT(b("c")) || string(it.Key()) != "b" || it.SeekLT(b("b")) {
		t.Fatal("SeekGE/SeekLT")
	}
	// The iterator reads a snapshot.
	bt = s.NewBatch()
	bt.DeleteRange(b("a"), b("z"))
	s.Commit(bt)
	if !it.First() || string(it.Key()) != "b" {
		t.Fatal("iterator lost its snapshot")
	}
	if it.Close() != nil || it.Close() == nil {
		t.Fatal("Close")
	}
	if s.Len() != 0 {
		t.Fatal("DeleteRange")
	}
}
