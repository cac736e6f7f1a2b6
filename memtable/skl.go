package memtable

import (
	"bytes"
	"math"
	"math/rand/v2"
	"sync/atomic"

	"github.com/strata-db/strata/internal/base"
)

// skiplist is a lock-free skiplist of internal keys whose nodes live in an
// arena. Readers never block; inserts link nodes with compare-and-swap, one
// level at a time from the bottom, so several inserts may run at once.
//
// Level 0 is a doubly linked list: besides its next link, every node has a
// prev link, maintained with compare-and-swap by the inserters (see add). A
// prev link may lag behind an insert in flight, pointing at an older
// predecessor, but it always points at a node that sorts before; once no
// insert is in flight, every prev link points at the immediate predecessor.
type skiplist struct {
	a *arena
	// head and tail are sentinel nodes: head sorts before every entry and
	// has a full tower, tail sorts after every entry and has no tower.
	head, tail uint32
	// height is the height of the tallest tower linked so far; searches
	// start there instead of at maxHeight.
	height atomic.Uint32
	// hint[l] is the node most recently inserted with a tower reaching
	// level l (0: none yet), stored once the node is linked on every
	// level. An insert that sorts right after the last one (keys added in
	// ascending order) finds its splice there without a search from the
	// head (spliceFromHints).
	hint [maxHeight]atomic.Uint32
}

// splice is, for every level, the pair of adjacent nodes between which a key
// belongs: prev < key <= next.
type splice struct {
	prev, next [maxHeight]uint32
}

// init allocates the sentinels. It returns false if they do not fit.
func (s *skiplist) init(a *arena) bool {
	s.a = a
	var ok bool
	if s.head, ok = a.newNode(maxHeight, base.InternalKey{}, nil); !ok {
		return false
	}
	if s.tail, ok = a.newNode(0, base.InternalKey{}, nil); !ok {
		return false
	}
	for level := range maxHeight {
		a.setNext(s.head, level, s.tail)
	}
	a.setPrev(s.tail, s.head)
	s.height.Store(1)
	return true
}

// sentinelsSize is the arena space init uses.
const sentinelsSize = maxNodeSize + nodeTowerOff

// heightP is the probability that a tower reaching a level also reaches
// the next. 1/e rather than 1/4: a search then takes fewer steps on the
// lowest levels, whose nodes are spread over the whole arena and are
// mostly cache (and TLB) misses, for more steps on the upper levels, whose
// few nodes stay cached; towers grow by a quarter of a link on average.
const heightP = 1 / math.E

// heightThresholds[h] is P(height > h) = heightP^h scaled to 2^32, for h
// in [1, maxHeight).
var heightThresholds = func() (t [maxHeight]uint64) {
	p := heightP
	for h := 1; h < maxHeight; h++ {
		t[h] = uint64(p * (1 << 32))
		p *= heightP
	}
	return t
}()

// randomHeight draws a tower height, P(height > h) = heightP^h, capped at
// maxHeight, from one 32-bit number. math/rand/v2's top-level generator is
// per-thread in the runtime: cheap, lock-free and safe for concurrent use.
func randomHeight() int {
	r := uint64(rand.Uint32())
	h := 1
	for h < maxHeight && r < heightThresholds[h] {
		h++
	}
	return h
}

// compare orders the key of node nd against (ukey, trailer) as
// base.InternalCompare does. The tail sorts after everything.
func (s *skiplist) compare(nd uint32, ukey []byte, trailer base.Trailer) int {
	if nd == s.tail {
		return 1
	}
	if c := bytes.Compare(s.a.userKey(nd), ukey); c != 0 {
		return c
	}
	switch t := s.a.trailer(nd); {
	case t > trailer:
		return -1
	case t < trailer:
		return 1
	}
	return 0
}

