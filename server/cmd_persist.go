package server

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Persistence commands on the engine: SAVE and BGSAVE write a checkpoint
// (a consistent copy of the engine, openable as a data directory of its
// own) to <dir>/checkpoint, replacing the previous one, as Redis replaces
// dump.rdb. COMPACT compacts the whole keyspace (Kvrocks' command).

func init() {
	register(
		&command{name: "save", arity: 1, flags: flagAdmin | flagNoScript, group: "server", summary: "Synchronously saves the database(s) to disk.", handler: cmdSave},
		&command{name: "bgsave", arity: -1, flags: flagAdmin | flagNoScript, group: "server", summary: "Asynchronously saves the database(s) to disk.", handler: cmdBGSave},
		&command{name: "compact", arity: 1, flags: flagAdmin | flagWrite, group: "server", summary: "Compacts the whole keyspace, reclaiming the space of deleted and expired data.", handler: cmdCompact},
	)
}

// checkpointDir is where SAVE puts its checkpoint.
func (s *Server) checkpointDir() string { return filepath.Join(s.cfg.Get("dir"), "checkpoint") }

// save writes a fresh checkpoint next to the previous one, then replaces it.
func (s *Server) save() error {
	final := s.checkpointDir()
	tmp := final + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := s.db.Checkpoint(tmp); err != nil {
		return err
	}
	old := final + ".old"
	os.RemoveAll(old)
	if _, err := os.Stat(final); err == nil {
		if err := os.Rename(final, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	os.RemoveAll(old)
	s.lastSave.Store(time.Now().Unix())
	return nil
}

func cmdSave(c *client, args [][]byte) {
	if !c.s.saving.CompareAndSwap(false, true) {
		c.w.Error("ERR Background save already in progress")
		return
	}
	defer c.s.saving.Store(false)
	if err := c.s.save(); err != nil {
		c.s.lastSaveOK.Store(false)
		c.w.Error(fmt.Sprintf("ERR %s", err))
		return
	}
	c.s.lastSaveOK.Store(true)
	c.w.SimpleString("OK")
}

// cmdBGSave implements BGSAVE [SCHEDULE].
func cmdBGSave(c *client, args [][]byte) {
	if len(args) > 2 || (len(args) == 2 && !equalFold(args[1], "schedule")) {
		c.w.Error(errSyntax)
		return
	}
	if !c.s.saving.CompareAndSwap(false, true) {
		if len(args) == 2 {
			c.w.SimpleString("Background saving scheduled")
			return
		}
		c.w.Error("ERR Background save already in progress")
		return
	}
	s := c.s
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.saving.Store(false)
		if err := s.save(); err != nil {
			s.lastSaveOK.Store(false)
			s.logger.Error("background save failed", "err", err)
			return
		}
		s.lastSaveOK.Store(true)
		s.logger.Info("background saving terminated with success")
	}()
	c.w.SimpleString("Background saving started")
}

func cmdCompact(c *client, args [][]byte) {
	if err := c.s.db.Compact(nil, nil); err != nil {
		c.replyErr(err)
		return
	}
	c.w.SimpleString("OK")
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
