package lsm

import (
	"github.com/strata-db/strata/internal/base"
)

// signalObsolete wakes the obsolete-file loop.
func (d *DB) signalObsolete() {
	select {
	case d.obsolete <- struct{}{}:
	default:
	}
}

func (d *DB) obsoleteLoop() {
	defer d.bgWG.Done()
	for {
		select {
		case <-d.closing:
			return
		case <-d.obsolete:
			d.deleteObsoleteFiles()
		}
	}
}

// deleteObsoleteFiles deletes tables no version references any more and
// WALs older than the one the MANIFEST says is the oldest unflushed.
func (d *DB) deleteObsoleteFiles() {
	d.obsoleteMu.Lock()
	defer d.obsoleteMu.Unlock()
	for _, f := range d.vs.takeObsoleteTables() {
		d.tableCache.evict(f.FileNum)
		d.removeFile(base.FileTypeTable, f.FileNum)
	}
	d.vs.logMu.Lock()
	minLog := d.vs.logNum
	d.vs.logMu.Unlock()
	names, err := d.fs.List(d.dirname)
	if err != nil {
		return
	}
	for _, name := range names {
		if typ, num, ok := base.ParseFilename(name); ok && typ == base.FileTypeLog && num < minLog {
			d.removeFile(typ, num)
		}
	}
}

// deleteObsoleteOnOpen removes what a previous run left behind: WALs that
// are flushed, tables no version names (outputs of an interrupted flush),
// old MANIFESTs and temporary files.
func (d *DB) deleteObsoleteOnOpen(names []string) {
	live := map[base.FileNum]bool{}
	d.mu.Lock()
	for _, files := range d.vs.current.levels {
		for _, f := range files {
			live[f.FileNum] = true
		}
	}
	d.mu.Unlock()
	for _, name := range names {
		typ, num, ok := base.ParseFilename(name)
		if !ok {
			continue
		}
		switch {
		case typ == base.FileTypeLog && num < d.vs.logNum,
			typ == base.FileTypeTable && !live[num],
			typ == base.FileTypeManifest && num != d.vs.manifestNum,
			typ == base.FileTypeTemp:
			d.removeFile(typ, num)
		}
	}
}

func (d *DB) removeFile(typ base.FileType, num base.FileNum) {
	name := base.MakeFilename(typ, num)
	if err := d.fs.Remove(d.fs.PathJoin(d.dirname, name)); err != nil {
		d.opts.Logger.Warn("deleting obsolete file", "file", name, "err", err)
	}
}
