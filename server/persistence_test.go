package server

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/strata-db/strata/server/resp"
)

// The tests in this file run the real strata-server binary, kill it and
// restart it on the same directory: durability as an operator sees it.

var serverBinary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildServer builds cmd/strata-server once per test process.
func buildServer(t *testing.T) string {
	t.Helper()
	serverBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "strata-bin-")
		if err != nil {
			serverBinary.err = err
			return
		}
		serverBinary.path = filepath.Join(dir, "strata-server")
		cmd := exec.Command("go", "build", "-o", serverBinary.path, "github.com/strata-db/strata/cmd/strata-server")
		serverBinary.out, serverBinary.err = cmd.CombinedOutput()
	})
	if serverBinary.err != nil {
		t.Fatalf("go build strata-server: %v\n%s", serverBinary.err, serverBinary.out)
	}
	return serverBinary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if serverBinary.path != "" {
		os.RemoveAll(filepath.Dir(serverBinary.path))
	}
	os.Exit(code)
}

// serverProc is a strata-server process.
type serverProc struct {
	cmd    *exec.Cmd
	addr   string
	exited chan struct{}
	stderr *bytes.Buffer
}

// startProc starts strata-server on dir with args and waits until it
// answers PING.
func startProc(t *testing.T, dir string, args ...string) *serverProc {
	t.Helper()
	bin := buildServer(t)
	for attempt := 0; ; attempt++ {
		port := freePort(t)
		p := &serverProc{addr: "127.0.0.1:" + strconv.Itoa(port), exited: make(chan struct{}), stderr: &bytes.Buffer{}}
		all := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--memtable-size", "1mb", "--loglevel", "warning"}, args...)
		p.cmd = exec.Command(bin, all...)
		p.cmd.Stderr = p.stderr
		dieWithTest(p.cmd)
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { p.cmd.Wait(); close(p.exited) }()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if pingOK(p.addr) {
				t.Cleanup(func() { p.kill() })
				return p
			}
			select {
			case <-p.exited:
				deadline = time.Now()
			case <-time.After(10 * time.Millisecond): // polling interval
			}
		}
		p.kill()
		if attempt == 3 {
			t.Fatalf("strata-server did not start: %s", p.stderr)
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *serverProc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// term sends SIGTERM and waits for a clean exit.
func (p *serverProc) term(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.kill()
		t.Fatalf("strata-server did not exit after SIGTERM: %s", p.stderr)
	}
	if !p.cmd.ProcessState.Success() {
		t.Fatalf("strata-server exited with %v after SIGTERM: %s", p.cmd.ProcessState, p.stderr)
	}
}

// durabilityModel records what writers were told. A key is in acked once
// its SET was acknowledged; deleted once its DEL was; maybe holds keys whose
// last operation was sent without an answer, so either outcome is allowed.
type durabilityModel struct {
	mu      sync.Mutex
	acked   map[string]string
	deleted map[string]bool
	maybe   map[string]string // key -> value a pending SET would leave ("" for a DEL)
	// counters: the last acknowledged INCR result and the INCRs sent.
	ctrAcked    map[string]int64
	ctrAttempts map[string]int64
	// unexpected is the first reply a writer did not expect.
	unexpected string
}

func newDurabilityModel() *durabilityModel {
	return &durabilityModel{
		acked: map[string]string{}, deleted: map[string]bool{}, maybe: map[string]string{},
		ctrAcked: map[string]int64{}, ctrAttempts: map[string]int64{},
	}
}

func (m *durabilityModel) fail(msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.unexpected == "" {
		m.unexpected = msg
	}
}

// writer runs SET/INCR/DEL on its own keys until the connection fails,
// counting acknowledged operations in acks.
func (m *durabilityModel) writer(addr, prefix string, seed uint64, acks *atomic.Int64) {
	r := rand.New(rand.NewPCG(seed, 7))
	conn, err := netDialRaw(addr)
	if err != nil {
		return
	}
	defer conn.conn.Close()
	ctr := prefix + ":ctr"
	var live []string
	for n := 0; ; n++ {
		switch op := r.IntN(10); {
		case op < 6:
			key, val := fmt.Sprintf("%s:k%d", prefix, n), fmt.Sprintf("v%d-%d", n, r.Uint32())
			m.mu.Lock()
			m.maybe[key] = val
			m.mu.Unlock()
			v, err := conn.do("SET", key, val)
			if err != nil {
				return
			}
			if v.Kind != resp.KindSimpleString {
				m.fail(fmt.Sprintf("SET %s: %s", key, v))
				return
			}
			m.mu.Lock()
			delete(m.maybe, key)
			m.acked[key] = val
			m.mu.Unlock()
			live = append(live, key)
		case op < 9:
			m.mu.Lock()
			m.ctrAttempts[ctr]++
			m.mu.Unlock()
			v, err := conn.do("INCR", ctr)
			if err != nil {
				return
			}
			if v.Kind != resp.KindInteger {
				m.fail(fmt.Sprintf("INCR %s: %s", ctr, v))
				return
			}
			m.mu.Lock()
			m.ctrAcked[ctr] = v.Int
			m.mu.Unlock()
		default:
			if len(live) == 0 {
				continue
			}
			i := r.IntN(len(live))
			key := live[i]
			live = append(live[:i], live[i+1:]...)
			m.mu.Lock()
			m.maybe[key] = ""
			m.mu.Unlock()
			v, err := conn.do("DEL", key)
			if err != nil {
				return
			}
			if v.Int != 1 {
				m.fail(fmt.Sprintf("DEL %s: %s", key, v))
				return
			}
			m.mu.Lock()
			delete(m.maybe, key)
			delete(m.acked, key)
			m.deleted[key] = true
			m.mu.Unlock()
		}
		acks.Add(1)
	}
}

// netDialRaw is dialRaw without a testing.TB, for writer goroutines.
func netDialRaw(addr string) (*rawConn, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &rawConn{conn: conn, br: bufio.NewReader(conn)}, nil
}

// verify checks the restarted server against the model, then resolves
// the pending operations to what survived.
func (m *durabilityModel) verify(t *testing.T, addr string) {
	t.Helper()
	c := dialRaw(t, addr)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.unexpected != "" {
		t.Fatal(m.unexpected)
	}
	get := func(key string) (string, bool) {
		v := c.mustDo(t, "GET", key)
		if v.Kind == resp.KindError {
			t.Fatalf("GET %s: %s", key, v)
		}
		return v.Str, !v.Nil
	}
	for key, want := range m.acked {
		got, ok := get(key)
		if _, delPending := m.maybe[key]; delPending {
			// A DEL was sent without an answer: gone, or still want.
			if ok && got != want {
				t.Errorf("%s with a pending DEL: %q, want %q or nothing", key, got, want)
			}
			if !ok {
				delete(m.acked, key)
				m.deleted[key] = true
			}
			delete(m.maybe, key)
			continue
		}
		if !ok || got != want {
			t.Errorf("acknowledged SET %s=%q lost: found=%v %q", key, want, ok, got)
		}
	}
	for key := range m.deleted {
		if got, ok := get(key); ok {
			t.Errorf("acknowledged DEL %s undone: %q", key, got)
		}
	}
	// What remains are SETs of new keys sent without an answer.
	for key, val := range m.maybe {
		got, ok := get(key)
		if ok && got != val {
			t.Errorf("unacknowledged SET %s: found %q, want %q or nothing", key, got, val)
		}
		if ok {
			m.acked[key] = got
		}
		delete(m.maybe, key)
	}
	for ctr, attempts := range m.ctrAttempts {
		v := c.mustDo(t, "GET", ctr)
		n, err := strconv.ParseInt(v.Str, 10, 64)
		if v.Nil {
			n, err = 0, nil
		}
		if err != nil {
			t.Fatalf("GET %s: %s", ctr, v)
		}
		if n < m.ctrAcked[ctr] || n > attempts {
			t.Errorf("counter %s = %d, want between the last acknowledged %d and the attempts %d", ctr, n, m.ctrAcked[ctr], attempts)
		}
		// Later cycles continue from what survived.
		m.ctrAcked[ctr] = n
		m.ctrAttempts[ctr] = n
	}
}

// TestKillDuringWritesAppendfsyncAlways: under appendfsync always, every
// acknowledged SET, DEL and INCR survives SIGKILL at a random moment.
func TestKillDuringWritesAppendfsyncAlways(t *testing.T) {
	dir := t.TempDir()
	m := newDurabilityModel()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	cycles := 3
	for cycle := 0; cycle < cycles; cycle++ {
		p := startProc(t, dir, "--appendonly", "yes", "--appendfsync", "always")
		if cycle > 0 {
			m.verify(t, p.addr)
		}
		var acks atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.writer(p.addr, fmt.Sprintf("c%d:w%d", cycle, w), uint64(cycle*10+w), &acks)
			}()
		}
		// Kill after a random number of acknowledged writes.
		target := int64(200 + r.IntN(1500))
		waitUntil(t, 60*time.Second, "acknowledged writes", func() bool { return acks.Load() >= target })
		p.kill()
		wg.Wait()
		t.Logf("cycle %d: killed after %d acknowledged writes", cycle, acks.Load())
	}
	p := startProc(t, dir, "--appendonly", "yes", "--appendfsync", "always")
	m.verify(t, p.addr)
	p.term(t)
}

