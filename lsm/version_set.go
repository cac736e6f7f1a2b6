package lsm

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/iterator"
	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/wal"
)

// maxManifestSize is the size past which the next edit starts a new
// MANIFEST holding a snapshot of the current version.
const maxManifestSize = 8 << 20

// versionSet owns the sequence of versions and the MANIFEST that records
// them.
//
// Locking: logMu serialises logAndApply (one edit at a time is written and
// installed); current is read and replaced under the DB's mu.
type versionSet struct {
	fs      vfs.FS
	dir     string
	dirFile vfs.File

	// mu is the DB's mutex; it guards current.
	mu      *sync.Mutex
	current *version

	logMu        sync.Mutex
	manifestNum  base.FileNum
	manifest     *wal.Writer
	manifestSize int64

	nextFileNum atomic.Uint64
	// logNum and lastSeq are the persisted values (guarded by logMu).
	logNum  base.FileNum
	lastSeq base.SeqNum

	// prepare, if set, is called with each new version once its edit is
	// durable and before it is installed, outside mu (see
	// DB.prepareVersion).
	prepare func(*version)

	// obsolete receives tables whose last version reference was dropped.
	obsoleteMu     sync.Mutex
	obsoleteTables []*FileMetadata
	onObsolete     func()
}

func (vs *versionSet) allocFileNum() base.FileNum {
	return base.FileNum(vs.nextFileNum.Add(1) - 1)
}

// markUsed makes sure numbers up to n are never allocated again.
func (vs *versionSet) markUsed(n base.FileNum) {
	for {
		cur := vs.nextFileNum.Load()
		if uint64(n) < cur || vs.nextFileNum.CompareAndSwap(cur, uint64(n)+1) {
			return
		}
	}
}

// newVersion wraps levels into a referenced version whose release feeds the
// obsolete-file list.
func (vs *versionSet) initVersion(v *version) {
	for level, files := range v.levels {
		for _, f := range files {
			f.refs.Add(1)
			v.sizes[level] += f.Size
		}
		if level > 0 && len(files) > 0 {
			lf := make([]iterator.LevelFile, len(files))
			for i, f := range files {
				lf[i] = iterator.LevelFile{Smallest: f.Smallest, Largest: f.Largest}
			}
			v.levelFiles[level] = lf
		}
	}
	v.onZero = vs.versionReleased
	v.refs.Store(1)
}

func (vs *versionSet) versionReleased(v *version) {
	var obsolete []*FileMetadata
	for _, files := range v.levels {
		for _, f := range files {
			if f.refs.Add(-1) == 0 {
				obsolete = append(obsolete, f)
			}
		}
	}
	if len(obsolete) == 0 {
		return
	}
	vs.obsoleteMu.Lock()
	vs.obsoleteTables = append(vs.obsoleteTables, obsolete...)
	vs.obsoleteMu.Unlock()
	if vs.onObsolete != nil {
		vs.onObsolete()
	}
}

func (vs *versionSet) takeObsoleteTables() []*FileMetadata {
	vs.obsoleteMu.Lock()
	defer vs.obsoleteMu.Unlock()
	t := vs.obsoleteTables
	vs.obsoleteTables = nil
	return t
}

// create initialises a new, empty DB's version set and MANIFEST.
func (vs *versionSet) create() error {
	vs.nextFileNum.Store(1)
	v := &version{}
	vs.initVersion(v)
	vs.current = v
	return vs.writeSnapshotManifest()
}

