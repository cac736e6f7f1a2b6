package lsm

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/wal"
)

// Checkpoint writes a consistent copy of the DB into destDir, which must
// not exist: it flushes the memtables, hard-links every table of the
// current version (copying when a link is impossible) and writes a fresh
// MANIFEST and CURRENT. The result opens as a DB of its own; it holds
// every write committed before the call.
func (d *DB) Checkpoint(destDir string) (err error) {
	fs := d.fs
	if _, err := fs.Stat(destDir); err == nil {
		return fmt.Errorf("lsm: checkpoint directory %s already exists", destDir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("lsm: checkpoint: %w", err)
	}
	if err := d.Flush(); err != nil {
		return err
	}
	// The read state pins the version: none of its tables can be deleted
	// while they are linked.
	rs := d.loadReadState()
	defer rs.unref()
	v := rs.version

	if err := fs.MkdirAll(destDir, 0o755); err != nil {
		return fmt.Errorf("lsm: checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			_ = fs.RemoveAll(destDir)
		}
	}()
	var lastSeq base.SeqNum
	for _, files := range v.levels {
		for _, f := range files {
			name := base.MakeFilename(base.FileTypeTable, f.FileNum)
			if err := linkOrCopy(d, fs.PathJoin(d.dirname, name), fs.PathJoin(destDir, name)); err != nil {
				return fmt.Errorf("lsm: checkpoint: %w", err)
			}
			lastSeq = max(lastSeq, f.LargestSeq)
		}
	}
	next := base.FileNum(d.vs.nextFileNum.Load())
	manifestNum, logNum := next, next+1
	edit := snapshotEdit(v, logNum, next+2, lastSeq)
	mf, err := fs.Create(fs.PathJoin(destDir, base.MakeFilename(base.FileTypeManifest, manifestNum)))
	if err != nil {
		return fmt.Errorf("lsm: checkpoint: %w", err)
	}
	w := wal.NewWriter(mf, manifestNum, wal.WriterOptions{SyncPolicy: wal.SyncAlways})
	werr := w.Write(edit.encode(nil), true)
	if cerr := w.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("lsm: checkpoint: writing MANIFEST: %w", werr)
	}
	dir, err := fs.OpenDir(destDir)
	if err != nil {
		return fmt.Errorf("lsm: checkpoint: %w", err)
	}
	defer dir.Close()
	// setCurrent syncs the directory, which makes the links durable too.
	return setCurrent(fs, destDir, dir, manifestNum, next+2)
}

// linkOrCopy hard-links src to dst, or copies it (and syncs the copy)
// where the filesystem cannot link.
func linkOrCopy(d *DB, src, dst string) error {
	if err := d.fs.Link(src, dst); err == nil {
		return nil
	}
	in, err := d.fs.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := d.fs.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
