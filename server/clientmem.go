package server

import "github.com/strata-db/strata/jemallocprof"

// Client buffers in the allocator wrapper's accounts.
//
// A client's query buffer (its resp.Reader's input buffer, plus the bytes a
// blocked client sent meanwhile) is counted under jemallocprof.ClientQuery,
// its reply buffers (the resp.Writer's buffer and, in async mode, the
// outbox's queued, spare and in-flight buffers) under ClientReply. The
// buffers are allocated by the Go runtime (append, make), so they are
// declared with Track and Untrack: each bufTrack holds the capacity it has
// declared and re-declares it when the buffer is allocated, grown, shrunk
// or dropped. When the client goes, every bufTrack is set to zero, so the
// purposes return to zero once every client has disconnected.
//
// Each bufTrack belongs to one goroutine at a time (the client's, or the
// outbox under its mutex); the counters it updates are atomics.

// bufTrack declares one buffer's capacity under a purpose.
type bufTrack struct {
	p jemallocprof.Purpose
	n int
}

// set declares the buffer's capacity as n bytes (0 once it is gone).
func (b *bufTrack) set(n int) {
	if n == b.n {
		return
	}
	jemallocprof.Untrack(b.p, b.n)
	jemallocprof.Track(b.p, n)
	b.n = n
}

// clientMem are a client's tracked buffers owned by its goroutine.
type clientMem struct {
	query   bufTrack // the reader's input buffer
	pending bufTrack // bytes read while blocked (connReader.pending)
	reply   bufTrack // the writer's buffer
}

func (m *clientMem) init() {
	m.query.p, m.pending.p = jemallocprof.ClientQuery, jemallocprof.ClientQuery
	m.reply.p = jemallocprof.ClientReply
}

// release drops every buffer from the accounts as the client goes.
func (m *clientMem) release() {
	m.query.set(0)
	m.pending.set(0)
	m.reply.set(0)
}