// TestKillAfterFlushMemtableWALOff: with the WAL off, what was written
// before a completed FLUSHMEMTABLE survives SIGKILL; what came after may be
// lost but is never corrupted.
func TestKillAfterFlushMemtableWALOff(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir, "--appendonly", "no")
	c := dialRaw(t, p.addr)
	const n = 3000
	for i := 0; i < n; i++ {
		if v := c.mustDo(t, "SET", fmt.Sprintf("before:%d", i), fmt.Sprintf("v%d", i)); v.Str != "OK" {
			t.Fatalf("SET: %s", v)
		}
	}
	c.mustDo(t, "INCRBY", "ctr", "41")
	c.mustDo(t, "DEL", "before:7")
	if v := c.mustDo(t, "FLUSHMEMTABLE"); v.Kind == resp.KindError {
		t.Fatalf("FLUSHMEMTABLE: %s", v)
	}
	for i := 0; i < n; i++ {
		c.mustDo(t, "SET", fmt.Sprintf("after:%d", i), fmt.Sprintf("w%d", i))
	}
	c.mustDo(t, "SET", "before:1", "overwritten")
	p.kill()

	p = startProc(t, dir, "--appendonly", "no")
	c = dialRaw(t, p.addr)
	for i := 0; i < n; i++ {
		v := c.mustDo(t, "GET", fmt.Sprintf("before:%d", i))
		switch {
		case i == 7:
			if !v.Nil {
				t.Errorf("before:7 deleted before the flush is back: %s", v)
			}
		case i == 1:
			if v.Str != "v1" && v.Str != "overwritten" {
				t.Errorf("before:1 = %s", v)
			}
		case v.Str != fmt.Sprintf("v%d", i):
			t.Fatalf("before:%d written before FLUSHMEMTABLE: %s", i, v)
		}
		if v := c.mustDo(t, "GET", fmt.Sprintf("after:%d", i)); !v.Nil && v.Str != fmt.Sprintf("w%d", i) {
			t.Fatalf("after:%d corrupted: %s", i, v)
		}
	}
	if v := c.mustDo(t, "GET", "ctr"); v.Str != "41" {
		t.Errorf("ctr = %s, want 41", v)
	}
	p.term(t)
}

