package codec

import (
	"bytes"
	"math/rand/v2"
)

// pnode is a node of the TxnStore's pending tree: a persistent treap of
// point entries ordered by key, a max-heap on prio. Nodes reachable from a
// published txnState are never modified; a commit copies the paths it
// changes (path copying), so any number of versions share structure.
type pnode struct {
	key, value  []byte
	tomb        bool // a pending Delete; value is nil
	prio        uint32
	gen         uint64 // the commit that created this copy
	left, right *pnode
}

// find returns the node of key in the tree rooted at n, or nil.
func (n *pnode) find(key []byte) *pnode {
	for n != nil {
		switch c := bytes.Compare(key, n.key); {
		case c < 0:
			n = n.left
		case c > 0:
			n = n.right
		default:
			return n
		}
	}
	return nil
}

// walk calls fn on every node in key order.
func (n *pnode) walk(fn func(*pnode)) {
	for n != nil {
		n.left.walk(fn)
		fn(n)
		n = n.right
	}
}

// pwriter edits trees for a commit. Nodes of its generation were created
// since the TxnStore last handed its state out, so no reader holds them
// and it modifies them in place; older nodes it copies first. This keeps
// a batch of many writes, and commits that follow each other with no
// iterator or snapshot between them, from copying the same paths again
// and again.
type pwriter struct {
	gen uint64
	// nodes hands out the nodes the writer makes (the TxnStore's).
	nodes *nodeSlab
}

// nodeSlab allocates tree nodes slabNodes at a time: a transaction's
// pending writes cost one allocation per slab rather than one per key.
// Nodes are never freed one by one: a slab lives as long as one of its
// nodes is in a tree that is still referenced.
type nodeSlab struct{ free []pnode }

const slabNodes = 32

func (s *nodeSlab) node() *pnode {
	if s == nil {
		return new(pnode)
	}
	if len(s.free) == 0 {
		s.free = make([]pnode, slabNodes)
	}
	n := &s.free[0]
	s.free = s.free[1:]
	return n
}

func (w pwriter) mut(n *pnode) *pnode {
	if n.gen == w.gen {
		return n
	}
	c := w.nodes.node()
	*c = *n
	c.gen = w.gen
	return c
}

// set makes key's entry in the tree rooted at t hold value (or a tombstone)
// and returns the new root.
func (w pwriter) set(t *pnode, key, value []byte, tomb bool) *pnode {
	if t.find(key) != nil {
		return w.update(t, key, value, tomb)
	}
	n := w.nodes.node()
	*n = pnode{key: key, value: value, tomb: tomb, prio: rand.Uint32(), gen: w.gen}
	return w.insert(t, n)
}

// update changes the entry of key, which is in the tree.
func (w pwriter) update(t *pnode, key, value []byte, tomb bool) *pnode {
	t = w.mut(t)
	switch c := bytes.Compare(key, t.key); {
	case c < 0:
		t.left = w.update(t.left, key, value, tomb)
	case c > 0:
		t.right = w.update(t.right, key, value, tomb)
	default:
		t.value, t.tomb = value, tomb
	}
	return t
}

// insert adds n, whose key is not in the tree.
func (w pwriter) insert(t, n *pnode) *pnode {
	if t == nil {
		return n
	}
	if n.prio > t.prio {
		n.left, n.right = w.split(t, n.key)
		return n
	}
	t = w.mut(t)
	if bytes.Compare(n.key, t.key) < 0 {
		t.left = w.insert(t.left, n)
	} else {
		t.right = w.insert(t.right, n)
	}
	return t
}

// remove deletes the entry of key, which is in the tree.
func (w pwriter) remove(t *pnode, key []byte) *pnode {
	switch c := bytes.Compare(key, t.key); {
	case c == 0:
		return w.merge(t.left, t.right)
	case c < 0:
		t = w.mut(t)
		t.left = w.remove(t.left, key)
	default:
		t = w.mut(t)
		t.right = w.remove(t.right, key)
	}
	return t
}

// removeRange deletes every entry with a key in [start, end).
func (w pwriter) removeRange(t *pnode, start, end []byte) *pnode {
	l, r := w.split(t, start)
	_, r = w.split(r, end)
	return w.merge(l, r)
}

