package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// dialNonReader connects with a small receive buffer, so that what the
// kernel absorbs for a client that never reads stays small and the
// server's own buffering shows quickly.
func dialNonReader(t *testing.T, addr string) *rawConn {
	t.Helper()
	c := dialRaw(t, addr)
	if err := c.conn.(*net.TCPConn).SetReadBuffer(32 << 10); err != nil {
		t.Fatal(err)
	}
	return c
}

// expectClosed reads c to its end: the server must have closed it.
func expectClosed(t *testing.T, c *rawConn) {
	t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err := io.Copy(io.Discard, c.br)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("connection not closed by the server: %v", err)
	}
}

// clientGone reports whether CLIENT LIST no longer shows id.
func clientGone(t *testing.T, admin *rawConn, id int64) bool {
	return !strings.Contains(admin.mustDo(t, "CLIENT", "LIST").Str, fmt.Sprintf("id=%d ", id))
}

// TestSlowSubscriberDisconnected: a subscriber that never reads is
// disconnected when its pending output reaches the pubsub class's hard
// limit, or stays above its soft limit; the publisher is never blocked and
// the server holds no more than the limit for it.
func TestSlowSubscriberDisconnected(t *testing.T) {
	for _, tc := range []struct{ name, limit string }{
		{"hard", "pubsub 256kb 0 0"},
		{"soft", "pubsub 0 256kb 0"}, // 0 s: the next message past the soft limit
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, t.TempDir())
			pub := dialRaw(t, ts.addr)
			pub.expectDo(t, "+OK", "CONFIG", "SET", "client-output-buffer-limit", tc.limit)
			sub := dialNonReader(t, ts.addr)
			sub.send(t, "SUBSCRIBE", "firehose")
			sub.expectReplies(t, `["subscribe" "firehose" :1]`)
			// A second, reading subscriber keeps getting everything.
			good := dialRaw(t, ts.addr)
			good.send(t, "SUBSCRIBE", "firehose")
			good.expectReplies(t, `["subscribe" "firehose" :1]`)

			before := heapInuse()
			payload := strings.Repeat("p", 64<<10)
			var peak uint64
			n := 0
			for ; n < 2000; n++ {
				start := time.Now()
				v := pub.mustDo(t, "PUBLISH", "firehose", payload)
				if d := time.Since(start); d > 5*time.Second {
					t.Fatalf("PUBLISH %d took %v", n, d)
				}
				if v.Kind == 0 || v.Int == 1 {
					break // the slow subscriber is gone
				}
				if v.Int != 2 {
					t.Fatalf("PUBLISH %d: %s", n, v)
				}
				if got := good.read(t); len(got.Elems) != 3 || len(got.Elems[2].Str) != len(payload) {
					t.Fatalf("reading subscriber got %s", got)
				}
				if n%16 == 0 {
					peak = max(peak, heapInuse())
				}
			}
			if n == 2000 {
				t.Fatalf("slow subscriber still subscribed after %d MB of messages", 2000*len(payload)>>20)
			}
			good.read(t) // the last message
			if k := ts.s.stats.outputLimitKills.Load(); k != 1 {
				t.Fatalf("output limit disconnections: %d", k)
			}
			if grown := int64(peak) - int64(before); grown > 32<<20 {
				t.Errorf("heap grew by %d MB for one slow subscriber", grown>>20)
			}
			expectClosed(t, sub)
			pub.expectDo(t, ":1", "PUBLISH", "firehose", "after")
			good.expectReplies(t, `["message" "firehose" "after"]`)
			t.Logf("disconnected after %d messages of %d KB", n, len(payload)>>10)
		})
	}
}

