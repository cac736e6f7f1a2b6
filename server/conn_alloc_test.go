package server

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/strata-db/strata/server/resp"
)

// pipeConn is an in-process net.Conn for driving the connection loop
// (serveConn) without sockets: each pipeline handed to send is what the
// next Reads return, and every Write is counted and reported on written, so
// the driver knows when all the replies to a pipeline have been flushed.
// It allocates nothing per pipeline, so allocation counts around a
// send/wait pair are the server's own.
type pipeConn struct {
	in      chan []byte
	pending []byte
	written chan int
	writes  int // Write calls (the connection loop's goroutine only)
	last    []byte
	keep    bool // keep a copy of the last write (tests that check replies)
}

func newPipeConn() *pipeConn {
	return &pipeConn{in: make(chan []byte), written: make(chan int, 1024)}
}

func (c *pipeConn) Read(p []byte) (int, error) {
	if len(c.pending) == 0 {
		b, ok := <-c.in
		if !ok {
			return 0, io.EOF
		}
		c.pending = b
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *pipeConn) Write(p []byte) (int, error) {
	c.writes++
	if c.keep {
		c.last = append(c.last[:0], p...)
	}
	c.written <- len(p)
	return len(p), nil
}

func (c *pipeConn) Close() error        { return nil }
func (c *pipeConn) LocalAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6379} }
func (c *pipeConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}
}
func (c *pipeConn) SetDeadline(time.Time) error      { return nil }
func (c *pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *pipeConn) SetWriteDeadline(time.Time) error { return nil }

// roundTrip sends one pipeline and waits until want bytes of replies have
// been written.
func (c *pipeConn) roundTrip(pipeline []byte, want int) {
	c.in <- pipeline
	for got := 0; got < want; {
		got += <-c.written
	}
}

// connHarness is a server with one client connected through a pipeConn.
type connHarness struct {
	s    *Server
	conn *pipeConn
	done chan struct{}
}

func newConnHarness(t testing.TB, overrides ...string) *connHarness {
	t.Helper()
	cfg := NewConfig()
	args := append([]string{"--port", "0", "--dir", t.TempDir()}, overrides...)
	if err := cfg.ApplyArgs(args); err != nil {
		t.Fatal(err)
	}
	s, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &connHarness{s: s, conn: newPipeConn(), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		s.serveConn(h.conn)
	}()
	t.Cleanup(func() {
		close(h.conn.in)
		<-h.done
		if err := s.db.Close(); err != nil {
			t.Error(err)
		}
	})
	return h
}

// pipeline builds n commands made by cmd(i) as one buffer.
func pipeline(n int, cmd func(i int) [][]byte) []byte {
	var b []byte
	for i := range n {
		b = resp.AppendCommand(b, cmd(i)...)
	}
	return b
}

func benchKey(i int) []byte { return fmt.Appendf(nil, "key:%012d", i) }

const pipelineDepth = 16

var value100 = bytes.Repeat([]byte("x"), 100)

func setPipeline(base int) []byte {
	return pipeline(pipelineDepth, func(i int) [][]byte {
		return [][]byte{[]byte("SET"), benchKey(base + i), value100}
	})
}

func getPipeline(base int) []byte {
	return pipeline(pipelineDepth, func(i int) [][]byte { return [][]byte{[]byte("GET"), benchKey(base + i)} })
}

// replyLen is the length of the replies to a pipeline of GETs of 100-byte
// values or of SETs.
const (
	getReplyLen = pipelineDepth * len("$100\r\n\r\n") // plus the values
	setReplyLen = pipelineDepth * len("+OK\r\n")
)

// TestConnLoopZeroAllocs checks that GET and SET, pipelined, allocate
// nothing per command through the whole connection loop (RESP parsing,
// dispatch, the keyspace, the engine and the reply) once warmed up, and
// that each pipeline is answered with one write.
func TestConnLoopZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	h := newConnHarness(t)
	const keys = 64 // distinct keys, overwritten again and again
	var sets, gets [][]byte
	for base := 0; base < keys; base += pipelineDepth {
		sets = append(sets, setPipeline(base))
		gets = append(gets, getPipeline(base))
	}
	getWant := getReplyLen + pipelineDepth*len(value100)
	run := func(bufs [][]byte, want int) func() {
		i := 0
		return func() {
			h.conn.roundTrip(bufs[i%len(bufs)], want)
			i++
		}
	}
	// Warm up: the keys exist, buffers and pools have grown.
	for range 50 {
		run(sets, setReplyLen)()
		run(gets, getWant)()
	}
	writes := h.conn.writes
	const runs = 200
	if n := testing.AllocsPerRun(runs, run(sets, setReplyLen)); n != 0 {
		t.Errorf("SET: %.2f allocations per pipeline of %d commands, want 0", n, pipelineDepth)
	}
	if n := testing.AllocsPerRun(runs, run(gets, getWant)); n != 0 {
		t.Errorf("GET: %.2f allocations per pipeline of %d commands, want 0", n, pipelineDepth)
	}
	// AllocsPerRun runs its function once more as a warm-up.
	if got, want := h.conn.writes-writes, 2*(runs+1); got != want {
		t.Errorf("%d writes for %d pipelines, want one write per pipeline", got, want)
	}
}

// BenchmarkConnLoop measures pipelined GET and SET through the connection
// loop in process (no sockets): ns and allocations per command.
func BenchmarkConnLoop(b *testing.B) {
	for _, name := range []string{"SET", "GET"} {
		b.Run(name, func(b *testing.B) {
			h := newConnHarness(b)
			const keys = 4096
			var sets, gets [][]byte
			for base := 0; base < keys; base += pipelineDepth {
				sets = append(sets, setPipeline(base))
				gets = append(gets, getPipeline(base))
			}
			for i := range sets {
				h.conn.roundTrip(sets[i], setReplyLen)
			}
			bufs, want := sets, setReplyLen
			if name == "GET" {
				bufs, want = gets, getReplyLen+pipelineDepth*len(value100)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += pipelineDepth {
				h.conn.roundTrip(bufs[(i/pipelineDepth)%len(bufs)], want)
			}
		})
	}
}
