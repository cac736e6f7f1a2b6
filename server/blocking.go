package server

import (
	"errors"
	"math"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/server/resp"
)

// Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
// BZPOPMAX, BZMPOP).
//
// A command that finds nothing registers a waiter on each of its keys and
// its goroutine sleeps. A write to a key with waiters (reported by the
// keyspace's notifier) queues the key as ready; after every command the
// server serves ready keys: for each, its waiters in the order they
// blocked try their own command (the pop runs on the serving goroutine, on
// behalf of the blocked client) until one finds nothing. A served waiter
// gets its reply bytes and wakes. So wake-ups are fair (first blocked,
// first served) and an element is never popped for a client that has given
// up: serving and timing out both hold the waiter's mutex.
//
// While blocked, a helper goroutine reads the connection so that a client
// that disconnects (or is killed) stops waiting at once; bytes it sends
// meanwhile are kept and parsed after the wake-up.

// waiter is one blocked client.
type waiter struct {
	c    *client
	keys []dbKey
	// try runs the command for the blocked client; ok is false when there
	// is still nothing to serve (or the key holds another type).
	try func(w *resp.Writer) (ok bool)

	mu     sync.Mutex
	state  int // waiting, served or cancelled
	reply  []byte
	served chan struct{}
}

const (
	waiterWaiting = iota
	waiterServed
	waiterCancelled
)

// serve tries w's command; it reports whether w is finished (served now or
// cancelled before).
func (w *waiter) serve() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != waiterWaiting {
		return true
	}
	out := resp.NewWriter(w.c.proto)
	if !w.try(out) {
		return false
	}
	w.reply = append([]byte(nil), out.Buffer()...)
	w.state = waiterServed
	close(w.served)
	return true
}

// serveReady serves the waiters of every ready key (see the comment at the
// top). It runs after each command; serveMu keeps one server at a time so
// that FIFO order holds across concurrent writers.
func (s *Server) serveReady() {
	e := s.events
	if !e.anyReady.Load() {
		return
	}
	s.serveMu.Lock()
	defer s.serveMu.Unlock()
	for {
		e.mu.Lock()
		if len(e.ready) == 0 {
			e.anyReady.Store(false)
			e.mu.Unlock()
			return
		}
		keys := make([]dbKey, 0, len(e.ready))
		for k := range e.ready {
			keys = append(keys, k)
		}
		clear(e.ready)
		e.mu.Unlock()
		for _, k := range keys {
			e.mu.Lock()
			queue := append([]*waiter(nil), e.blocked[k]...)
			e.mu.Unlock()
			for _, w := range queue {
				if w.serve() {
					e.removeWaiter(w)
				}
			}
		}
	}
}

func (e *keyEvents) addWaiter(w *waiter) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, k := range w.keys {
		e.blocked[k] = append(e.blocked[k], w)
		// Serve once right away: a write between the command's first try
		// and this registration found no waiter to flag.
		e.ready[k] = struct{}{}
	}
	e.anyReady.Store(true)
	e.active.Add(1)
}

func (e *keyEvents) removeWaiter(w *waiter) {
	e.mu.Lock()
	defer e.mu.Unlock()
	removed := false
	for _, k := range w.keys {
		q := e.blocked[k]
		for i, x := range q {
			if x == w {
				q = append(q[:i:i], q[i+1:]...)
				removed = true
				break
			}
		}
		if len(q) == 0 {
			delete(e.blocked, k)
		} else {
			e.blocked[k] = q
		}
	}
	if removed {
		e.active.Add(-1)
	}
}