// findSpliceForLevel walks level from start, which must sort before the
// target, to the adjacent pair prev < (ukey, trailer) <= next. found reports
// whether next equals the target. bound is a node on this level known to
// sort after the target, or the tail: the walk stops there without a
// comparison (a descent passes the next node found on the level above).
func (s *skiplist) findSpliceForLevel(ukey []byte, trailer base.Trailer, level int, start, bound uint32) (prev, next uint32, found bool) {
	prev = start
	for {
		// Prefetch prev's successor on the level below: the walk goes
		// down there once the next node on this level sorts after the
		// key, and that miss then overlaps the comparisons still to make
		// here (about e steps per level) instead of following them.
		if level > 0 {
			s.prefetchNode(s.a.next(prev, level-1))
		}
		next = s.a.next(prev, level)
		if next == bound {
			return prev, next, false
		}
		c := s.compare(next, ukey, trailer)
		if c >= 0 {
			return prev, next, c == 0
		}
		prev = next
	}
}

// seek returns the adjacent level-0 nodes prev < (ukey, trailer) <= next;
// prev may be the head and next the tail.
func (s *skiplist) seek(ukey []byte, trailer base.Trailer) (prev, next uint32) {
	prev, next = s.head, s.tail
	for level := int(s.height.Load()) - 1; level >= 0; level-- {
		prev, next, _ = s.findSpliceForLevel(ukey, trailer, level, prev, next)
	}
	return prev, next
}

// maxHintSteps bounds the walk from a hint on the levels above 0: beyond
// it, the search from the head is cheaper.
const maxHintSteps = 4

// spliceFromHints fills sp for levels [0, height) from the hints if the key
// sorts right after the node last inserted (on level 0, nothing lies
// between them) and each higher level's hint is a few nodes from the
// key's place. ok is false when the hints do not apply; found reports an
// entry equal to the key.
func (s *skiplist) spliceFromHints(key base.InternalKey, height int, sp *splice) (found, ok bool) {
	a := s.a
	last := s.hint[0].Load()
	if last == 0 {
		return false, false
	}
	if c := s.compare(last, key.UserKey, key.Trailer); c >= 0 {
		return c == 0, c == 0
	}
	next := a.next(last, 0)
	if next != s.tail {
		if c := s.compare(next, key.UserKey, key.Trailer); c <= 0 {
			return c == 0, c == 0
		}
	}
	sp.prev[0], sp.next[0] = last, next
	for level := 1; level < height; level++ {
		prev := s.hint[level].Load()
		switch {
		case prev == 0:
			prev = s.head
		case prev != sp.prev[level-1] && s.compare(prev, key.UserKey, key.Trailer) >= 0:
			return false, false
		}
		for steps := 0; ; steps++ {
			if steps == maxHintSteps {
				return false, false
			}
			next = a.next(prev, level)
			if next == s.tail || s.compare(next, key.UserKey, key.Trailer) >= 0 {
				break
			}
			prev = next
		}
		sp.prev[level], sp.next[level] = prev, next
	}
	return false, true
}

// add inserts key with a tower of the given height. It is safe for
// concurrent use with other adds and with readers.
//
// The node is linked bottom-up. On each level it is published by one
// compare-and-swap on its predecessor's next link; if that fails another
// insert got in between, and the splice for that level is searched again
// from the old predecessor (nodes are never removed, so it still sorts
// before the key). Level 0 decides the race between two inserts of the same
// key: the loser finds the winner when it searches again.
//
// On level 0 the successor's prev link is then moved from prev to the new
// node with a compare-and-swap. An insert in flight may not have moved it
// yet when the next insert between the same pair arrives; that insert helps
// first (sets succ.prev = prev if prev.next is still succ) so that its own
// compare-and-swap cannot be overtaken by the slower one's. Prev links only
// ever move to nodes that sort later, so no compare-and-swap can succeed
// on a stale value (no ABA).
func (s *skiplist) add(key base.InternalKey, value []byte, height int) (nd uint32, err error) {
	return s.addNear(key, value, height, 0)
}

