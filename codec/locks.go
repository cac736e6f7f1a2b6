package codec

import (
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
)

// Locks is a fixed set of striped mutexes for per-key write locking. Keys are
// hashed to stripes; Lock takes the stripes of all its keys in ascending
// stripe order, once each, so two multi-key commands can never deadlock and
// a command naming a key twice does not lock itself. Two keys sharing a
// stripe merely serialize.
//
// Write paths lock the encoded metadata keys (m|db|userkey), so the same user
// key in two databases are different lock keys.
type Locks struct {
	// held marks the lock set of a transaction's keyspace, whose caller
	// already holds every stripe: Lock and LockAll do nothing.
	held    bool
	seed    maphash.Seed
	mask    uint64
	stripes []paddedMutex
}

// paddedMutex keeps neighbouring stripes on separate cache lines. unlock
// is its Unlock method value, made once so that Lock of one key returns it
// without allocating a closure per call. waiters counts the callers
// waiting for it (Contended).
type paddedMutex struct {
	sync.Mutex
	unlock  func()
	waiters atomic.Int32
	_       [44]byte
}

// lock locks m, counting the caller among its waiters if it has to wait.
func (m *paddedMutex) lock() {
	if m.TryLock() {
		return
	}
	m.waiters.Add(1)
	m.Lock()
	m.waiters.Add(-1)
}

// DefaultLockStripes is the stripe count used when Options.LockStripes is 0.
// A MSET of ten keys by each of 50 clients collides with another on almost
// every command at 1,024 stripes, on about one in four at 16,384. EXEC takes
// only its keys' stripes when it can (server.execLock), so the cost of
// LockAll (about 9 ns a stripe) falls on FLUSHDB, FLUSHALL, SWAPDB and
// the transactions that name no keys.
const DefaultLockStripes = 16384

// NewLocks returns a Locks with n stripes, rounded up to a power of two
// (n <= 0 means DefaultLockStripes).
func NewLocks(n int) *Locks {
	if n <= 0 {
		n = DefaultLockStripes
	}
	size := 1
	for size < n {
		size <<= 1
	}
	l := &Locks{seed: maphash.MakeSeed(), mask: uint64(size - 1), stripes: make([]paddedMutex, size)}
	for i := range l.stripes {
		l.stripes[i].unlock = l.stripes[i].Unlock
	}
	return l
}

// Stripe returns the stripe index of key.
func (l *Locks) Stripe(key []byte) int { return l.stripe(key) }

func (l *Locks) stripe(key []byte) int {
	return int(maphash.Bytes(l.seed, key) & l.mask)
}

// noUnlock is the unlock function of a lock that took nothing.
func noUnlock() {}

// Lock locks the stripes of keys and returns the function that unlocks them.
// The unlock function must be called exactly once. Locking one key
// allocates nothing.
func (l *Locks) Lock(keys ...[]byte) (unlock func()) {
	if l.held {
		return noUnlock
	}
	switch len(keys) {
	case 0:
		return noUnlock
	case 1:
		m := &l.stripes[l.stripe(keys[0])]
		m.lock()
		return m.unlock
	}
	idx := l.LockInto(make([]int, 0, len(keys)), keys...)
	return func() { l.UnlockStripes(idx) }
}

// LockInto is Lock for a caller that keeps the stripes itself: it locks
// the stripes of keys, in ascending order and once each, and returns them
// in idx's storage (which the caller may have on its stack) for
// UnlockStripes. It allocates nothing when idx has room.
func (l *Locks) LockInto(idx []int, keys ...[]byte) []int {
	idx = idx[:0]
	if l.held {
		return idx
	}
	for _, k := range keys {
		idx = append(idx, l.stripe(k))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		l.stripes[i].lock()
	}
	return idx
}

// TryLockStripe locks stripe i (a Stripe result) if it is free, without
// waiting, and reports whether it did: a caller that already holds stripes
// in no particular order may take one more this way without risking a
// deadlock (a run of writes to distinct keys, server/keybatch.go). Release
// it with UnlockStripe or UnlockStripes.
func (l *Locks) TryLockStripe(i int) bool { return l.stripes[i].TryLock() }

// LockStripe locks stripe i, waiting for it: for a caller that holds no
// other stripe. Release it with UnlockStripe or UnlockStripes.
func (l *Locks) LockStripe(i int) { l.stripes[i].lock() }

// Contended reports whether a caller is waiting for stripe i: a holder
// that could pass the stripe straight on to another (server/combine.go)
// releases it instead, so that a lock waiter is not passed over for ever.
func (l *Locks) Contended(i int) bool { return l.stripes[i].waiters.Load() > 0 }

// UnlockStripe unlocks stripe i, taken with LockStripe or TryLockStripe.
func (l *Locks) UnlockStripe(i int) { l.stripes[i].Unlock() }

// UnlockStripes unlocks the stripes LockInto returned.
func (l *Locks) UnlockStripes(idx []int) {
	for j := len(idx) - 1; j >= 0; j-- {
		l.stripes[idx[j]].Unlock()
	}
}

// LockAll locks every stripe in order (FLUSHDB, FLUSHALL) and returns the
// function that unlocks them.
func (l *Locks) LockAll() (unlock func()) {
	if l.held {
		return noUnlock
	}
	for i := range l.stripes {
		l.stripes[i].lock()
	}
	return func() {
		for i := len(l.stripes) - 1; i >= 0; i-- {
			l.stripes[i].Unlock()
		}
	}
}
