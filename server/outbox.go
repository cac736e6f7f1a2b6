package server

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/strata-db/strata/jemallocprof"
	"github.com/strata-db/strata/server/resp"
)

// The output path of a client.
//
// # Sync mode
//
// A client starts in sync mode: its goroutine runs a batch of commands into
// its resp.Writer and writes the replies to the connection itself (flush).
// A client that does not read blocks only its own goroutine, and the
// server holds at most one batch of its replies.
//
// # Async mode
//
// A client that subscribes, or whose class has an output buffer limit,
// switches for good to async mode. From then on everything it is sent goes
// through its outbox: the client's goroutine appends each batch of replies,
// publishers append messages, and a drain goroutine, started when the
// outbox turns non-empty and gone when it is empty again, is the only
// writer of the connection. Nobody but the drain goroutine waits on the
// network, so a publisher never blocks on a slow subscriber; the limits of
// the client's class bound what the outbox may hold (outlimit.go), and a
// client past them is disconnected at once. In a class without limits the
// client's goroutine waits for the outbox to shrink below ownerBacklog
// after appending, so its own replies stay bounded as in sync mode.
//
// # Invariants
//
//  1. At most one goroutine writes to the connection at a time: the
//     client's in sync mode, the drain goroutine in async mode. The switch
//     happens on the client's goroutine, between two of its writes, when
//     nothing else can have appended (publishers only reach subscribers,
//     and a client subscribes after switching).
//  2. The outbox is written in the order of its appends, and every append
//     is one or more whole replies or messages, so a message never lands
//     inside a reply.
//  3. Pending bytes are those appended and not yet written: queued plus the
//     write in progress. Limits compare them, CLIENT LIST shows them.
//  4. Once closed (write error, limit, disconnect) an outbox drops what it
//     holds and every later append; the connection is closed too, so the
//     client's goroutine sees its read fail and cleans up.
//
// Pub/sub ordering (pubsub.go) rests on these: a subscription is added
// under the registry's write lock after the replies before it and its
// confirmation are appended, and publishers append under its read lock.

// ownerBacklog is how much output a client in a class without limits may
// have pending before its goroutine waits for the connection to take it.
const ownerBacklog = 1 << 20

// errOutboxClosed is returned to a client appending to a closed outbox.
var errOutboxClosed = errors.New("client output closed")

// outbox is a client's pending output in async mode.
type outbox struct {
	s    *Server
	conn net.Conn
	addr string
	mu   struct {
		sync.Mutex
		buf      []byte // appended, waiting for the drain goroutine
		spare    []byte // the buffer of the previous write, for reuse
		inflight int    // bytes in the write in progress
		// inflightCap is the capacity of the buffer being written; mem
		// declares buf, spare and that buffer as client reply memory.
		inflightCap int
		mem         bufTrack
		writing     bool // a drain goroutine is running
		closed      bool
		// sealed: the client's last reply is in (QUIT); messages are
		// dropped from then on, as Redis drops output after QUIT.
		sealed bool
		class  clientClass
		// proto is the protocol of the client's latest replies, which
		// publishers encode their messages in.
		proto     int
		softSince time.Time // when the soft limit was reached, or zero
	}
	// changed is signalled (L = &mu) after each write and when closed.
	changed sync.Cond
}

func (o *outbox) init(s *Server, conn net.Conn, addr string) {
	o.s, o.conn, o.addr = s, conn, addr
	o.mu.proto = 2
	o.mu.mem.p = jemallocprof.ClientReply
	o.changed.L = &o.mu.Mutex
}

// trackLocked declares the outbox's buffers to jemallocprof.
func (o *outbox) trackLocked() {
	o.mu.mem.set(cap(o.mu.buf) + cap(o.mu.spare) + o.mu.inflightCap)
}

// appendReplies appends the client's replies (its goroutine only). With
// wait, in a class without limits, it then waits while more than
// ownerBacklog bytes are pending.
func (o *outbox) appendReplies(p []byte, proto int, wait bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.mu.closed || o.mu.sealed {
		return errOutboxClosed
	}
	o.mu.proto = proto
	if len(p) > 0 {
		o.mu.buf = append(o.mu.buf, p...)
		o.trackLocked()
		if !o.appendedLocked() {
			return errOutboxClosed
		}
	}
	if wait && !o.s.outputLimits()[o.mu.class].enabled() {
		for !o.mu.closed && o.pendingLocked() > ownerBacklog {
			o.changed.Wait()
		}
	}
	if o.mu.closed {
		return errOutboxClosed
	}
	return nil
}