// load reads CURRENT and replays the MANIFEST it names.
func (vs *versionSet) load() error {
	name, err := readCurrent(vs.fs, vs.dir)
	if err != nil {
		return err
	}
	typ, num, ok := base.ParseFilename(name)
	if !ok || typ != base.FileTypeManifest {
		return base.CorruptionErrorf("lsm: CURRENT names %q, not a MANIFEST", name)
	}
	f, err := vs.fs.Open(vs.fs.PathJoin(vs.dir, name))
	if err != nil {
		return fmt.Errorf("lsm: opening %s: %w", name, err)
	}
	defer f.Close()

	files := [numLevels]map[base.FileNum]*FileMetadata{}
	for i := range files {
		files[i] = map[base.FileNum]*FileMetadata{}
	}
	var nextFileNum base.FileNum
	r := wal.NewReader(f, num)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("lsm: reading %s: %w", name, err)
		}
		ve, err := decodeVersionEdit(rec)
		if err != nil {
			return fmt.Errorf("lsm: %s: %w", name, err)
		}
		if ve.comparer != "" && ve.comparer != base.DefaultComparer.Name {
			return fmt.Errorf("lsm: %s was written with comparer %q, not %q", name, ve.comparer, base.DefaultComparer.Name)
		}
		if ve.logNumber != 0 {
			vs.logNum = ve.logNumber
		}
		if ve.nextFileNum != 0 {
			nextFileNum = ve.nextFileNum
		}
		if ve.lastSeqNum != 0 {
			vs.lastSeq = ve.lastSeqNum
		}
		for level, dels := range ve.deletedFiles {
			for n := range dels {
				delete(files[level], n)
			}
		}
		for _, nf := range ve.newFiles {
			files[nf.level][nf.meta.FileNum] = nf.meta
		}
	}
	if nextFileNum == 0 {
		return base.CorruptionErrorf("lsm: %s has no next file number", name)
	}
	edit := &versionEdit{}
	for level := range files {
		for _, m := range files[level] {
			edit.newFiles = append(edit.newFiles, newFileEntry{level: level, meta: m})
			if m.FileNum >= nextFileNum {
				return base.CorruptionErrorf("lsm: %s: file %s not below next file number %s", name, m.FileNum, nextFileNum)
			}
		}
	}
	v, err := (&version{}).apply(edit)
	if err != nil {
		return err
	}
	vs.initVersion(v)
	vs.current = v
	vs.nextFileNum.Store(uint64(nextFileNum))
	vs.manifestNum = num
	return nil
}

// logAndApply writes ve to the MANIFEST, syncs it, and installs the new
// version. install, if set, runs under the DB mutex right after the new
// version becomes current (to publish the matching read state atomically).
func (vs *versionSet) logAndApply(ve *versionEdit, install func(*version)) error {
	vs.logMu.Lock()
	defer vs.logMu.Unlock()

	vs.mu.Lock()
	cur := vs.current
	vs.mu.Unlock()
	nv, err := cur.apply(ve)
	if err != nil {
		return err
	}
	if ve.logNumber == 0 {
		ve.logNumber = vs.logNum
	}
	if ve.lastSeqNum < vs.lastSeq {
		ve.lastSeqNum = vs.lastSeq
	}
	ve.nextFileNum = base.FileNum(vs.nextFileNum.Load())

	if vs.manifest == nil || vs.manifestSize > maxManifestSize {
		// Start a new MANIFEST holding the whole new version.
		if err := vs.writeSnapshotManifestLocked(nv, ve.logNumber, ve.lastSeqNum); err != nil {
			return err
		}
	} else {
		rec := ve.encode(nil)
		if err := vs.appendManifest(rec); err != nil {
			return err
		}
	}
	vs.logNum, vs.lastSeq = ve.logNumber, ve.lastSeqNum

	vs.initVersion(nv)
	if vs.prepare != nil {
		vs.prepare(nv)
	}
	vs.mu.Lock()
	old := vs.current
	vs.current = nv
	if install != nil {
		install(nv)
	}
	vs.mu.Unlock()
	old.unref()
	return nil
}

func (vs *versionSet) appendManifest(rec []byte) error {
	if err := vs.manifest.Write(rec, true); err != nil {
		return fmt.Errorf("lsm: writing MANIFEST: %w", err)
	}
	vs.manifestSize = vs.manifest.Size()
	return nil
}

