package vfs

import (
	"maps"
	"os"
	"time"
)

// memNode is an inode of MemFS: a directory or a regular file. A file node
// may be reachable under several names (hard links) and after a crash it is
// still shared by all the names that survive. All fields are guarded by the
// owning MemFS's mu.
type memNode struct {
	isDir   bool
	modTime time.Time

	// Directory state.
	//
	// children is the current entry set; synced is the entry set at the last
	// Sync of a handle on this directory, which is what a crash can revert
	// to. dirty reports that children changed since that Sync.
	children map[string]*memNode
	synced   map[string]*memNode
	dirty    bool

	// File state.
	//
	// data is the current content. Normally data[:syncedLen] is the durable
	// content and data[syncedLen:] the unsynced tail. A write below syncedLen
	// or a truncation breaks that: rewritten is set and durable keeps a copy
	// of the content at the last Sync until the next one.
	data      []byte
	syncedLen int
	rewritten bool
	durable   []byte
}

func newDirNode() *memNode {
	return &memNode{
		isDir:    true,
		modTime:  time.Now(),
		children: map[string]*memNode{},
		synced:   map[string]*memNode{},
	}
}

func newFileNode() *memNode { return &memNode{modTime: time.Now()} }

// setEntry adds or replaces an entry of directory n; the change is not
// durable until the directory is synced.
func (n *memNode) setEntry(name string, child *memNode) {
	n.children[name] = child
	n.dirty = true
}

// removeEntry removes an entry of directory n; the change is not durable
// until the directory is synced.
func (n *memNode) removeEntry(name string) {
	delete(n.children, name)
	n.dirty = true
}

// syncDir makes the current entries of directory n durable.
func (n *memNode) syncDir() {
	n.synced = maps.Clone(n.children)
	n.dirty = false
}

// syncFile makes the current content of file n durable.
func (n *memNode) syncFile() {
	n.syncedLen = len(n.data)
	n.rewritten = false
	n.durable = nil
}

// noteRewrite is called before content below syncedLen changes: it saves
// the durable content unless it is already saved.
func (n *memNode) noteRewrite() {
	if n.rewritten || n.syncedLen == 0 {
		return
	}
	n.durable = append([]byte(nil), n.data[:n.syncedLen]...)
	n.rewritten = true
}

// durableData returns the content a crash preserves for sure.
func (n *memNode) durableData() []byte {
	if n.rewritten {
		return n.durable
	}
	return n.data[:n.syncedLen]
}

// truncate empties file n.
func (n *memNode) truncate() {
	n.noteRewrite()
	n.data = nil
	n.syncedLen = 0
	n.modTime = time.Now()
}

// writeAt writes p at off, growing the file as needed.
func (n *memNode) writeAt(p []byte, off int) {
	if off < n.syncedLen {
		n.noteRewrite()
	}
	if end := off + len(p); end > len(n.data) {
		if end > cap(n.data) {
			grown := make([]byte, len(n.data), max(end, 2*cap(n.data)))
			copy(grown, n.data)
			n.data = grown
		}
		old := len(n.data)
		n.data = n.data[:end]
		if off > old {
			clear(n.data[old:off]) // a gap past the end reads as zeros
		}
	}
	copy(n.data[off:], p)
	n.modTime = time.Now()
}

// memFileInfo implements os.FileInfo for MemFS.
type memFileInfo struct {
	name    string
	size    int64
	isDir   bool
	modTime time.Time
}

func (fi memFileInfo) Name() string       { return fi.name }
func (fi memFileInfo) Size() int64        { return fi.size }
func (fi memFileInfo) ModTime() time.Time { return fi.modTime }
func (fi memFileInfo) IsDir() bool        { return fi.isDir }
func (fi memFileInfo) Sys() any           { return nil }
func (fi memFileInfo) Mode() os.FileMode {
	if fi.isDir {
		return os.ModeDir | 0o755
	}
	return 0o644
}

func (n *memNode) info(name string) os.FileInfo {
	return memFileInfo{name: name, size: int64(len(n.data)), isDir: n.isDir, modTime: n.modTime}
}