// pushMessage appends a message of n elements: the push (RESP3) or array
// (RESP2) header, then body, the elements already encoded. Publishers call
// it, under the pub/sub registry's read lock; it never blocks on the
// network.
func (o *outbox) pushMessage(n int, body []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.mu.closed || o.mu.sealed {
		return
	}
	if o.mu.proto == 3 {
		o.mu.buf = resp.AppendPushHeader(o.mu.buf, n)
	} else {
		o.mu.buf = resp.AppendArrayHeader(o.mu.buf, n)
	}
	o.mu.buf = append(o.mu.buf, body...)
	o.trackLocked()
	o.appendedLocked()
}

// appendedLocked checks the limits after an append and makes sure a drain
// goroutine runs. It reports false when the client was disconnected.
func (o *outbox) appendedLocked() bool {
	lim := o.s.outputLimits()[o.mu.class]
	if lim.enabled() && lim.exceeded(int64(o.pendingLocked()), &o.mu.softSince) {
		o.overLimitLocked(lim)
		return false
	}
	if !o.mu.writing {
		o.mu.writing = true
		go o.drain()
	}
	return true
}

// overLimitLocked disconnects the client, as Redis's
// closeClientOnOutputBufferLimitReached does: what it holds is dropped.
func (o *outbox) overLimitLocked(lim outputLimit) {
	pending := o.pendingLocked()
	o.s.stats.outputLimitKills.Add(1) // counted before the client sees the close
	o.closeLocked()
	o.s.logger.Warn("client closed for overcoming of output buffer limits",
		"client", o.addr, "class", clientClassNames[o.mu.class], "pending", pending,
		"hard", lim.hard, "soft", lim.soft, "soft_seconds", lim.softSeconds)
}

// closeLocked drops the pending output and closes the connection, which
// ends a write in progress and the client's read.
func (o *outbox) closeLocked() {
	if o.mu.closed {
		return
	}
	o.mu.closed = true
	o.mu.buf, o.mu.spare = nil, nil
	o.trackLocked()
	o.conn.Close()
	o.changed.Broadcast()
}

// close is closeLocked for the client's goroutine as it ends.
func (o *outbox) close() {
	o.mu.Lock()
	o.closeLocked()
	o.mu.Unlock()
}

func (o *outbox) pendingLocked() int { return len(o.mu.buf) + o.mu.inflight }

// pending returns the bytes not yet written (CLIENT LIST's omem).
func (o *outbox) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pendingLocked()
}

// setClass changes the class whose limits apply from the next append.
func (o *outbox) setClass(class clientClass) {
	o.mu.Lock()
	if o.mu.class != class {
		o.mu.class = class
		o.mu.softSince = time.Time{}
	}
	o.mu.Unlock()
}

// seal ends the client's output after what is queued: later messages are
// dropped (QUIT, a protocol error).
func (o *outbox) seal() {
	o.mu.Lock()
	o.mu.sealed = true
	o.mu.Unlock()
}

// waitDrained waits until everything appended is written or the outbox is
// closed (before the client's goroutine closes the connection after QUIT).
func (o *outbox) waitDrained() {
	o.mu.Lock()
	for !o.mu.closed && (o.mu.writing || len(o.mu.buf) > 0) {
		o.changed.Wait()
	}
	o.mu.Unlock()
}

// drain writes the outbox to the connection until it is empty: the only
// writer of an async client's connection (invariant 1).
func (o *outbox) drain() {
	o.mu.Lock()
	for !o.mu.closed && len(o.mu.buf) > 0 {
		p := o.mu.buf
		o.mu.buf, o.mu.spare = o.mu.spare[:0], nil
		o.mu.inflight, o.mu.inflightCap = len(p), cap(p)
		o.mu.Unlock()
		_, err := o.conn.Write(p)
		o.s.stats.netOutput.Add(int64(len(p)))
		o.mu.Lock()
		o.mu.inflight, o.mu.inflightCap = 0, 0
		if err != nil {
			o.closeLocked()
			break
		}
		if o.mu.closed {
			break
		}
		if cap(p) <= maxRetainedOutput {
			o.mu.spare = p[:0]
		}
		o.trackLocked()
		o.changed.Broadcast()
	}
	o.mu.writing = false
	if cap(o.mu.buf) > maxRetainedOutput {
		o.mu.buf = nil // after a burst: an idle subscriber keeps little
	}
	o.trackLocked()
	o.changed.Broadcast()
	o.mu.Unlock()
}

// maxRetainedOutput: a buffer larger than this is released once written,
// rather than kept for the next write, so a client that had a burst of
// output does not keep its size.
const maxRetainedOutput = 64 << 10
