package vfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// MemFS is an in-memory FS that records what is durable, so that
// CrashClone can build the filesystem a crash would leave behind. It is safe
// for concurrent use. Paths use "/" as separator; relative paths are taken
// from the root, so "db/x" and "/db/x" name the same file.
type MemFS struct {
	// mu guards the whole tree: every node, the lock table and the offsets
	// of open handles. Reads of file content (ReadAt, Stat) share it.
	mu struct {
		sync.RWMutex
		root  *memNode
		locks map[string]bool // held locks by cleaned path
	}
}

var _ FS = (*MemFS)(nil)

// NewMem returns an empty in-memory FS holding only its root directory.
func NewMem() *MemFS {
	fs := &MemFS{}
	fs.mu.root = newDirNode()
	fs.mu.locks = map[string]bool{}
	return fs
}

// cleanPath returns the canonical form of name: rooted, cleaned.
func cleanPath(name string) string { return path.Clean("/" + name) }

// splitPath returns the components of a cleaned path; the root has none.
func splitPath(clean string) []string {
	if clean == "/" {
		return nil
	}
	return strings.Split(clean[1:], "/")
}

// lookupLocked returns the node at the cleaned path, or nil.
func (fs *MemFS) lookupLocked(op, name string) (*memNode, error) {
	n := fs.mu.root
	for _, c := range splitPath(cleanPath(name)) {
		if !n.isDir {
			return nil, &os.PathError{Op: op, Path: name, Err: syscall.ENOTDIR}
		}
		n = n.children[c]
		if n == nil {
			return nil, &os.PathError{Op: op, Path: name, Err: os.ErrNotExist}
		}
	}
	return n, nil
}

// parentLocked returns the parent directory of name and name's base. The
// root has no parent.
func (fs *MemFS) parentLocked(op, name string) (*memNode, string, error) {
	clean := cleanPath(name)
	if clean == "/" {
		return nil, "", &os.PathError{Op: op, Path: name, Err: syscall.EINVAL}
	}
	dir, base := path.Split(clean)
	parent, err := fs.lookupLocked(op, dir)
	if err != nil {
		return nil, "", &os.PathError{Op: op, Path: name, Err: errors.Unwrap(err)}
	}
	if !parent.isDir {
		return nil, "", &os.PathError{Op: op, Path: name, Err: syscall.ENOTDIR}
	}
	return parent, base, nil
}

// Create implements FS.
func (fs *MemFS) Create(name string) (File, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	parent, base, err := fs.parentLocked("create", name)
	if err != nil {
		return nil, err
	}
	n := parent.children[base]
	switch {
	case n == nil:
		n = newFileNode()
		parent.setEntry(base, n)
	case n.isDir:
		return nil, &os.PathError{Op: "create", Path: name, Err: syscall.EISDIR}
	default:
		n.truncate()
	}
	return &memFile{fs: fs, n: n, name: name, writable: true}, nil
}

// Open implements FS.
func (fs *MemFS) Open(name string) (File, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	n, err := fs.lookupLocked("open", name)
	if err != nil {
		return nil, err
	}
	return &memFile{fs: fs, n: n, name: name}, nil
}

// OpenDir implements FS.
func (fs *MemFS) OpenDir(name string) (File, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	n, err := fs.lookupLocked("opendir", name)
	if err != nil {
		return nil, err
	}
	if !n.isDir {
		return nil, &os.PathError{Op: "opendir", Path: name, Err: syscall.ENOTDIR}
	}
	return &memFile{fs: fs, n: n, name: name}, nil
}

// Remove implements FS.
func (fs *MemFS) Remove(name string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	parent, base, err := fs.parentLocked("remove", name)
	if err != nil {
		return err
	}
	n := parent.children[base]
	if n == nil {
		return &os.PathError{Op: "remove", Path: name, Err: os.ErrNotExist}
	}
	if n.isDir && len(n.children) > 0 {
		return &os.PathError{Op: "remove", Path: name, Err: syscall.ENOTEMPTY}
	}
	parent.removeEntry(base)
	return nil
}

// RemoveAll implements FS. Removing the root empties it.
func (fs *MemFS) RemoveAll(name string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if cleanPath(name) == "/" {
		root := fs.mu.root
		for c := range root.children {
			root.removeEntry(c)
		}
		return nil
	}
	parent, base, err := fs.parentLocked("removeall", name)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	if parent.children[base] != nil {
		parent.removeEntry(base)
	}
	return nil
}

