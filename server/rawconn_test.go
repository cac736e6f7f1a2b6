package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata/server/resp"
)

// rawConn is a bare RESP connection: commands go out as multibulk requests
// and replies come back through resp.ReadReply, byte for byte as the server
// wrote them (no client library rewriting errors or types).
type rawConn struct {
	conn net.Conn
	br   *bufio.Reader
	out  []byte
	ints []int64 // pipelineInts's replies
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawConn{conn: conn, br: bufio.NewReader(conn)}
}

// appendCommand appends args as a multibulk request.
func appendCommand(dst []byte, args ...string) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, "\r\n"...)
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, "\r\n"...)
		dst = append(dst, a...)
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// do sends one command and reads its reply.
func (c *rawConn) do(args ...string) (resp.Value, error) {
	c.conn.SetDeadline(time.Now().Add(20 * time.Second))
	c.out = appendCommand(c.out[:0], args...)
	if _, err := c.conn.Write(c.out); err != nil {
		return resp.Value{}, err
	}
	return resp.ReadReply(c.br)
}

// pipelineInts sends cmd(0) to cmd(n-1) in one write and reads their
// replies, which must all be integers, into c.ints. It returns what went
// wrong instead of failing the test, for the goroutines of concurrency
// tests.
func (c *rawConn) pipelineInts(n int, cmd func(k int) []string) error {
	c.out = c.out[:0]
	for k := range n {
		c.out = appendCommand(c.out, cmd(k)...)
	}
	if _, err := c.conn.Write(c.out); err != nil {
		return err
	}
	c.ints = c.ints[:0]
	for k := range n {
		v, err := resp.ReadReply(c.br)
		if err != nil || v.Kind != resp.KindInteger {
			return fmt.Errorf("%s: %v %v", shortArgs(cmd(k)), v, err)
		}
		c.ints = append(c.ints, v.Int)
	}
	return nil
}

// multiExec runs cmds in MULTI/EXEC. MULTI must succeed and EXEC must
// return an array (the transaction ran); the commands' own replies are not
// checked. It returns what went wrong instead of failing the test, for the
// goroutines of concurrency tests.
func (c *rawConn) multiExec(cmds ...[]string) error {
	if v, err := c.do("MULTI"); err != nil || v.Kind == resp.KindError {
		return fmt.Errorf("MULTI: %v %v", v, err)
	}
	for _, cmd := range cmds {
		if _, err := c.do(cmd...); err != nil {
			return fmt.Errorf("%s: %v", shortArgs(cmd), err)
		}
	}
	if v, err := c.do("EXEC"); err != nil || v.Kind != resp.KindArray {
		return fmt.Errorf("EXEC: %v %v", v, err)
	}
	return nil
}

// mustDo is do for commands that have to work.
func (c *rawConn) mustDo(t testing.TB, args ...string) resp.Value {
	t.Helper()
	v, err := c.do(args...)
	if err != nil {
		t.Fatalf("%s: %v", shortArgs(args), err)
	}
	return v
}

// shortArgs quotes args for a message, cutting long ones.
func shortArgs(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if len(a) > 64 {
			a = a[:64] + "..." + strconv.Itoa(len(a)) + " bytes"
		}
		b.WriteString(strconv.Quote(a))
	}
	return b.String()
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitUntil polls cond until it is true or the deadline passes.
func waitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}

// pingOK reports whether a fresh connection to addr answers PING.
func pingOK(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return false
	}
	v, err := resp.ReadReply(bufio.NewReader(conn))
	return err == nil && v.Kind == resp.KindSimpleString && v.Str == "PONG"
}

// startRedis starts Debian's redis-server on a free loopback port with
// persistence off, and returns its address. The test skips without the
// binary (fails in CI).
func startRedis(t *testing.T) string {
	t.Helper()
	bin := needTool(t, "redis-server")
	var addr string
	for attempt := 0; ; attempt++ {
		port := freePort(t)
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--daemonize", "no",
			"--databases", "16", "--protected-mode", "no")
		dieWithTest(cmd)
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		ready := false
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if pingOK(addr) {
				ready = true
				break
			}
			select {
			case <-exited:
				deadline = time.Now() // lost the port race: retry
			case <-time.After(10 * time.Millisecond): // polling interval
			}
		}
		if ready {
			t.Cleanup(func() {
				cmd.Process.Signal(os.Interrupt)
				select {
				case <-exited:
				case <-time.After(10 * time.Second):
					cancel()
					<-exited
				}
				cancel()
			})
			return addr
		}
		cancel()
		<-exited
		if attempt == 3 {
			t.Fatalf("redis-server did not start on %s", addr)
		}
	}
}
