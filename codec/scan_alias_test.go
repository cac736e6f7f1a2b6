package codec

import (
	"fmt"
	"testing"
)

// reusingStore is a MemStore whose iterators return keys and values from
// buffers they overwrite on every move, as engine iterators may: a caller
// that keeps Key() across a move sees another key.
type reusingStore struct{ *MemStore }

type reusingIter struct {
	Iterator
	key, val []byte
}

func (s reusingStore) NewIter(lower, upper []byte) (Iterator, error) {
	it, err := s.MemStore.NewIter(lower, upper)
	return &reusingIter{Iterator: it}, err
}

func (it *reusingIter) load(ok bool) bool {
	if ok {
		it.key = append(it.key[:0], it.Iterator.Key()...)
		it.val = append(it.val[:0], it.Iterator.Value()...)
	}
	return ok
}

func (it *reusingIter) SeekGE(k []byte) bool { return it.load(it.Iterator.SeekGE(k)) }
func (it *reusingIter) SeekLT(k []byte) bool { return it.load(it.Iterator.SeekLT(k)) }
func (it *reusingIter) First() bool          { return it.load(it.Iterator.First()) }
func (it *reusingIter) Last() bool           { return it.load(it.Iterator.Last()) }
func (it *reusingIter) Next() bool           { return it.load(it.Iterator.Next()) }
func (it *reusingIter) Prev() bool           { return it.load(it.Iterator.Prev()) }
func (it *reusingIter) Key() []byte          { return it.key }
func (it *reusingIter) Value() []byte        { return it.val }

// TestScanCursorsSurviveKeyReuse: SCAN and HSCAN save their position after
// the loop has moved the iterator once more; the saved key must be a copy,
// or every call skips the key after its window (a bug found by the
// differential test once tables reused their key buffers).
func TestScanCursorsSurviveKeyReuse(t *testing.T) {
	ks := New(reusingStore{NewMemStore()}, nil)
	db := ks.DB(0)
	const n = 20
	var pairs [][]byte
	for i := range n {
		if _, err := db.Set(fmt.Appendf(nil, "k%02d", i), []byte("v"), SetOptions{}); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, fmt.Appendf(nil, "f%02d", i), []byte("v"))
	}
	if _, err := db.HSet([]byte("h"), pairs); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for cursor, calls := uint64(0), 0; ; calls++ {
		next, keys, err := db.Scan(cursor, ScanOptions{Count: 3})
		if err != nil || calls > 100 {
			t.Fatal(err, calls)
		}
		for _, k := range keys {
			seen[string(k)] = true
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	if len(seen) != n+1 {
		t.Fatalf("SCAN returned %d of %d keys", len(seen), n+1)
	}
	fields := map[string]bool{}
	for cursor, calls := uint64(0), 0; ; calls++ {
		res, err := db.HScan([]byte("h"), cursor, nil, 3, false)
		if err != nil || calls > 100 {
			t.Fatal(err, calls)
		}
		for i := 0; i < len(res.Items); i += 2 {
			fields[string(res.Items[i])] = true
		}
		if cursor = res.Cursor; cursor == 0 {
			break
		}
	}
	if len(fields) != n {
		t.Fatalf("HSCAN returned %d of %d fields", len(fields), n)
	}
}
