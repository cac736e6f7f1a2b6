package server

// I/O faults under a running server: the engine runs on errorfs over the
// OS filesystem, a Toggle fails chosen operations (WAL appends and syncs,
// table writes in a flush or a compaction, MANIFEST writes, the CURRENT
// rename at start-up), and the server must refuse writes with an error
// naming the cause, never acknowledge a write that did not reach the WAL,
// show the error in INFO, keep serving reads, and after the fault clears
// recover everything acknowledged on restart.

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/internal/vfs/errorfs"
	"github.com/strata-db/strata/server/resp"
)

// openFaultServer opens an in-process server whose engine runs on the OS
// filesystem wrapped by inj (nil: no wrapping). Open's error is returned.
func openFaultServer(t *testing.T, dir string, inj errorfs.Injector, overrides ...string) (*testServer, error) {
	t.Helper()
	cfg := NewConfig()
	args := append([]string{"--port", "0", "--dir", dir, "--memtable-size", "1mb", "--appendfsync", "always", "--workers", testWorkers()}, overrides...)
	if err := cfg.ApplyArgs(args); err != nil {
		t.Fatal(err)
	}
	if inj != nil {
		cfg.engineFS = errorfs.Wrap(vfs.Default, inj)
	}
	s, err := Open(cfg, nil)
	if err != nil {
		return nil, err
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{s: s, addr: s.Addr().String(), done: make(chan error, 1), dir: dir}
	go func() { ts.done <- s.Serve() }()
	t.Cleanup(func() { ts.shutdown() })
	return ts, nil
}

// shutdown stops the server and returns what Serve returned: the engine's
// sticky error after a fault.
func (ts *testServer) shutdown() error {
	if ts.s == nil {
		return nil
	}
	ts.s.Shutdown()
	err := <-ts.done
	ts.s = nil
	return err
}

// pathFilter selects ops on files whose base name ends with suffix
// (".log", ".sst") or contains it ("MANIFEST").
func pathFilter(suffix string, ops ...errorfs.Op) errorfs.Filter {
	match := errorfs.Ops(ops...)
	return func(op errorfs.Op, path string) bool {
		base := filepath.Base(path)
		return match(op, path) && (strings.HasSuffix(base, suffix) || strings.Contains(base, suffix))
	}
}

// faultData is what the writes before the fault left: every one of them
// was acknowledged.
type faultData struct {
	n int
	// bg holds keys written (2000 bytes of x) while waiting for a
	// background fault.
	bg []string
}

// write runs n rounds of writes over every type, acknowledged one by one.
func (fd *faultData) write(t *testing.T, c *rawConn, n int) {
	t.Helper()
	for i := fd.n; i < fd.n+n; i++ {
		is := strconv.Itoa(i)
		for _, cmd := range [][]string{
			{"SET", "s:" + is, "v" + is},
			{"HSET", "h", "f" + is, is},
			{"RPUSH", "l", is},
			{"SADD", "set", "m" + is},
			{"ZADD", "z", is, "m" + is},
			{"INCR", "ctr"},
		} {
			if v := c.mustDo(t, cmd...); v.Kind == resp.KindError {
				t.Fatalf("%v before the fault: %s", cmd, v)
			}
		}
		if i%10 == 0 {
			c.mustDo(t, "MULTI")
			c.mustDo(t, "SET", "tx:"+is, "a")
			c.mustDo(t, "EXPIRE", "tx:"+is, "100000")
			if v := c.mustDo(t, "EXEC"); v.Kind != resp.KindArray {
				t.Fatalf("EXEC before the fault: %s", v)
			}
		}
	}
	fd.n += n
}

// check requires every acknowledged write, through reads of every type.
func (fd *faultData) check(t *testing.T, c *rawConn, what string) {
	t.Helper()
	for i := 0; i < fd.n; i++ {
		is := strconv.Itoa(i)
		if v := c.mustDo(t, "GET", "s:"+is); v.Str != "v"+is {
			t.Fatalf("%s: GET s:%d = %s", what, i, v)
		}
		if i%10 == 0 {
			if v := c.mustDo(t, "PTTL", "tx:"+is); v.Int <= 0 {
				t.Fatalf("%s: PTTL tx:%d = %s", what, i, v)
			}
		}
	}
	n := strconv.Itoa(fd.n)
	for _, q := range []struct {
		cmd  []string
		want int
	}{
		{[]string{"HLEN", "h"}, fd.n}, {[]string{"LLEN", "l"}, fd.n}, {[]string{"SCARD", "set"}, fd.n},
		{[]string{"ZCARD", "z"}, fd.n},
	} {
		if v := c.mustDo(t, q.cmd...); v.Int != int64(q.want) {
			t.Fatalf("%s: %v = %s, want %d", what, q.cmd, v, q.want)
		}
	}
	if v := c.mustDo(t, "GET", "ctr"); v.Str != n {
		t.Fatalf("%s: ctr = %s, want %s", what, v, n)
	}
	if v := c.mustDo(t, "LINDEX", "l", "-1"); v.Str != strconv.Itoa(fd.n-1) {
		t.Fatalf("%s: LINDEX l -1 = %s", what, v)
	}
	if v := c.mustDo(t, "ZSCORE", "z", "m"+strconv.Itoa(fd.n-1)); v.Str != strconv.Itoa(fd.n-1) {
		t.Fatalf("%s: ZSCORE = %s", what, v)
	}
	for _, key := range fd.bg {
		if v := c.mustDo(t, "STRLEN", key); v.Int != 2000 {
			t.Fatalf("%s: acknowledged %s lost: STRLEN %s", what, key, v)
		}
	}
}

// infoText returns a field of an INFO section as text ("" when missing).
func infoText(t *testing.T, c *rawConn, section, name string) string {
	t.Helper()
	v := c.mustDo(t, "INFO", section)
	for _, line := range strings.Split(v.Str, "\r\n") {
		if k, val, ok := strings.Cut(line, ":"); ok && k == name {
			return val
		}
	}
	return ""
}

func TestFaultInjectionServer(t *testing.T) {
	enospc, eio := syscall.ENOSPC, syscall.EIO
	for _, tc := range []struct {
		name   string
		cause  syscall.Errno
		filter errorfs.Filter
		args   []string
		// trigger runs the command that meets the fault and returns its
		// reply; nil: plain writes meet it.
		trigger []string
		// background: the fault is met by background work (a flush or a
		// sync nobody waits for), found by polling INFO.
		background bool
		// mayPersist: the failed write reached the file (its sync failed),
		// so a restart may show it.
		mayPersist bool
	}{
		{name: "wal-append-enospc", cause: enospc, filter: pathFilter(".log", errorfs.OpWrite)},
		{name: "wal-sync-eio", cause: eio, filter: pathFilter(".log", errorfs.OpSync), mayPersist: true},
		{name: "wal-sync-everysec-eio", cause: eio, filter: pathFilter(".log", errorfs.OpSync),
			args: []string{"--appendfsync", "everysec"}, background: true, mayPersist: true},
		{name: "flush-table-enospc", cause: enospc, filter: pathFilter(".sst", errorfs.OpWrite, errorfs.OpSync),
			trigger: []string{"FLUSHMEMTABLE"}},
		{name: "flush-manifest-eio", cause: eio, filter: pathFilter("MANIFEST", errorfs.OpWrite, errorfs.OpSync),
			trigger: []string{"FLUSHMEMTABLE"}},
		{name: "background-flush-enospc", cause: enospc, filter: pathFilter(".sst", errorfs.OpCreate, errorfs.OpWrite),
			background: true},
		{name: "compaction-table-enospc", cause: enospc, filter: pathFilter(".sst", errorfs.OpWrite, errorfs.OpSync),
			trigger: []string{"COMPACT"}},
		{name: "compaction-manifest-enospc", cause: enospc, filter: pathFilter("MANIFEST", errorfs.OpWrite),
			trigger: []string{"COMPACT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fault := errorfs.NewToggle(tc.cause, tc.filter)
			ts, err := openFaultServer(t, dir, fault, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			c := dialRaw(t, ts.addr)
			fd := &faultData{}
			fd.write(t, c, 150)
			if v := c.mustDo(t, "FLUSHMEMTABLE"); v.Kind == resp.KindError {
				t.Fatal(v)
			}
			fd.write(t, c, 150) // some data in tables, some only in the WAL

			fault.On()
			cause := tc.cause.Error()
			// failed lists the writes refused: none may be acknowledged.
			var failedKeys []string
			switch {
			case tc.trigger != nil:
				v := c.mustDo(t, tc.trigger...)
				if v.Kind != resp.KindError || !strings.Contains(v.Str, cause) {
					t.Fatalf("%v with the fault on: %s, want an error naming %q", tc.trigger, v, cause)
				}
				t.Logf("%v: -%s", tc.trigger, v.Str)
			case tc.background:
				// Writes go on until the background work meets the fault;
				// acknowledged ones count as data. Polling with a deadline.
				deadline := time.Now().Add(20 * time.Second)
				for i := 0; infoText(t, c, "persistence", "engine_read_only") != "1"; i++ {
					if time.Now().After(deadline) {
						t.Fatalf("no background error after %d writes (%d injected)", i, fault.Injected())
					}
					key := fmt.Sprintf("bg:%d", i)
					v := c.mustDo(t, "SET", key, strings.Repeat("x", 2000))
					if v.Kind == resp.KindError {
						t.Logf("SET %s: -%s", key, v.Str)
						failedKeys = append(failedKeys, key)
						continue
					}
					fd.bg = append(fd.bg, key)
				}
			default:
				v := c.mustDo(t, "SET", "failed:0", "x")
				if v.Kind != resp.KindError || !strings.Contains(v.Str, cause) {
					t.Fatalf("SET with the fault on: %s, want an error naming %q", v, cause)
				}
				t.Logf("SET: -%s", v.Str)
				failedKeys = append(failedKeys, "failed:0")
			}
			// The engine is read-only now: every write is refused with the
			// cause, a transaction included; nothing is acknowledged.
			for i, cmd := range [][]string{
				{"SET", "failed:1", "x"}, {"HSET", "h", "new", "1"}, {"DEL", "s:1"}, {"INCR", "ctr"},
				{"EXPIRE", "s:2", "10"}, {"FLUSHMEMTABLE"},
			} {
				v := c.mustDo(t, cmd...)
				if v.Kind != resp.KindError || !strings.Contains(v.Str, "read-only") || !strings.Contains(v.Str, cause) {
					t.Fatalf("write %d %v on the read-only engine: %s, want a read-only error naming %q", i, cmd, v, cause)
				}
				if i == 0 {
					t.Logf("%v: -%s", cmd, v.Str)
				}
			}
			c.mustDo(t, "MULTI")
			c.mustDo(t, "SET", "failed:2", "x")
			if v := c.mustDo(t, "EXEC"); v.Kind != resp.KindError || !strings.Contains(v.Str, "read-only") {
				t.Fatalf("EXEC on the read-only engine: %s", v)
			}
			failedKeys = append(failedKeys, "failed:1", "failed:2")
			if got := infoText(t, c, "persistence", "engine_read_only"); got != "1" {
				t.Fatalf("INFO engine_read_only = %q", got)
			}
			if got := infoText(t, c, "persistence", "engine_error"); !strings.Contains(got, cause) {
				t.Fatalf("INFO engine_error = %q, want the cause %q", got, cause)
			}
			// Reads keep working and see every acknowledged write.
			fd.check(t, c, "reads on the read-only engine")
			for _, key := range failedKeys {
				if v := c.mustDo(t, "EXISTS", key); v.Int != 0 {
					t.Fatalf("refused write of %s is visible", key)
				}
			}
			// The fault clears; the error stays until a restart.
			fault.Off()
			if v := c.mustDo(t, "SET", "failed:3", "x"); v.Kind != resp.KindError {
				t.Fatalf("write after the fault cleared, before a restart: %s", v)
			}
			if err := ts.shutdown(); err == nil || !errors.Is(err, tc.cause) {
				t.Fatalf("shutdown after the fault: %v, want the sticky error", err)
			}

			ts2, err := openFaultServer(t, dir, nil, tc.args...)
			if err != nil {
				t.Fatalf("restart after the fault cleared: %v", err)
			}
			c2 := dialRaw(t, ts2.addr)
			fd.check(t, c2, "after the restart")
			for _, key := range failedKeys {
				if v := c2.mustDo(t, "EXISTS", key); v.Int != 0 && !tc.mayPersist {
					t.Fatalf("refused write of %s came back after the restart", key)
				}
			}
			if got := infoText(t, c2, "persistence", "engine_read_only"); got != "0" {
				t.Fatalf("INFO engine_read_only after the restart = %q", got)
			}
			fd.write(t, c2, 5)
			fd.check(t, c2, "writes after the restart")
		})
	}
}

// TestFaultAtStartup: the CURRENT rename (a new MANIFEST at every open)
// fails: the server refuses to start, naming the cause, and starts with
// everything once the fault clears.
func TestFaultAtStartup(t *testing.T) {
	dir := t.TempDir()
	ts, err := openFaultServer(t, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, ts.addr)
	fd := &faultData{}
	fd.write(t, c, 50)
	if err := ts.shutdown(); err != nil {
		t.Fatal(err)
	}
	fault := errorfs.NewToggle(syscall.ENOSPC, errorfs.Ops(errorfs.OpRename))
	fault.On()
	if _, err := openFaultServer(t, dir, fault); err == nil || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "CURRENT") {
		t.Fatalf("open with the CURRENT rename failing: %v, want an error naming ENOSPC and CURRENT", err)
	}
	ts, err = openFaultServer(t, dir, nil)
	if err != nil {
		t.Fatalf("open after the fault cleared: %v", err)
	}
	fd.check(t, dialRaw(t, ts.addr), "after the fault cleared")
}

// TestFaultIdleEverysecSync: under appendfsync everysec the WAL is synced
// by a timer, with no client waiting. A failed timed sync must turn the
// engine read-only at once, so INFO reports it on an idle server (it used
// to wait for the next write to find the WAL's sticky error).
func TestFaultIdleEverysecSync(t *testing.T) {
	fault := errorfs.NewToggle(syscall.EIO, pathFilter(".log", errorfs.OpSync))
	ts, err := openFaultServer(t, t.TempDir(), fault, "--appendfsync", "everysec")
	if err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, ts.addr)
	fault.On()
	v := c.mustDo(t, "SET", "k", "v")
	switch {
	case v.Str == "OK":
	case v.Kind == resp.KindError && strings.Contains(v.Str, syscall.EIO.Error()):
		// The timed sync ran in the pass that wrote the SET: it was
		// refused, not acknowledged. Rare; the check below still holds.
		t.Logf("the SET met the timed sync: -%s", v.Str)
	default:
		t.Fatalf("SET before the timed sync: %s", v)
	}
	// Reads only from here on: the timed sync (every second) meets the
	// fault. Polling INFO with a deadline.
	waitUntil(t, 10*time.Second, "INFO engine_read_only:1 after a failed timed sync", func() bool {
		return infoText(t, c, "persistence", "engine_read_only") == "1"
	})
	if got := infoText(t, c, "persistence", "engine_error"); !strings.Contains(got, syscall.EIO.Error()) {
		t.Fatalf("INFO engine_error = %q", got)
	}
	if v := c.mustDo(t, "GET", "k"); v.Kind == resp.KindError {
		t.Fatalf("GET on the read-only engine: %s", v)
	}
}

