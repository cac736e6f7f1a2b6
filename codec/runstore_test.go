package codec

import (
	"errors"
	"testing"
)

// commitCounter is a MemStore that counts its commits.
type commitCounter struct {
	*MemStore
	commits int
}

func (c *commitCounter) Commit(b Batch) error {
	c.commits++
	return c.MemStore.Commit(b)
}

// noMerge is a Store that cannot merge batches.
type noMerge struct{ Store }

// TestRunStore: a run keyspace's commands commit into the RunStore, whose
// reads do not see them; CommitTransaction commits them to the base as one
// batch and applies their key counts; the keyspace then serves another run
// (Renew).
func TestRunStore(t *testing.T) {
	if NewRunStore(noMerge{NewMemStore()}) != nil {
		t.Fatal("a RunStore over a store that cannot merge batches")
	}
	base := &commitCounter{MemStore: NewMemStore()}
	ks := New(base, nil)
	rs := NewRunStore(base)
	run := ks.InRun(rs)
	for _, k := range []string{"a", "b", "c"} {
		if _, err := run.DB(0).Set(b(k), b("v"), SetOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Get(MetaKey(0, b(k))); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the run's read of %s: %v, want not found (reads go to the base)", k, err)
		}
	}
	if base.commits != 0 || ks.DB(0).DBSize() != 0 {
		t.Fatalf("%d commits and %d keys before the run's end", base.commits, ks.DB(0).DBSize())
	}
	if err := run.CommitTransaction(); err != nil {
		t.Fatal(err)
	}
	if base.commits != 1 || ks.DB(0).DBSize() != 3 {
		t.Fatalf("after the run: %d commits, %d keys; want 1, 3", base.commits, ks.DB(0).DBSize())
	}
	// The commit emptied the run: committing again commits nothing.
	run.Renew()
	if err := run.CommitTransaction(); err != nil || base.commits != 1 {
		t.Fatalf("an empty run: %v, %d commits; want 1", err, base.commits)
	}
	for _, k := range []string{"a", "b", "c"} {
		if v, ok, err := ks.DB(0).Get(b(k)); err != nil || !ok || string(v) != "v" {
			t.Fatalf("GET %s = %q %v %v", k, v, ok, err)
		}
	}

	// The next run, on the same keyspace: one commit again, counts right.
	run.Renew()
	if _, err := run.DB(0).Del(b("a"), b("d")); err != nil {
		t.Fatal(err)
	}
	if _, err := run.DB(0).Set(b("e"), b("v"), SetOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := run.CommitTransaction(); err != nil {
		t.Fatal(err)
	}
	if base.commits != 2 || ks.DB(0).DBSize() != 3 {
		t.Fatalf("after the second run: %d commits, %d keys; want 2, 3", base.commits, ks.DB(0).DBSize())
	}
}

// sizedBatch is a MemStore batch that reports a size, as the engine's do.
type sizedBatch struct {
	*memBatch
	size int
}

func (b *sizedBatch) Len() int { return b.size }
func (b *sizedBatch) Set(k, v []byte) {
	b.memBatch.Set(k, v)
	b.size += len(k) + len(v)
}
func (b *sizedBatch) Reset() { b.ops, b.size, b.committed = b.ops[:0], 0, false }

// sizedStore makes sizedBatches, whose size is the bytes of their values.
type sizedStore struct{ *MemStore }

func (s sizedStore) NewBatch() Batch { return &sizedBatch{memBatch: &memBatch{}} }
func (s sizedStore) Commit(b Batch) error {
	if sb, ok := b.(*sizedBatch); ok {
		b = sb.memBatch
	}
	return s.MemStore.Commit(b)
}
func (s sizedStore) MergeBatch(dst, src Batch) {
	d, o := dst.(*sizedBatch), src.(*sizedBatch)
	s.MemStore.MergeBatch(d.memBatch, o.memBatch)
	for _, op := range o.ops {
		d.size += len(op.key) + len(op.val)
	}
}

// TestRunStoreKeepsSmallBatches: the run batch, and the run keyspace's
// write batch, are kept for the next run unless they grew past maxKeptRun.
func TestRunStoreKeepsSmallBatches(t *testing.T) {
	base := sizedStore{NewMemStore()}
	rs := NewRunStore(base)
	run := New(base, nil).InRun(rs)
	for _, size := range []int{10, maxKeptRun + 1} {
		run.Renew()
		if _, err := run.DB(0).Set(b("k"), make([]byte, size), SetOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := run.CommitTransaction(); err != nil {
			t.Fatal(err)
		}
		if kept := rs.run != nil; kept != (size <= maxKeptRun) {
			t.Errorf("a run of %d bytes: batch kept %v", size, kept)
		}
		// The run keyspace's own write batch and encoding buffer too.
		w := run.spare
		if w == nil {
			t.Fatalf("a run of %d bytes: no write batch kept", size)
		}
		if kept := w.Batch != nil; kept != (size <= maxKeptRun) {
			t.Errorf("a run of %d bytes: the keyspace's store batch kept %v", size, kept)
		}
		if cap(w.enc) > maxKeptRun {
			t.Errorf("a run of %d bytes: the keyspace keeps %d bytes of encodings", size, cap(w.enc))
		}
	}
}