// TestOutputMemoryShown: CLIENT LIST's omem is the output a client has
// pending.
func TestOutputMemoryShown(t *testing.T) {
	ts := startServer(t, t.TempDir())
	pub := dialRaw(t, ts.addr)
	sub := dialNonReader(t, ts.addr)
	id := sub.mustDo(t, "CLIENT", "ID").Int
	sub.send(t, "SUBSCRIBE", "c")
	sub.expectReplies(t, `["subscribe" "c" :1]`)
	payload := strings.Repeat("p", 64<<10)
	// Up to 16 MB, under the default 32 MB hard limit; the soft limit
	// (8 MB for 60 s) is not held long enough to matter.
	omem := func() int64 {
		line := pub.mustDo(t, "CLIENT", "LIST", "ID", strconv.FormatInt(id, 10)).Str
		_, rest, _ := strings.Cut(line, " omem=")
		v, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
		return v
	}
	for i := 0; i < 256 && omem() < 1<<20; i++ {
		pub.expectDo(t, ":1", "PUBLISH", "c", payload)
	}
	if m := omem(); m < 1<<20 || m > 16<<20 {
		t.Fatalf("omem %d after the subscriber stopped reading", m)
	}
}

// TestNormalClientOutputLimit: with a normal-class hard limit, a client
// that pipelines commands without reading their replies is disconnected
// once they pile up past the limit, and a reply alone bigger than the
// limit disconnects too; a client that reads gets all its replies.
func TestNormalClientOutputLimit(t *testing.T) {
	ts := startServer(t, t.TempDir())
	admin := dialRaw(t, ts.addr)
	admin.expectDo(t, "+OK", "SET", "v100k", strings.Repeat("x", 100<<10))
	admin.expectDo(t, "+OK", "SET", "v2m", strings.Repeat("y", 2<<20))
	admin.expectDo(t, "+OK", "CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0")

	// 1000 GETs of 100 KB, never read.
	c := dialNonReader(t, ts.addr)
	id := c.mustDo(t, "CLIENT", "ID").Int
	var buf []byte
	for i := 0; i < 1000; i++ {
		buf = appendCommand(buf, "GET", "v100k")
	}
	c.conn.SetWriteDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.conn.Write(buf); err != nil && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "the client that does not read to be disconnected", func() bool { return clientGone(t, admin, id) })
	expectClosed(t, c)

	// One reply over the limit.
	big := dialRaw(t, ts.addr)
	big.send(t, "GET", "v2m")
	expectClosed(t, big)
	if k := ts.s.stats.outputLimitKills.Load(); k != 2 {
		t.Fatalf("output limit disconnections: %d", k)
	}

	// Reading clients are not disturbed: a long pipeline through the
	// outbox path, replies checked.
	admin.expectDo(t, "+OK", "CONFIG", "SET", "client-output-buffer-limit", "normal 64mb 0 0")
	ctx := context.Background()
	rc := ts.client(t, 2)
	p := rc.Pipeline()
	var cmds []*redis.StringCmd
	for i := 0; i < 3000; i++ {
		p.Set(ctx, "k"+strconv.Itoa(i), strconv.Itoa(i), 0)
		cmds = append(cmds, p.Get(ctx, "k"+strconv.Itoa(i)))
		if i%100 == 0 {
			cmds = append(cmds, p.Get(ctx, "v100k"))
		}
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	k := 0
	for i, cmd := range cmds {
		want := strconv.Itoa(k)
		if cmd.Args()[1] == "v100k" {
			want = strings.Repeat("x", 100<<10)
		} else {
			k++
		}
		if got, err := cmd.Result(); err != nil || got != want {
			t.Fatalf("reply %d: %.20q %v", i, got, err)
		}
	}

	// Back to no limit: a client that does not read blocks only itself.
	admin.expectDo(t, "+OK", "CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")
	if k := ts.s.stats.outputLimitKills.Load(); k != 2 {
		t.Fatalf("output limit disconnections: %d", k)
	}
}

