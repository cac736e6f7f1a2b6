package server

import (
	"sync"
	"sync/atomic"

	"github.com/strata-db/strata/codec"
)

// keyEvents is the keyspace's Notifier: it marks WATCHing clients dirty and
// queues keys that clients are blocked on (BLPOP, BZPOPMIN, ...) as ready.
// Both registries use physical database numbers, as the keyspace reports
// them.
type keyEvents struct {
	// active counts watched keys plus blocked waiters, so that writes skip
	// all bookkeeping while nobody watches or blocks.
	active atomic.Int64
	// anyReady is set when ready holds a key, read without mu after every
	// command.
	anyReady atomic.Bool

	mu sync.Mutex
	// watch maps a watched key to its watchers and, for each, whether the
	// key was stored when watched (see Modified).
	watch   map[dbKey]map[*client]bool
	blocked map[dbKey][]*waiter // FIFO per key
	ready   map[dbKey]struct{}
}

type dbKey struct {
	db  int // physical
	key string
}

func newKeyEvents() *keyEvents {
	return &keyEvents{
		watch:   map[dbKey]map[*client]bool{},
		blocked: map[dbKey][]*waiter{},
		ready:   map[dbKey]struct{}{},
	}
}

var _ codec.Notifier = (*keyEvents)(nil)

// Active implements codec.Notifier.
func (e *keyEvents) Active() bool { return e.active.Load() > 0 }

// Modified implements codec.Notifier. It runs while the writer holds the
// key's stripe: it only flags, never calls back into the keyspace.
func (e *keyEvents) Modified(db int, key []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if key != nil {
		k := dbKey{db, string(key)}
		for c := range e.watch[k] {
			c.watchDirty.Store(true)
		}
		if len(e.blocked[k]) > 0 {
			e.ready[k] = struct{}{}
			e.anyReady.Store(true)
		}
		return
	}
	// FLUSHDB, FLUSHALL, SWAPDB: like Redis, only watched keys that exist
	// are touched. A key stored when watched and not written since (a
	// write has flagged its watchers already) is exactly such a key.
	for k, cs := range e.watch {
		if db == codec.AllDBs || k.db == db {
			for c, stored := range cs {
				if stored {
					c.watchDirty.Store(true)
				}
			}
		}
	}
	for k := range e.blocked {
		if db == codec.AllDBs || k.db == db {
			e.ready[k] = struct{}{}
			e.anyReady.Store(true)
		}
	}
}

// watchKey registers c as watching k; stored tells whether k was stored.
func (e *keyEvents) watchKey(c *client, k dbKey, stored bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cs := e.watch[k]
	if cs == nil {
		cs = map[*client]bool{}
		e.watch[k] = cs
	}
	if _, dup := cs[c]; !dup {
		cs[c] = stored
		e.active.Add(1)
	}
}

// unwatchAll removes every watch of c.
func (e *keyEvents) unwatchAll(c *client, keys []watchedKey) {
	if len(keys) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, w := range keys {
		cs := e.watch[w.k]
		if _, ok := cs[c]; ok {
			delete(cs, c)
			e.active.Add(-1)
			if len(cs) == 0 {
				delete(e.watch, w.k)
			}
		}
	}
}
