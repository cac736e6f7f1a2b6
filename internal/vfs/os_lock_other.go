//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package vfs

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// On platforms without flock, Lock only excludes other Lock calls of this
// process.
var processLocks struct {
	mu   sync.Mutex
	held map[string]bool
}

type processLock struct {
	f    *os.File
	path string
}

func (l *processLock) Close() error {
	processLocks.mu.Lock()
	delete(processLocks.held, l.path)
	processLocks.mu.Unlock()
	return l.f.Close()
}

func lockFile(name string) (io.Closer, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	processLocks.mu.Lock()
	defer processLocks.mu.Unlock()
	if processLocks.held[abs] {
		return nil, fmt.Errorf("%w: %s", ErrLocked, name)
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if processLocks.held == nil {
		processLocks.held = map[string]bool{}
	}
	processLocks.held[abs] = true
	return &processLock{f: f, path: abs}, nil
}