// addNear is add with newest, the point index's node for key's user key
// (0 if none), which places a new version of height 1 without a search
// (spliceBefore).
func (s *skiplist) addNear(key base.InternalKey, value []byte, height int, newest uint32) (nd uint32, err error) {
	var sp splice
	found, ok := s.spliceFromHints(key, height, &sp)
	if !found && !ok && newest != 0 && height == 1 {
		found, ok = s.spliceBefore(newest, key, &sp)
	}
	if found {
		return 0, ErrRecordExists
	}
	if !ok && s.findSplice(key, &sp) {
		return 0, ErrRecordExists
	}
	return s.link(key, value, height, &sp)
}

// spliceBefore fills level 0 of sp for key from newest, a node of the same
// user key, when key sorts right before it (a newer version: the common
// case of an update): the splice is newest's level-0 predecessor and
// newest. That is all a node of height 1 needs, and it costs two
// comparisons where a search from the head of a full memtable costs some
// 35 dependent cache misses. The splice may go stale before the link, as a
// searched one may; link corrects it (prev still sorts before key, newest
// after it). ok is false when newest sorts before key (an older version
// applied late) or a newer version lies in between; found reports an
// entry equal to key.
func (s *skiplist) spliceBefore(newest uint32, key base.InternalKey, sp *splice) (found, ok bool) {
	c := s.compare(newest, key.UserKey, key.Trailer)
	if c <= 0 {
		return c == 0, false
	}
	prev := s.a.prev(newest)
	if prev != s.head && s.compare(prev, key.UserKey, key.Trailer) >= 0 {
		return false, false
	}
	sp.prev[0], sp.next[0] = prev, newest
	return false, true
}

// findSplice searches for key's splice from the head and fills sp on every
// level (the levels above the list's height with the head and the tail).
// It reports whether an entry equal to key exists.
func (s *skiplist) findSplice(key base.InternalKey, sp *splice) (found bool) {
	listHeight := int(s.height.Load())
	prev, next := s.head, s.tail
	for level := listHeight - 1; level >= 0; level-- {
		prev, next, found = s.findSpliceForLevel(key.UserKey, key.Trailer, level, prev, next)
		if found {
			return true
		}
		sp.prev[level], sp.next[level] = prev, next
	}
	for level := listHeight; level < maxHeight; level++ {
		sp.prev[level], sp.next[level] = s.head, s.tail
	}
	return false
}

// link allocates the node of key and links it on levels [0, height) at
// the places sp found, which may have gone stale since: see add.
func (s *skiplist) link(key base.InternalKey, value []byte, height int, sp *splice) (nd uint32, err error) {
	a := s.a
	nd, ok := a.newNode(height, key, value)
	if !ok {
		return 0, ErrArenaFull
	}
	for {
		h := s.height.Load()
		if uint32(height) <= h || s.height.CompareAndSwap(h, uint32(height)) {
			break
		}
	}

	for level := range height {
		prev, next := sp.prev[level], sp.next[level]
		for {
			a.setNext(nd, level, next)
			if level == 0 {
				a.setPrev(nd, prev)
				// Help an insert in flight that linked next after prev
				// but has not yet pointed next's prev link at prev.
				if np := a.prev(next); np != prev && a.next(prev, 0) == next {
					a.casPrev(next, np, prev)
				}
			}
			if a.casNext(prev, level, next, nd) {
				if level == 0 {
					// May fail only if a later insert between nd and
					// next already helped; then the link is right.
					a.casPrev(next, prev, nd)
				}
				break
			}
			// next, the old successor, is still linked here after prev
			// and sorts after the key: it bounds the walk.
			var found bool
			prev, next, found = s.findSpliceForLevel(key.UserKey, key.Trailer, level, prev, next)
			if found {
				if level != 0 {
					panic("memtable: duplicate key found above level 0")
				}
				// The node was allocated but never linked: its bytes stay
				// counted in Size.
				return 0, ErrRecordExists
			}
		}
	}
	for level := range height {
		s.hint[level].Store(nd)
	}
	return nd, nil
}
