package server

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/strata-db/strata/jemallocprof"
)

// KPROFILE MEMORY ENABLE|DISABLE|STATUS|DUMP <dir>: Kvrocks' command to
// switch detailed heap profiling at run time and dump a profile. Unlike
// Kvrocks, DUMP replies with the written file's path, a failed write is an
// error reply, and <dir> is confined under profile-dump-root
// (dumproot.go). The file is Go's pprof heap profile (go tool pprof reads
// it); the jemalloc build writes jemalloc's own dump beside it for jeprof.

func init() {
	register(&command{name: "kprofile", arity: -3, flags: flagAdmin | flagNoScript, group: "server", since: "7.0.0",
		summary: "Enables, disables, reports or dumps heap memory profiling.", handler: cmdKProfile})
}

// dumpHeapProfile writes the profile; tests replace it to make the write
// fail.
var dumpHeapProfile = jemallocprof.DumpHeapProfile

func cmdKProfile(c *client, args [][]byte) {
	if !strings.EqualFold(string(args[1]), "memory") {
		c.w.Error(errKProfileComponent)
		return
	}
	op := strings.ToLower(string(args[2]))
	want := 3
	switch op {
	case "enable", "disable", "status":
	case "dump":
		want = 4
	default:
		c.w.Error(errKProfileOp)
		return
	}
	if len(args) != want {
		c.w.Error(fmt.Sprintf(errWrongArity, "kprofile"))
		return
	}
	switch op {
	case "enable", "disable":
		switchFn := jemallocprof.EnableProfiling
		if op == "disable" {
			switchFn = jemallocprof.DisableProfiling
		}
		if err := switchFn(); err != nil {
			c.w.Error(fmt.Sprintf(errKProfileSwitch, oneLine(err)))
			return
		}
		c.s.logger.Info("heap profiling switched", "op", op, "client", c.addr)
		c.w.SimpleString("OK")
	case "status":
		if jemallocprof.ProfilingEnabled() {
			c.w.BulkString("enabled")
		} else {
			c.w.BulkString("disabled")
		}
	case "dump":
		if !jemallocprof.ProfilingEnabled() {
			c.w.Error(errKProfileDisabled)
			return
		}
		dir, msg := c.s.resolveDumpDir(string(args[3]))
		if msg != "" {
			c.w.Error(msg)
			return
		}
		// A collection first, so the profile describes the heap as it is
		// now rather than as of the last collection (as pprof's ?gc=1).
		runtime.GC()
		path, err := dumpHeapProfile(dir)
		if errors.Is(err, jemallocprof.ErrProfilingDisabled) { // disabled meanwhile
			c.w.Error(errKProfileDisabled)
			return
		}
		if err != nil {
			c.w.Error(fmt.Sprintf(errKProfileDump, oneLine(err)))
			return
		}
		c.s.logger.Info("heap profile dumped", "path", path, "client", c.addr)
		c.w.BulkString(path)
	}
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }
