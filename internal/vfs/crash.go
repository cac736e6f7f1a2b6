package vfs

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// CrashCloneOptions configure MemFS.CrashClone.
type CrashCloneOptions struct {
	// Seed makes the clone deterministic: the same MemFS state and the same
	// options give the same clone.
	Seed int64
	// UnsyncedDataPercent bounds the share of each file's unsynced tail that
	// survives, from 0 (drop all unsynced data) to 100 (keep all of it).
	// Between the two, each file keeps a random prefix of its tail no longer
	// than that percentage of it, so torn tails are common.
	UnsyncedDataPercent int
}

// CrashClone returns a new MemFS holding what a crash (kill -9 or power
// loss) at this instant could leave on disk, following the crash model of
// the package documentation. The clone shares nothing with fs: fs keeps
// working, and the clone starts with no locks held and everything durable.
func (fs *MemFS) CrashClone(opts CrashCloneOptions) *MemFS {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	c := &crashCloner{
		rng:     rand.New(rand.NewPCG(uint64(opts.Seed), 0x9e3779b97f4a7c15)),
		percent: min(max(opts.UnsyncedDataPercent, 0), 100),
		clones:  map[*memNode]*memNode{},
	}
	clone := NewMem()
	clone.mu.root = c.clone(fs.mu.root)
	return clone
}

type crashCloner struct {
	rng     *rand.Rand
	percent int
	// clones maps each original node to its clone, so that hard links stay
	// links and a node reached twice is decided once.
	clones map[*memNode]*memNode
}

// clone returns the post-crash copy of n. Randomness is drawn in a fixed
// order (depth first, names sorted) so that the result depends on the seed
// only.
func (c *crashCloner) clone(n *memNode) *memNode {
	if cn, ok := c.clones[n]; ok {
		return cn
	}
	if !n.isDir {
		cn := &memNode{modTime: n.modTime, data: c.survivingData(n)}
		cn.syncedLen = len(cn.data)
		c.clones[n] = cn
		return cn
	}
	cn := newDirNode()
	cn.modTime = n.modTime
	c.clones[n] = cn
	entries := n.children
	if n.dirty && c.rng.IntN(2) == 0 {
		// The directory's unsynced entry changes are lost as a whole.
		entries = n.synced
	}
	for _, name := range sortedNames(entries) {
		cn.children[name] = c.clone(entries[name])
	}
	cn.syncDir()
	return cn
}

// survivingData returns the content file n has after the crash: its durable
// content plus, perhaps, a prefix of the unsynced tail.
func (c *crashCloner) survivingData(n *memNode) []byte {
	if n.rewritten {
		// Content below the synced length changed: the file holds either
		// its durable content or, with probability percent, the current one.
		if c.percent == 100 || (c.percent > 0 && c.rng.IntN(100) < c.percent) {
			return slices.Clone(n.data)
		}
		return slices.Clone(n.durable)
	}
	tail := len(n.data) - n.syncedLen
	keep := 0
	switch {
	case tail == 0 || c.percent == 0:
	case c.percent == 100:
		keep = tail
	default:
		keep = c.rng.IntN(tail*c.percent/100 + 1)
	}
	return slices.Clone(n.data[:n.syncedLen+keep])
}

// String lists the tree with what is durable, for test failures:
//
//	/ (unsynced entries; durable before: old.log)
//	  db/
//	    000001.log 120 bytes, 100 synced
//	    CURRENT 16 bytes, 16 synced
func (fs *MemFS) String() string {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	var b strings.Builder
	writeTree(&b, "/", fs.mu.root, 0)
	return b.String()
}

func writeTree(b *strings.Builder, name string, n *memNode, depth int) {
	indent := strings.Repeat("  ", depth)
	if !n.isDir {
		fmt.Fprintf(b, "%s%s %d bytes, %d synced", indent, name, len(n.data), len(n.durableData()))
		if n.rewritten {
			b.WriteString(" (rewritten since sync)")
		}
		b.WriteByte('\n')
		return
	}
	if name != "/" {
		name += "/"
	}
	fmt.Fprintf(b, "%s%s", indent, name)
	if n.dirty {
		var lost []string
		for _, s := range sortedNames(n.synced) {
			if n.children[s] != n.synced[s] {
				lost = append(lost, s)
			}
		}
		b.WriteString(" (unsynced entries")
		if len(lost) > 0 {
			fmt.Fprintf(b, "; durable before: %s", strings.Join(lost, " "))
		}
		b.WriteString(")")
	}
	b.WriteByte('\n')
	for _, c := range sortedNames(n.children) {
		writeTree(b, c, n.children[c], depth+1)
	}
}