// writeSnapshotManifest starts a new MANIFEST for the current version.
func (vs *versionSet) writeSnapshotManifest() error {
	vs.logMu.Lock()
	defer vs.logMu.Unlock()
	return vs.writeSnapshotManifestLocked(vs.current, vs.logNum, vs.lastSeq)
}

func (vs *versionSet) writeSnapshotManifestLocked(v *version, logNum base.FileNum, lastSeq base.SeqNum) error {
	num := vs.allocFileNum()
	name := vs.fs.PathJoin(vs.dir, base.MakeFilename(base.FileTypeManifest, num))
	f, err := vs.fs.Create(name)
	if err != nil {
		return fmt.Errorf("lsm: creating MANIFEST: %w", err)
	}
	w := wal.NewWriter(f, num, wal.WriterOptions{SyncPolicy: wal.SyncAlways})
	snap := snapshotEdit(v, logNum, base.FileNum(vs.nextFileNum.Load()), lastSeq)
	old, oldNum := vs.manifest, vs.manifestNum
	vs.manifest = w
	if err := vs.appendManifest(snap.encode(nil)); err != nil {
		vs.manifest = old
		w.Close()
		return err
	}
	if err := setCurrent(vs.fs, vs.dir, vs.dirFile, num, vs.allocFileNum()); err != nil {
		vs.manifest = old
		w.Close()
		return err
	}
	vs.manifestNum = num
	if old != nil {
		old.Close()
		// The old MANIFEST is obsolete now that CURRENT names the new one.
		_ = vs.fs.Remove(vs.fs.PathJoin(vs.dir, base.MakeFilename(base.FileTypeManifest, oldNum)))
	}
	return nil
}

func (vs *versionSet) close() error {
	vs.logMu.Lock()
	defer vs.logMu.Unlock()
	if vs.manifest == nil {
		return nil
	}
	err := vs.manifest.Close()
	vs.manifest = nil
	return err
}

// readCurrent returns the MANIFEST name stored in CURRENT.
func readCurrent(fs vfs.FS, dir string) (string, error) {
	f, err := fs.Open(fs.PathJoin(dir, base.MakeFilename(base.FileTypeCurrent, 0)))
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", fmt.Errorf("lsm: reading CURRENT: %w", err)
	}
	s := string(b)
	if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		return "", base.CorruptionErrorf("lsm: CURRENT is malformed: %q", s)
	}
	return strings.TrimSuffix(s, "\n"), nil
}

// setCurrent atomically points CURRENT at MANIFEST-num: write a temp file,
// sync it, rename it over CURRENT, sync the directory.
func setCurrent(fs vfs.FS, dir string, dirFile vfs.File, num, tmpNum base.FileNum) error {
	tmp := fs.PathJoin(dir, base.MakeFilename(base.FileTypeTemp, tmpNum))
	f, err := fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("lsm: writing CURRENT: %w", err)
	}
	_, err = io.WriteString(f, base.MakeFilename(base.FileTypeManifest, num)+"\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fs.Rename(tmp, fs.PathJoin(dir, base.MakeFilename(base.FileTypeCurrent, 0)))
	}
	if err == nil {
		err = dirFile.Sync()
	}
	if err != nil {
		_ = fs.Remove(tmp)
		return fmt.Errorf("lsm: writing CURRENT: %w", err)
	}
	return nil
}

// snapshotEdit returns one edit that describes the whole version v, as the
// first record of a new MANIFEST.
func snapshotEdit(v *version, logNum, nextFileNum base.FileNum, lastSeq base.SeqNum) *versionEdit {
	snap := &versionEdit{
		comparer:    base.DefaultComparer.Name,
		logNumber:   logNum,
		nextFileNum: nextFileNum,
		lastSeqNum:  lastSeq,
	}
	if snap.logNumber == 0 {
		snap.logNumber = 1 // no WAL below 1 exists; keeps the field present
	}
	for level, files := range v.levels {
		for _, m := range files {
			snap.newFiles = append(snap.newFiles, newFileEntry{level: level, meta: m})
		}
	}
	return snap
}
