package server

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
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

// oneWrite sends one pipeline and waits for its replies, which the
// connection loop flushes with one write when they are short: for
// pipelines whose replies' length is not known in advance.
func (c *pipeConn) oneWrite(pipeline []byte) {
	c.in <- pipeline
	<-c.written
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

// pipelineAllocs sends next(0), next(1)... with oneWrite, warm of them to
// warm up, and returns the allocations per pipeline over runs more.
func (h *connHarness) pipelineAllocs(next func(n int) []byte, warm, runs int) float64 {
	n := 0
	run := func() {
		h.conn.oneWrite(next(n))
		n++
	}
	for range warm {
		run()
	}
	return testing.AllocsPerRun(runs, run)
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

func incrPipeline(base int) []byte {
	return pipeline(pipelineDepth, func(i int) [][]byte {
		return [][]byte{[]byte("INCR"), fmt.Appendf(nil, "ctr:%012d", base+i)}
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

// TestConnLoopZeroAllocs checks that GET, SET and INCR, pipelined, allocate
// nothing per command through the whole connection loop (RESP parsing,
// dispatch, the keyspace, the engine and the reply) once warmed up, and
// that each pipeline is answered with one write.
func TestConnLoopZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	h := newConnHarness(t)
	const keys = 64 // distinct keys, overwritten again and again
	var sets, gets, incrs [][]byte
	for base := 0; base < keys; base += pipelineDepth {
		sets = append(sets, setPipeline(base))
		gets = append(gets, getPipeline(base))
		incrs = append(incrs, incrPipeline(base))
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
	// INCR's replies grow with the counters: wait for the pipeline's one
	// write rather than for a length.
	if n := h.pipelineAllocs(func(i int) []byte { return incrs[i%len(incrs)] }, 10, runs); n != 0 {
		t.Errorf("INCR: %.2f allocations per pipeline of %d commands, want 0", n, pipelineDepth)
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

// keyBatchPipelines returns a function that builds, in one of two reused
// buffers, the n-th pipeline of pipelineDepth writes of kind name to one
// key: SADD, HSET, ZADD, LPUSH, or LPUSH+RPOP (a pipeline of each in
// turn). Members and fields are drawn at random from 1M, as
// redis-benchmark's -r 1000000 does, so most are new. Building allocates
// nothing.
func keyBatchPipelines(name string) func(n int) []byte {
	w := func(s string) []byte { return []byte(s) }
	sadd, hset, zadd, lpush, rpop := w("SADD"), w("HSET"), w("ZADD"), w("LPUSH"), w("RPOP")
	set, hash, zset, list, score := w("myset"), w("myhash"), w("myzset"), w("mylist"), w("1")
	type cmdFunc func(args [][]byte, member []byte) [][]byte
	cmds := map[string]cmdFunc{
		"SADD":  func(a [][]byte, m []byte) [][]byte { return append(a, sadd, set, m) },
		"HSET":  func(a [][]byte, m []byte) [][]byte { return append(a, hset, hash, m, value100) },
		"ZADD":  func(a [][]byte, m []byte) [][]byte { return append(a, zadd, zset, score, m) },
		"LPUSH": func(a [][]byte, _ []byte) [][]byte { return append(a, lpush, list, value100) },
		"RPOP":  func(a [][]byte, _ []byte) [][]byte { return append(a, rpop, list) },
	}
	rng := uint64(1)
	var bufs [2][]byte
	args := make([][]byte, 0, 4)
	member := make([]byte, 0, 32)
	build := func(n int, cmd cmdFunc) []byte {
		p := bufs[n%2][:0]
		for range pipelineDepth {
			rng = rng*6364136223846793005 + 1442695040888963407
			member = append(member[:0], "element:"...)
			member = strconv.AppendUint(member, rng>>33%1_000_000, 10)
			p = resp.AppendCommand(p, cmd(args[:0], member)...)
		}
		bufs[n%2] = p
		return p
	}
	return func(n int) []byte {
		switch {
		case name != "LPUSH+RPOP":
			return build(n, cmds[name])
		case n%2 == 0:
			return build(n, cmds["LPUSH"])
		default:
			return build(n, cmds["RPOP"])
		}
	}
}

// TestConnLoopKeyBatchAllocs bounds the allocations of pipelined writes to
// one key (key batches): the object, metadata reads, write batches and
// pending-tree nodes of each command are recycled, so what is left is the
// transaction's own few allocations, shared by its commands.
func TestConnLoopKeyBatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	for _, name := range []string{"SADD", "HSET", "ZADD", "LPUSH"} {
		t.Run(name, func(t *testing.T) {
			h := newConnHarness(t)
			// Before the recycling: 5 to 6 allocations per command.
			const maxPerPipeline = 2 * pipelineDepth
			if got := h.pipelineAllocs(keyBatchPipelines(name), 50, 200); got > maxPerPipeline {
				t.Errorf("%.1f allocations per pipeline of %d commands, want at most %d", got, pipelineDepth, maxPerPipeline)
			}
		})
	}
}

// BenchmarkConnLoopKeyBatch measures pipelines of writes to one key (key
// batches, keybatch.go) through the connection loop in process: ns and
// allocations per command (see keyBatchPipelines).
func BenchmarkConnLoopKeyBatch(b *testing.B) {
	for _, name := range []string{"SADD", "HSET", "ZADD", "LPUSH", "LPUSH+RPOP"} {
		b.Run(name, func(b *testing.B) {
			h := newConnHarness(b)
			next := keyBatchPipelines(name)
			for n := range 64 { // warm up
				h.conn.oneWrite(next(n))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += pipelineDepth {
				h.conn.oneWrite(next(i / pipelineDepth))
			}
		})
	}
}

// TestConnLoopMSetAllocs bounds the allocations of MSET of ten keys: its
// metadata keys, stripes and old records share buffers (the client's and
// the stack), so what is left is the split of its arguments.
func TestConnLoopMSetAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	h := newConnHarness(t)
	const keys = 10
	bufs := make([][]byte, 8)
	for j := range bufs {
		bufs[j] = pipeline(pipelineDepth, func(i int) [][]byte {
			args := [][]byte{[]byte("MSET")}
			for k := range keys {
				args = append(args, benchKey((j*pipelineDepth+i)*keys+k), value100)
			}
			return args
		})
	}
	// Before the shared buffers: some 40 allocations per MSET.
	const maxPerPipeline = 2 * pipelineDepth
	if got := h.pipelineAllocs(func(n int) []byte { return bufs[n%len(bufs)] }, 20, 100); got > maxPerPipeline {
		t.Errorf("%.1f allocations per pipeline of %d MSETs, want at most %d", got, pipelineDepth, maxPerPipeline)
	}
}

// BenchmarkConnLoopRPopTables measures pipelines of RPOP from the far end
// of a list whose elements were LPUSHed and then flushed to tables, as
// redis-benchmark's RPOP test follows its LPUSH test: each key batch reads
// its elements ahead from the tables (TxnStore.Prefetch).
func BenchmarkConnLoopRPopTables(b *testing.B) {
	h := newConnHarness(b)
	lpush, rpop := keyBatchPipelines("LPUSH"), keyBatchPipelines("RPOP")
	flush := resp.AppendCommand(nil, []byte("FLUSHMEMTABLE"))
	const fill = 100_000
	left, n := 0, 0
	b.ReportAllocs()
	for i := 0; i < b.N; i += pipelineDepth {
		if left < pipelineDepth {
			b.StopTimer()
			for j := 0; j < fill; j += pipelineDepth {
				h.conn.oneWrite(lpush(j / pipelineDepth))
			}
			h.conn.oneWrite(flush)
			left += fill
			b.StartTimer()
		}
		h.conn.oneWrite(rpop(n))
		n++
		left -= pipelineDepth
	}
}

// The connection loop hints the key of each buffered command that repeats
// the one just run (a pipeline of STRLENs; one of GETs coalesces instead),
// and no other.
func TestPrefetchNextCommand(t *testing.T) {
	var hints []string
	prefetchHinted = func(key, elem []byte) { hints = append(hints, string(key)+string(elem)) }
	defer func() { prefetchHinted = nil }()
	h := newConnHarness(t)
	pipeline := "*2\r\n$6\r\nSTRLEN\r\n$1\r\na\r\n" +
		"*2\r\n$6\r\nstrlen\r\n$1\r\nb\r\n" + // the cache matches names exactly: no hint
		"*2\r\n$6\r\nstrlen\r\n$1\r\nc\r\n" +
		"*3\r\n$3\r\nSET\r\n$1\r\nd\r\n$1\r\nx\r\n" +
		"*2\r\n$6\r\nSTRLEN\r\n$1\r\ne\r\n" +
		"*1\r\n$4\r\nPING\r\n" +
		"*2\r\n$6\r\nSTRLEN\r\n$1\r\nd\r\n"
	h.conn.roundTrip([]byte(pipeline), 4*len(":0\r\n")+len("+OK\r\n")+len("+PONG\r\n")+len(":1\r\n"))
	if got := strings.Join(hints, ","); got != "c" {
		t.Fatalf("hinted %q, want c (the second of two lower-case STRLENs)", got)
	}
	// Commands that name an element hint it with their key.
	hints = nil
	pipeline = "*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$2\r\nm1\r\n" +
		"*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$2\r\nm2\r\n" +
		"*4\r\n$4\r\nSADD\r\n$1\r\ns\r\n$2\r\nm3\r\n$2\r\nm4\r\n" +
		"*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\na\r\n" +
		"*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$1\r\n2\r\n$1\r\nb\r\n"
	h.conn.roundTrip([]byte(pipeline), 3*len(":1\r\n")+len(":2\r\n")+len(":1\r\n"))
	if got := strings.Join(hints, ","); got != "sm2,sm3,zb" {
		t.Fatalf("hinted %q, want sm2,sm3,zb (SADD's first member, ZADD's last argument)", got)
	}
	// The key the last write read is not hinted again.
	hints = nil
	// (APPEND: INCRs of distinct keys run together, codec.DB.IncrByEach.)
	pipeline = "*3\r\n$6\r\nAPPEND\r\n$1\r\nn\r\n$1\r\nx\r\n" +
		"*3\r\n$6\r\nAPPEND\r\n$1\r\nn\r\n$1\r\nx\r\n" +
		"*3\r\n$6\r\nAPPEND\r\n$1\r\nm\r\n$1\r\nx\r\n"
	h.conn.roundTrip([]byte(pipeline), len(":1\r\n:2\r\n:1\r\n"))
	if got := strings.Join(hints, ","); got != "m" {
		t.Fatalf("hinted %q, want m (n is the key the APPEND before read)", got)
	}
	// An element of another key than the last write's: its key's metadata.
	hints = nil
	pipeline = "*3\r\n$4\r\nSADD\r\n$1\r\nt\r\n$1\r\nx\r\n" +
		"*3\r\n$4\r\nSADD\r\n$1\r\nu\r\n$1\r\ny\r\n"
	h.conn.roundTrip([]byte(pipeline), len(":1\r\n:1\r\n"))
	if got := strings.Join(hints, ","); got != "u" {
		t.Fatalf("hinted %q, want u (the metadata of a key no write opened)", got)
	}
}