// TestSoftLimitClock: the soft limit disconnects only once it has been
// exceeded for longer than its seconds, and forgets when output falls
// below it.
func TestSoftLimitClock(t *testing.T) {
	l := outputLimit{soft: 100, softSeconds: 2}
	var since time.Time
	if l.exceeded(99, &since) || !since.IsZero() {
		t.Fatal("under the soft limit")
	}
	if l.exceeded(100, &since) || since.IsZero() {
		t.Fatal("reaching the soft limit starts its clock only")
	}
	since = time.Now().Add(-1500 * time.Millisecond)
	if l.exceeded(150, &since) {
		t.Fatal("disconnected before the soft seconds")
	}
	since = time.Now().Add(-2500 * time.Millisecond)
	if !l.exceeded(150, &since) {
		t.Fatal("not disconnected after the soft seconds")
	}
	if l.exceeded(50, &since) || !since.IsZero() {
		t.Fatal("falling under the soft limit resets its clock")
	}
	h := outputLimit{hard: 10, soft: 5, softSeconds: 60}
	since = time.Time{}
	if !h.exceeded(10, &since) {
		t.Fatal("hard limit reached")
	}
	if (outputLimit{}).enabled() || !h.enabled() {
		t.Fatal("enabled")
	}
}

func TestOutputLimitSetting(t *testing.T) {
	const prefix = "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - "
	c := NewConfig()
	if got := c.Get("client-output-buffer-limit"); got != "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60" {
		t.Fatalf("default %q", got)
	}
	for _, tc := range []struct{ in, want, err string }{
		{"pubsub 1mb 512kb 10", "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 10", ""},
		{"foo 1 2 3", "", "Invalid client class specified in buffer limit configuration."},
		{"master 1 2 3", "", "Invalid client class specified in buffer limit configuration."},
		{"normal 1 2", "", "Wrong number of arguments in buffer limit configuration."},
		{"normal x 1 1", "", "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
		{"normal 1 1 x", "", "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
		{"normal -1 1 1", "", "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
		{"normal 1.5k 1 1", "", "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
		{"normal 1 1 3k", "", "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
		{"normal 1 1 -1", "", "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
		{"normal 1 1 1 pubsub 1 1", "", "Wrong number of arguments in buffer limit configuration."},
		{"normal 1 1 1 foo 1 1 1", "", "Invalid client class specified in buffer limit configuration."},
		{"replica 1 2 3", "normal 0 0 0 slave 1 2 3 pubsub 1048576 524288 10", ""},
		{"NORMAL 1K 2kb 3 Pubsub 0 0 0", "normal 1000 2048 3 slave 1 2 3 pubsub 0 0 0", ""},
		{"", "normal 1000 2048 3 slave 1 2 3 pubsub 0 0 0", ""},
	} {
		_, msg := c.ConfigSet([]string{"client-output-buffer-limit", tc.in})
		if tc.err != "" {
			if msg != prefix+tc.err {
				t.Errorf("%q: got %q, want error %q", tc.in, msg, tc.err)
			}
			continue
		}
		if msg != "" {
			t.Errorf("%q: %s", tc.in, msg)
		}
		if got := c.Get("client-output-buffer-limit"); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	// Config file lines set one class each; REWRITE writes a line that
	// reads back.
	path := t.TempDir() + "/strata.conf"
	if err := os.WriteFile(path, []byte("client-output-buffer-limit normal 1mb 0 0\nclient-output-buffer-limit pubsub 2mb 1mb 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c = NewConfig()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	want := "normal 1048576 0 0 slave 268435456 67108864 60 pubsub 2097152 1048576 5"
	if got := c.Get("client-output-buffer-limit"); got != want {
		t.Fatalf("from file: %q", got)
	}
	if err := c.ApplyArgs([]string{"--client-output-buffer-limit", "slave", "0", "0", "0"}); err != nil {
		t.Fatal(err)
	}
	want = "normal 1048576 0 0 slave 0 0 0 pubsub 2097152 1048576 5"
	if got := c.Get("client-output-buffer-limit"); got != want {
		t.Fatalf("from the command line: %q", got)
	}
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	c2 := NewConfig()
	if err := c2.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if got := c2.Get("client-output-buffer-limit"); got != want {
		t.Fatalf("after REWRITE: %q", got)
	}
}