// TestFaultWALOffFlush: with the WAL off, FLUSHMEMTABLE is what makes
// writes durable. When it fails (disk full) the client is told, the engine
// turns read-only while reads still see everything, and a restart keeps
// everything the last successful FLUSHMEMTABLE covered.
func TestFaultWALOffFlush(t *testing.T) {
	dir := t.TempDir()
	fault := errorfs.NewToggle(syscall.ENOSPC, pathFilter(".sst", errorfs.OpCreate, errorfs.OpWrite, errorfs.OpSync))
	ts, err := openFaultServer(t, dir, fault, "--appendonly", "no")
	if err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, ts.addr)
	fd := &faultData{}
	fd.write(t, c, 100)
	if v := c.mustDo(t, "FLUSHMEMTABLE"); v.Str != "OK" {
		t.Fatalf("FLUSHMEMTABLE: %s", v)
	}
	if v := c.mustDo(t, "SET", "after-flush", "x"); v.Str != "OK" {
		t.Fatalf("SET: %s", v)
	}
	fault.On()
	v := c.mustDo(t, "FLUSHMEMTABLE")
	if v.Kind != resp.KindError || !strings.HasPrefix(v.Str, "ERR Failed to flush memtable: ") || !strings.Contains(v.Str, syscall.ENOSPC.Error()) {
		t.Fatalf("FLUSHMEMTABLE with the disk full: %s", v)
	}
	if v := c.mustDo(t, "SET", "k", "v"); v.Kind != resp.KindError || !strings.Contains(v.Str, "read-only") {
		t.Fatalf("SET after the failed flush: %s", v)
	}
	if got := infoText(t, c, "persistence", "engine_read_only"); got != "1" {
		t.Fatalf("INFO engine_read_only = %q", got)
	}
	fd.check(t, c, "reads after the failed flush")
	if v := c.mustDo(t, "GET", "after-flush"); v.Str != "x" {
		t.Fatalf("GET after-flush on the read-only engine: %s", v)
	}
	fault.Off()
	ts.shutdown() // the sticky error; the memtable cannot be flushed
	ts2, err := openFaultServer(t, dir, nil, "--appendonly", "no")
	if err != nil {
		t.Fatal(err)
	}
	fd.check(t, dialRaw(t, ts2.addr), "after the restart")
}
