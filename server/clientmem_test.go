package server

import (
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata/jemallocprof"
)

// clientBufs returns the tracked client query and reply bytes.
func clientBufs() (query, reply int64) {
	return jemallocprof.Live(jemallocprof.ClientQuery), jemallocprof.Live(jemallocprof.ClientReply)
}

// TestClientBuffersTracked: every client's query and reply buffers are
// counted under client_query and client_reply as they are allocated, grow
// and shrink, INFO memory shows the figures, and they return to zero when
// the clients disconnect.
func TestClientBuffersTracked(t *testing.T) {
	ts := startServer(t, t.TempDir())
	waitUntil(t, 5*time.Second, "no client buffers before the test", func() bool {
		q, r := clientBufs()
		return q == 0 && r == 0
	})
	const initialQueryBuf = 16 << 10 // resp's initialBufSize
	observer := dialRaw(t, ts.addr)
	observer.mustDo(t, "PING")
	var conns []*rawConn
	for range 20 {
		c := dialRaw(t, ts.addr)
		c.mustDo(t, "PING")
		conns = append(conns, c)
	}
	// Every idle client holds exactly one initial query buffer.
	waitUntil(t, 5*time.Second, "21 query buffers", func() bool {
		q, _ := clientBufs()
		return q == 21*initialQueryBuf
	})
	if got := infoField(t, observer, "memory", "tracked_client_query"); got != 21*initialQueryBuf {
		t.Fatalf("INFO tracked_client_query = %d, want %d", got, 21*initialQueryBuf)
	}
	if got := infoField(t, observer, "memory", "tracked_client_query_live_allocs"); got != 21 {
		t.Fatalf("INFO tracked_client_query_live_allocs = %d, want 21", got)
	}
	_, reply := clientBufs()
	if reply <= 0 {
		t.Fatalf("tracked client reply buffers = %d, want > 0", reply)
	}

	// A big command arriving in pieces grows its client's query buffer
	// while it is still incomplete.
	big := strings.Repeat("v", 600<<10)
	req := string(appendCommand(nil, "SET", "big", big))
	half := len(req) / 2
	if _, err := conns[0].conn.Write([]byte(req[:half])); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the query buffer to grow", func() bool {
		q, _ := clientBufs()
		return q >= 20*initialQueryBuf+int64(half)
	})
	if got := infoField(t, observer, "memory", "mem_clients_normal"); got < int64(half) {
		t.Fatalf("INFO mem_clients_normal = %d, want >= %d", got, half)
	}
	if _, err := conns[0].conn.Write([]byte(req[half:])); err != nil {
		t.Fatal(err)
	}
	if v := conns[0].read(t); v.Str != "OK" {
		t.Fatalf("SET big: %v", v)
	}
	// Once the command has run, the big buffer is dropped.
	waitUntil(t, 5*time.Second, "the query buffer to shrink", func() bool {
		q, _ := clientBufs()
		return q == 21*initialQueryBuf
	})

	// A big reply is kept (below the writer's 1 MiB retention) and counted.
	if got := conns[1].mustDo(t, "GET", "big"); len(got.Str) != len(big) {
		t.Fatalf("GET big returned %d bytes", len(got.Str))
	}
	waitUntil(t, 5*time.Second, "the reply buffer to be counted", func() bool {
		_, r := clientBufs()
		return r >= reply+int64(len(big))
	})

	// A subscriber's outbox is counted too.
	sub := dialRaw(t, ts.addr)
	sub.mustDo(t, "SUBSCRIBE", "ch")
	observer.mustDo(t, "PUBLISH", "ch", strings.Repeat("m", 100<<10))
	if v := sub.read(t); len(v.Elems) != 3 || len(v.Elems[2].Str) != 100<<10 {
		t.Fatalf("message: %v", v.Kind)
	}

	// Everything returns to zero once the clients are gone.
	for _, c := range append(conns, sub, observer) {
		c.conn.Close()
	}
	waitUntil(t, 5*time.Second, "client buffers back to zero", func() bool {
		q, r := clientBufs()
		return q == 0 && r == 0
	})
	for _, p := range []jemallocprof.Purpose{jemallocprof.ClientQuery, jemallocprof.ClientReply} {
		st := jemallocprof.Snapshot()[p]
		if st.LiveAllocs != 0 || st.Allocs == 0 || st.Peak < int64(half) && p == jemallocprof.ClientQuery {
			t.Fatalf("%s: %+v", p, st)
		}
	}
}