// parseTimeout parses a blocking command's timeout in seconds (a long
// double, as in Redis 7.0); 0 blocks forever. Like Redis, an infinite or
// huge timeout converts to a negative integer and is refused as negative.
func parseTimeout(b []byte) (time.Duration, string) {
	if _, ok := codec.ParseFloatArg(b); !ok {
		return 0, "ERR timeout is not a float or out of range"
	}
	// A long double holds what a float64 may not: beyond its range the
	// value is huge (refused below like an infinity) or, underflowing, 0.
	f, _ := strconv.ParseFloat(string(b), 64)
	ms := f * 1000
	if math.IsInf(ms, 0) || ms >= 0x1p63 || ms < -0x1p63 {
		return 0, errTimeoutNegative
	}
	tval := int64(ms)
	if tval < 0 {
		return 0, errTimeoutNegative
	}
	if tval > math.MaxInt64-time.Now().UnixMilli() {
		return 0, "ERR timeout is out of range"
	}
	if tval > math.MaxInt64/int64(time.Millisecond) {
		return math.MaxInt64, "" // beyond 292 years: as good as forever
	}
	return time.Duration(tval) * time.Millisecond, ""
}

// block makes the client wait on keys after its command found nothing:
// until another client's write lets try succeed (try writes the reply), the
// timeout passes (the reply is then a null array, as for every blocking
// command in Redis 7), or the client goes away. Inside
// MULTI the command does not block: it times out at once.
func (c *client) block(keys [][]byte, timeout time.Duration, try func(w *resp.Writer) bool) {
	if c.inExec {
		c.w.NullArray()
		return
	}
	db := c.kdb().Num()
	w := &waiter{c: c, try: try, served: make(chan struct{})}
	seen := map[string]bool{}
	for _, k := range keys {
		if !seen[string(k)] {
			seen[string(k)] = true
			w.keys = append(w.keys, dbKey{db, string(k)})
		}
	}
	c.blocked.Store(true)
	defer c.blocked.Store(false)
	c.s.events.addWaiter(w)
	c.s.serveReady()
	if err := c.flush(); err != nil {
		w.cancel()
		c.s.events.removeWaiter(w)
		return
	}
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	gone, stop := c.watchDisconnect()
	select {
	case <-w.served:
	case <-timer:
	case <-gone:
	}
	stop()
	served := !w.cancel()
	c.s.events.removeWaiter(w)
	if served {
		// The serving client committed the pop without waiting for the
		// WAL, before this mark: wait for the whole log.
		c.needLog()
		c.logWaiter.Unmark()
		c.w.Raw(w.reply)
		return
	}
	c.w.NullArray()
}

// cancel ends the wait unless the waiter was served; it reports whether it
// cancelled.
func (w *waiter) cancel() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == waiterServed {
		return false
	}
	w.state = waiterCancelled
	return true
}

// watchDisconnect reads the connection while the client is blocked. gone
// is closed if the connection fails (the client left or was killed); stop
// ends the watch and hands the bytes read meanwhile back to the client's
// reader. The client goroutine must not read until stop returns.
func (c *client) watchDisconnect() (gone <-chan struct{}, stop func()) {
	g := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for len(c.cr.pending) < maxBlockedInput {
			n, err := c.conn.Read(buf)
			c.cr.pending = append(c.cr.pending, buf[:n]...)
			c.cr.trackPending()
			if err != nil {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					c.cr.err = err
					close(g)
				}
				return
			}
		}
	}()
	return g, func() {
		_ = c.conn.SetReadDeadline(time.Unix(1, 0))
		<-done
		_ = c.conn.SetReadDeadline(time.Time{})
	}
}

// maxBlockedInput bounds what a blocked client may send before it is
// served; beyond it the connection is no longer read until the wake-up.
const maxBlockedInput = 1 << 20

// connReader is what a client's resp.Reader reads: bytes read by
// watchDisconnect first, then the connection (and the error it met).
type connReader struct {
	conn    net.Conn
	pending []byte
	err     error
	// mem declares pending's capacity as client query buffer.
	mem *bufTrack
}

// trackPending declares pending's current capacity.
func (r *connReader) trackPending() {
	if r.mem != nil {
		r.mem.set(cap(r.pending))
	}
}

func (r *connReader) Read(p []byte) (int, error) {
	if len(r.pending) > 0 {
		n := copy(p, r.pending)
		r.pending = r.pending[n:]
		if len(r.pending) == 0 {
			r.pending = nil
			r.trackPending()
		}
		return n, nil
	}
	if r.err != nil {
		return 0, r.err
	}
	return r.conn.Read(p)
}
