package lsm

import (
	"github.com/strata-db/strata/internal/base"
)

// Snapshot is a consistent, read-only view of the DB at the moment it was
// taken. Reads through it ignore every later write. Close it when done: an
// open snapshot keeps compactions from dropping the versions it can see.
type Snapshot struct {
	db         *DB
	seq        base.SeqNum
	prev, next *Snapshot
	closed     bool
}

// NewSnapshot takes a snapshot of the current state.
func (d *DB) NewSnapshot() *Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := &Snapshot{db: d, seq: base.SeqNum(d.visibleSeq.Load())}
	d.mu.snapshots.pushBack(s)
	return s
}

// Get returns the value of key as of the snapshot.
func (s *Snapshot) Get(key []byte) ([]byte, error) {
	return s.db.get(nil, key, s.seq)
}

// NewIter returns an iterator over the snapshot.
func (s *Snapshot) NewIter(o *IterOptions) (*Iterator, error) {
	return s.db.newIter(o, s.seq)
}

// Close releases the snapshot.
func (s *Snapshot) Close() error {
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	s.db.mu.snapshots.remove(s)
	return nil
}

// snapshotList is a doubly linked list of open snapshots, oldest first.
type snapshotList struct{ root Snapshot }

func (l *snapshotList) init() { l.root.next, l.root.prev = &l.root, &l.root }

func (l *snapshotList) pushBack(s *Snapshot) {
	s.prev, s.next = l.root.prev, &l.root
	s.prev.next, s.next.prev = s, s
}

func (l *snapshotList) remove(s *Snapshot) {
	s.prev.next, s.next.prev = s.next, s.prev
	s.prev, s.next = nil, nil
}

func (l *snapshotList) count() int {
	n := 0
	for s := l.root.next; s != &l.root; s = s.next {
		n++
	}
	return n
}

// seqs returns the sequence numbers of the open snapshots, oldest first.
func (l *snapshotList) seqs() []base.SeqNum {
	var out []base.SeqNum
	for s := l.root.next; s != &l.root; s = s.next {
		out = append(out, s.seq)
	}
	return out
}