// split divides the tree into the keys < k and the keys >= k.
func (w pwriter) split(t *pnode, k []byte) (l, r *pnode) {
	if t == nil {
		return nil, nil
	}
	t = w.mut(t)
	if bytes.Compare(t.key, k) < 0 {
		t.right, r = w.split(t.right, k)
		return t, r
	}
	l, t.left = w.split(t.left, k)
	return l, t
}

// merge joins two trees, every key of l below every key of r.
func (w pwriter) merge(l, r *pnode) *pnode {
	switch {
	case l == nil:
		return r
	case r == nil:
		return l
	case l.prio > r.prio:
		l = w.mut(l)
		l.right = w.merge(l.right, r)
		return l
	default:
		r = w.mut(r)
		r.left = w.merge(l, r.left)
		return r
	}
}

// ptreeIter walks a pending tree within [lower, upper) (nil bounds are
// open), tombstones included. Positioning methods leave it at a node or
// invalid (an empty stack); next and prev need a valid iterator.
type ptreeIter struct {
	root         *pnode
	lower, upper []byte
	stack        []*pnode // the path from the root to the current node
}

func (it *ptreeIter) node() *pnode {
	if len(it.stack) == 0 {
		return nil
	}
	return it.stack[len(it.stack)-1]
}

// seekGE moves to the first node with a key >= k; a nil k is the smallest.
func (it *ptreeIter) seekGE(k []byte) {
	it.stack = it.stack[:0]
	keep := 0
	for n := it.root; n != nil; {
		it.stack = append(it.stack, n)
		if bytes.Compare(n.key, k) >= 0 {
			keep = len(it.stack)
			n = n.left
		} else {
			n = n.right
		}
	}
	it.stack = it.stack[:keep]
	it.checkUpper()
}

// seekLT moves to the last node with a key < k.
func (it *ptreeIter) seekLT(k []byte) {
	it.stack = it.stack[:0]
	keep := 0
	for n := it.root; n != nil; {
		it.stack = append(it.stack, n)
		if bytes.Compare(n.key, k) < 0 {
			keep = len(it.stack)
			n = n.right
		} else {
			n = n.left
		}
	}
	it.stack = it.stack[:keep]
	it.checkLower()
}

func (it *ptreeIter) first() { it.seekGE(it.lower) }

func (it *ptreeIter) last() {
	if it.upper != nil {
		it.seekLT(it.upper)
		return
	}
	it.stack = it.stack[:0]
	for n := it.root; n != nil; n = n.right {
		it.stack = append(it.stack, n)
	}
	it.checkLower()
}

func (it *ptreeIter) next() {
	n := it.stack[len(it.stack)-1]
	if n.right != nil {
		for c := n.right; c != nil; c = c.left {
			it.stack = append(it.stack, c)
		}
	} else {
		// Climb until we leave a left subtree: that parent is next.
		for {
			child := it.stack[len(it.stack)-1]
			it.stack = it.stack[:len(it.stack)-1]
			if len(it.stack) == 0 || it.stack[len(it.stack)-1].left == child {
				break
			}
		}
	}
	it.checkUpper()
}

func (it *ptreeIter) prev() {
	n := it.stack[len(it.stack)-1]
	if n.left != nil {
		for c := n.left; c != nil; c = c.right {
			it.stack = append(it.stack, c)
		}
	} else {
		for {
			child := it.stack[len(it.stack)-1]
			it.stack = it.stack[:len(it.stack)-1]
			if len(it.stack) == 0 || it.stack[len(it.stack)-1].right == child {
				break
			}
		}
	}
	it.checkLower()
}

func (it *ptreeIter) checkUpper() {
	if n := it.node(); n != nil && it.upper != nil && bytes.Compare(n.key, it.upper) >= 0 {
		it.stack = it.stack[:0]
	}
}

func (it *ptreeIter) checkLower() {
	if n := it.node(); n != nil && it.lower != nil && bytes.Compare(n.key, it.lower) < 0 {
		it.stack = it.stack[:0]
	}
}
