package sstable

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
	"github.com/strata-db/strata/internal/vfs"
)

// memFile is an in-memory file for tests: a byte slice with the methods of
// vfs.File that the package uses.
type memFile struct {
	mu     sync.Mutex
	data   []byte
	closed bool
	synced bool
}

func (f *memFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, os.ErrClosed
	}
	f.data = append(f.data, p...)
	return len(p), nil
}

func (f *memFile) Read(p []byte) (int, error) { return 0, io.EOF }

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off < 0 || off > int64(len(f.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *memFile) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.synced = true
	return nil
}

func (f *memFile) Stat() (os.FileInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return memFileInfo(len(f.data)), nil
}

// reopen returns a fresh readable file with the same contents.
func (f *memFile) reopen() *memFile {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &memFile{data: append([]byte(nil), f.data...)}
}

type memFileInfo int64

func (s memFileInfo) Name() string       { return "table.sst" }
func (s memFileInfo) Size() int64        { return int64(s) }
func (s memFileInfo) Mode() fs.FileMode  { return 0o644 }
func (s memFileInfo) ModTime() time.Time { return time.Time{} }
func (s memFileInfo) IsDir() bool        { return false }
func (s memFileInfo) Sys() any           { return nil }

// buildTable writes entries (RANGEDEL entries as range tombstones, the
// value being the end key) into a table on a vfs.MemFS and returns the
// table's bytes in a memFile.
func buildTable(entries []itertest.Entry, opts WriterOptions) (*memFile, WriterMetadata, error) {
	fs := vfs.NewMem()
	wf, err := fs.Create("000001.sst")
	if err != nil {
		return nil, WriterMetadata{}, err
	}
	w := NewWriter(wf, opts)
	for _, e := range entries {
		var err error
		if e.Key.Kind() == base.InternalKeyKindRangeDelete {
			err = w.AddRangeDel(e.Key.UserKey, e.Value, e.Key.SeqNum())
		} else {
			err = w.Add(e.Key, e.Value)
		}
		if err != nil {
			w.Close()
			return nil, WriterMetadata{}, fmt.Errorf("adding %s: %w", e.Key, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, WriterMetadata{}, err
	}
	rf, err := fs.Open("000001.sst")
	if err != nil {
		return nil, WriterMetadata{}, err
	}
	defer rf.Close()
	st, err := rf.Stat()
	if err != nil {
		return nil, WriterMetadata{}, err
	}
	if uint64(st.Size()) != w.Metadata().Size {
		return nil, WriterMetadata{}, fmt.Errorf("file has %d bytes, metadata says %d", st.Size(), w.Metadata().Size)
	}
	data := make([]byte, st.Size())
	if _, err := rf.ReadAt(data, 0); err != nil {
		return nil, WriterMetadata{}, err
	}
	return &memFile{data: data}, w.Metadata(), nil
}