// Rename implements FS. Renaming over an existing directory is refused.
func (fs *MemFS) Rename(oldname, newname string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	oldParent, oldBase, err := fs.parentLocked("rename", oldname)
	if err != nil {
		return err
	}
	n := oldParent.children[oldBase]
	if n == nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: os.ErrNotExist}
	}
	newParent, newBase, err := fs.parentLocked("rename", newname)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: errors.Unwrap(err)}
	}
	oldClean, newClean := cleanPath(oldname), cleanPath(newname)
	if oldClean == newClean {
		return nil
	}
	if n.isDir && strings.HasPrefix(newClean, oldClean+"/") {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: syscall.EINVAL}
	}
	if dst := newParent.children[newBase]; dst != nil && dst.isDir {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: syscall.EEXIST}
	}
	oldParent.removeEntry(oldBase)
	newParent.setEntry(newBase, n)
	return nil
}

// Link implements FS.
func (fs *MemFS) Link(oldname, newname string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n, err := fs.lookupLocked("link", oldname)
	if err != nil {
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: errors.Unwrap(err)}
	}
	if n.isDir {
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: syscall.EPERM}
	}
	parent, base, err := fs.parentLocked("link", newname)
	if err != nil {
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: errors.Unwrap(err)}
	}
	if parent.children[base] != nil {
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: os.ErrExist}
	}
	parent.setEntry(base, n)
	return nil
}

// MkdirAll implements FS. Directory creation is durable at once (see the
// crash model in the package documentation).
func (fs *MemFS) MkdirAll(dir string, perm os.FileMode) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := fs.mu.root
	for _, c := range splitPath(cleanPath(dir)) {
		child := n.children[c]
		if child == nil {
			child = newDirNode()
			n.children[c] = child
			n.synced[c] = child
		} else if !child.isDir {
			return &os.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		n = child
	}
	return nil
}

// Lock implements FS: the lock is exclusive per path within this MemFS until
// the returned Closer is closed. The lock file is created if missing.
func (fs *MemFS) Lock(name string) (io.Closer, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	key := cleanPath(name)
	if fs.mu.locks[key] {
		return nil, fmt.Errorf("%w: %s", ErrLocked, name)
	}
	parent, base, err := fs.parentLocked("lock", name)
	if err != nil {
		return nil, err
	}
	switch n := parent.children[base]; {
	case n == nil:
		parent.setEntry(base, newFileNode())
	case n.isDir:
		return nil, &os.PathError{Op: "lock", Path: name, Err: syscall.EISDIR}
	}
	fs.mu.locks[key] = true
	return &memLock{fs: fs, key: key}, nil
}

type memLock struct {
	fs   *MemFS
	key  string
	once sync.Once
}

// Close releases the lock; closing twice is harmless.
func (l *memLock) Close() error {
	l.once.Do(func() {
		l.fs.mu.Lock()
		delete(l.fs.mu.locks, l.key)
		l.fs.mu.Unlock()
	})
	return nil
}

// List implements FS.
func (fs *MemFS) List(dir string) ([]string, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	n, err := fs.lookupLocked("list", dir)
	if err != nil {
		return nil, err
	}
	if !n.isDir {
		return nil, &os.PathError{Op: "list", Path: dir, Err: syscall.ENOTDIR}
	}
	return sortedNames(n.children), nil
}

// Stat implements FS.
func (fs *MemFS) Stat(name string) (os.FileInfo, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	n, err := fs.lookupLocked("stat", name)
	if err != nil {
		return nil, err
	}
	return n.info(path.Base(cleanPath(name))), nil
}

// PathJoin implements FS.
func (*MemFS) PathJoin(elem ...string) string { return path.Join(elem...) }

// PathBase implements FS.
func (*MemFS) PathBase(p string) string { return path.Base(p) }

// PathDir implements FS.
func (*MemFS) PathDir(p string) string { return path.Dir(p) }

// ReadFile returns a copy of the current content of the named file, synced
// or not. It is meant for tests.
func (fs *MemFS) ReadFile(name string) ([]byte, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	n, err := fs.lookupLocked("readfile", name)
	if err != nil {
		return nil, err
	}
	if n.isDir {
		return nil, &os.PathError{Op: "readfile", Path: name, Err: syscall.EISDIR}
	}
	return slices.Clone(n.data), nil
}

func sortedNames(m map[string]*memNode) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