// TestSIGTERMKeepsEverything: a SIGTERM shutdown loses nothing, in every
// WAL mode (with the WAL off, shutdown flushes the memtables).
func TestSIGTERMKeepsEverything(t *testing.T) {
	for _, mode := range [][]string{
		{"--appendonly", "yes", "--appendfsync", "always"},
		{"--appendonly", "yes", "--appendfsync", "everysec"},
		{"--appendonly", "yes", "--appendfsync", "no"},
		{"--appendonly", "no"},
	} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			dir := t.TempDir()
			p := startProc(t, dir, mode...)
			c := dialRaw(t, p.addr)
			// Pipelined: one write, many commands.
			var buf []byte
			const n = 2000
			for i := 0; i < n; i++ {
				buf = appendCommand(buf, "SET", fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i))
			}
			buf = appendCommand(buf, "INCRBY", "ctr", "12345")
			buf = appendCommand(buf, "DEL", "k3")
			buf = appendCommand(buf, "PEXPIRE", "k4", "100000000")
			c.conn.SetDeadline(time.Now().Add(30 * time.Second))
			if _, err := c.conn.Write(buf); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n+3; i++ {
				if v, err := resp.ReadReply(c.br); err != nil || v.Kind == resp.KindError {
					t.Fatalf("reply %d: %v %v", i, v, err)
				}
			}
			p.term(t)
			p = startProc(t, dir, mode...)
			c = dialRaw(t, p.addr)
			for i := 0; i < n; i++ {
				v := c.mustDo(t, "GET", fmt.Sprintf("k%d", i))
				if i == 3 {
					if !v.Nil {
						t.Fatalf("deleted k3 is back: %s", v)
					}
				} else if v.Str != fmt.Sprintf("v%d", i) {
					t.Fatalf("k%d after SIGTERM and restart: %s", i, v)
				}
			}
			if v := c.mustDo(t, "GET", "ctr"); v.Str != "12345" {
				t.Fatalf("ctr = %s", v)
			}
			if v := c.mustDo(t, "PTTL", "k4"); v.Int <= 0 || v.Int > 100000000 {
				t.Fatalf("PTTL k4 = %s", v)
			}
			p.term(t)
		})
	}
}
