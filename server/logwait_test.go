package server

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/strata-db/strata/internal/vfs/errorfs"
	"github.com/strata-db/strata/server/resp"
)

// Replies wait for the WAL (client.flush): commits do not wait for their
// WAL write, a client waits once before it sends replies that may
// acknowledge writes.

func walWrites(s *Server) uint64 { return s.db.Metrics().WAL.Writes }

// TestPipelineSharesWALWrite: a pipeline of writes to distinct keys
// commits two WAL records (the first command alone, the rest as a run:
// keybatch.go) and writes them with one WAL write (two if the everysec
// ticker took some first), before the replies; a crash after the replies
// loses none (checked by a restart that reads the WAL).
func TestPipelineSharesWALWrite(t *testing.T) {
	dir := t.TempDir()
	ts, err := openFaultServer(t, dir, nil, "--appendfsync", "everysec")
	if err != nil {
		t.Fatal(err)
	}
	p := newPipeClient(t, ts.s)
	const n = 16
	var cmds [][]string
	// Keys on distinct stripes (a run ends at a stripe it holds), with an
	// option: plain SETs would run as one MSET (coalesce.go).
	for _, k := range stripeKeys(ts.s, "k", n) {
		cmds = append(cmds, []string{"SET", k, "v", "KEEPTTL"})
	}
	records, writes := walRecords(ts.s), walWrites(ts.s)
	for i, v := range p.send(t, cmds...) {
		if v.Str != "OK" {
			t.Fatalf("reply %d: %s", i, v)
		}
	}
	if got := walRecords(ts.s) - records; got != 2 {
		t.Fatalf("%d WAL records for %d SETs, want 2 (one, then a run)", got, n)
	}
	if got := walWrites(ts.s) - writes; got < 1 || got > 2 {
		t.Fatalf("%d WAL writes for a pipeline of %d SETs, want 1 (2 with a tick)", got, n)
	}
	// Reads wait for nothing: no WAL write for a pipeline of GETs.
	writes = walWrites(ts.s)
	for i, v := range p.send(t, repeat(8, "GET", cmds[0][1])...) {
		if v.Str != "v" {
			t.Fatalf("GET %d: %s", i, v)
		}
	}
	if got := walWrites(ts.s) - writes; got != 0 {
		t.Fatalf("a pipeline of GETs made %d WAL writes", got)
	}
}

// TestWALFailureClosesConnection: under everysec a write's commit is
// visible before its WAL write; if that write fails, the client gets the
// error in place of the replies from the first write on, and the
// connection closes, so no acknowledgement of an unlogged write is sent.
// Other clients find the engine read-only, and after a restart the writes
// are gone.
func TestWALFailureClosesConnection(t *testing.T) {
	dir := t.TempDir()
	fault := errorfs.NewToggle(syscall.ENOSPC, pathFilter(".log", errorfs.OpWrite))
	ts, err := openFaultServer(t, dir, fault, "--appendfsync", "everysec")
	if err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, ts.addr)
	if v := c.mustDo(t, "SET", "kept", "1"); v.Str != "OK" {
		t.Fatal(v)
	}
	fault.On()
	var b []byte
	for _, cmd := range [][]string{{"GET", "kept"}, {"SET", "lost:a", "1"}, {"GET", "lost:a"}, {"RPUSH", "lost:l", "x"}} {
		b = appendCommand(b, cmd...)
	}
	c.conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.conn.Write(b); err != nil {
		t.Fatal(err)
	}
	if v, err := resp.ReadReply(c.br); err != nil || v.Str != "1" {
		t.Fatalf("GET before the first write: %v %v", v, err)
	}
	v, err := resp.ReadReply(c.br)
	if err != nil || v.Kind != resp.KindError || !strings.Contains(v.Str, syscall.ENOSPC.Error()) {
		t.Fatalf("reply to the first write: %v %v, want an error naming %q", v, err, syscall.ENOSPC)
	}
	if v, err := resp.ReadReply(c.br); !errors.Is(err, io.EOF) && !isConnReset(err) {
		t.Fatalf("after the error: %v %v, want the connection closed", v, err)
	}
	// A new client: writes are refused, one error each, and the
	// connection stays.
	c2 := dialRaw(t, ts.addr)
	for range 2 {
		if v := c2.mustDo(t, "SET", "lost:b", "1"); v.Kind != resp.KindError || !strings.Contains(v.Str, "read-only") {
			t.Fatalf("SET on the read-only engine: %s", v)
		}
	}
	fault.Off()
	if err := ts.shutdown(); err == nil {
		t.Fatal("shutdown after the WAL failed reported no error")
	}
	ts2, err := openFaultServer(t, dir, nil, "--appendfsync", "everysec")
	if err != nil {
		t.Fatal(err)
	}
	c3 := dialRaw(t, ts2.addr)
	if v := c3.mustDo(t, "GET", "kept"); v.Str != "1" {
		t.Fatalf("acknowledged write lost: GET kept = %s", v)
	}
	for _, k := range []string{"lost:a", "lost:l", "lost:b"} {
		if v := c3.mustDo(t, "EXISTS", k); v.Int != 0 {
			t.Fatalf("%s, refused, came back after the restart", k)
		}
	}
}

func isConnReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNRESET)
}

// TestServedPopWaitsForWAL: a blocked client served by another client's
// push gets its reply only once the pop, committed by the pusher without
// waiting, is in the WAL. WAL writes are held at a gate: while held,
// neither the pusher nor the popper has a reply.
func TestServedPopWaitsForWAL(t *testing.T) {
	var hold atomic.Bool
	entered := make(chan struct{}, 1)
	gate := make(chan struct{})
	inj := errorfs.InjectorFunc(func(op errorfs.Op, path string) error {
		if op == errorfs.OpWrite && strings.HasSuffix(path, ".log") && hold.CompareAndSwap(true, false) {
			entered <- struct{}{}
			<-gate
		}
		return nil
	})
	ts, err := openFaultServer(t, t.TempDir(), inj, "--appendfsync", "everysec")
	if err != nil {
		t.Fatal(err)
	}
	var release sync.Once
	open := func() { release.Do(func() { close(gate) }) }
	t.Cleanup(open) // before the server's shutdown, which waits for the write
	popper, pusher := dialRaw(t, ts.addr), dialRaw(t, ts.addr)
	popper.send(t, "BLPOP", "q", "0")
	// The popper is blocked once it is listed as blocked.
	admin := dialRaw(t, ts.addr)
	for infoText(t, admin, "clients", "blocked_clients") != "1" {
	}
	hold.Store(true)
	pusher.send(t, "RPUSH", "q", "x")
	<-entered // the WAL write of the push and the pop is held
	// Neither reply may arrive while the write is held.
	for _, c := range []*rawConn{popper, pusher} {
		c.conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := c.br.Peek(1); err == nil {
			t.Fatal("a reply was sent before its WAL write")
		}
	}
	open()
	if v := pusher.read(t); v.Int != 1 {
		t.Fatalf("RPUSH: %s", v)
	}
	if v := popper.read(t); v.String() != `["q" "x"]` {
		t.Fatalf("BLPOP: %s", v)
	}
}
