package server

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/strata-db/strata/server/resp"
)

// send writes one command without reading its reply.
func (c *rawConn) send(t testing.TB, args ...string) {
	t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.conn.Write(appendCommand(nil, args...)); err != nil {
		t.Fatalf("%s: %v", shortArgs(args), err)
	}
}

// read reads one reply or push.
func (c *rawConn) read(t testing.TB) resp.Value {
	t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	v, err := resp.ReadReply(c.br)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return v
}

// expectReplies reads len(want) replies and compares their String forms.
func (c *rawConn) expectReplies(t testing.TB, want ...string) {
	t.Helper()
	for i, w := range want {
		if got := c.read(t).String(); got != w {
			t.Fatalf("reply %d: got %s, want %s", i, got, w)
		}
	}
}

// expectDo runs one command and compares its reply's String form.
func (c *rawConn) expectDo(t testing.TB, want string, args ...string) {
	t.Helper()
	if got := c.mustDo(t, args...).String(); got != want {
		t.Fatalf("%s: got %s, want %s", shortArgs(args), got, want)
	}
}

const subscribedErr = "-ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"

func TestPubSubRESP2(t *testing.T) {
	ts := startServer(t, t.TempDir())
	sub := dialRaw(t, ts.addr)
	pub := dialRaw(t, ts.addr)
	subID := sub.mustDo(t, "CLIENT", "ID").Int

	sub.send(t, "SUBSCRIBE", "a", "b", "a")
	sub.expectReplies(t, `["subscribe" "a" :1]`, `["subscribe" "b" :2]`, `["subscribe" "a" :2]`)
	sub.send(t, "PSUBSCRIBE", "a*")
	sub.expectReplies(t, `["psubscribe" "a*" :3]`)
	sub.send(t, "SSUBSCRIBE", "s")
	sub.expectReplies(t, `["ssubscribe" "s" :1]`) // shard channels count apart

	// PUBLISH counts receivers: a channel subscriber and a pattern one.
	pub.expectDo(t, ":2", "PUBLISH", "a", "hello")
	pub.expectDo(t, ":1", "PUBLISH", "b", "x\r\ny")
	pub.expectDo(t, ":0", "PUBLISH", "zz", "nobody")
	pub.expectDo(t, ":1", "PUBLISH", "abc", "")
	pub.expectDo(t, ":1", "SPUBLISH", "s", "m")
	pub.expectDo(t, ":0", "SPUBLISH", "a", "shard channels are apart")
	sub.expectReplies(t,
		`["message" "a" "hello"]`, `["pmessage" "a*" "a" "hello"]`,
		`["message" "b" "x\r\ny"]`,
		`["pmessage" "a*" "abc" ""]`,
		`["smessage" "s" "m"]`)

	// Subscribed mode: only (P|S)(UN)SUBSCRIBE, PING, QUIT and RESET.
	sub.expectDo(t, fmt.Sprintf(subscribedErr, "get"), "GET", "x")
	sub.expectDo(t, fmt.Sprintf(subscribedErr, "config|get"), "CONFIG", "GET", "x")
	sub.expectDo(t, fmt.Sprintf(subscribedErr, "publish"), "PUBLISH", "a", "x")
	sub.expectDo(t, fmt.Sprintf(subscribedErr, "hello"), "HELLO", "3")
	sub.expectDo(t, "-ERR unknown command 'NOSUCH', with args beginning with: ", "NOSUCH")
	sub.expectDo(t, "-ERR wrong number of arguments for 'get' command", "GET")
	sub.expectDo(t, `["pong" ""]`, "PING")
	sub.expectDo(t, `["pong" "hi"]`, "PING", "hi")
	sub.expectDo(t, "-ERR wrong number of arguments for 'ping' command", "PING", "a", "b")

	// The registry seen by others.
	pub.expectDo(t, `["a" "b"]`, "PUBSUB", "CHANNELS")
	pub.expectDo(t, `["b"]`, "PUBSUB", "CHANNELS", "b*")
	pub.expectDo(t, `["a" :1 "b" :1 "c" :0]`, "PUBSUB", "NUMSUB", "a", "b", "c")
	pub.expectDo(t, `[]`, "PUBSUB", "NUMSUB")
	pub.expectDo(t, ":1", "PUBSUB", "NUMPAT")
	pub.expectDo(t, `["s"]`, "PUBSUB", "SHARDCHANNELS")
	pub.expectDo(t, `["s" :1 "a" :0]`, "PUBSUB", "SHARDNUMSUB", "s", "a")
	pub.expectDo(t, "-ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.", "PUBSUB", "channels", "a", "b")
	pub.expectDo(t, "-ERR wrong number of arguments for 'pubsub|numpat' command", "PUBSUB", "NUMPAT", "x")
	pub.expectDo(t, "-ERR unknown subcommand 'foo'. Try PUBSUB HELP.", "PUBSUB", "foo")
	if v := pub.mustDo(t, "PUBSUB", "HELP"); v.Kind != resp.KindArray || len(v.Elems) != 14 || v.Elems[13].Str != "    Prints this help." {
		t.Fatalf("PUBSUB HELP: %s", v)
	}
	info := pub.mustDo(t, "INFO", "stats").Str
	for _, f := range []string{"pubsub_channels:2\r\n", "pubsub_patterns:1\r\n", "pubsubshard_channels:1\r\n"} {
		if !strings.Contains(info, f) {
			t.Errorf("INFO stats lacks %q:\n%s", f, info)
		}
	}
	list := pub.mustDo(t, "CLIENT", "LIST", "ID", strconv.FormatInt(subID, 10)).Str
	for _, f := range []string{" flags=P ", " sub=2 ", " psub=1 ", " ssub=1 "} {
		if !strings.Contains(list, f) {
			t.Errorf("CLIENT LIST lacks %q: %s", f, list)
		}
	}

	// UNSUBSCRIBE with no argument drops every channel; the count includes
	// the pattern, so the client stays subscribed.
	sub.send(t, "UNSUBSCRIBE")
	got := []string{sub.read(t).String(), sub.read(t).String()}
	slices.Sort(got)
	if want := []string{`["unsubscribe" "a" :1]`, `["unsubscribe" "b" :2]`}; !slices.Equal(got, want) &&
		!slices.Equal(got, []string{`["unsubscribe" "a" :2]`, `["unsubscribe" "b" :1]`}) {
		t.Fatalf("UNSUBSCRIBE: %q", got)
	}
	sub.expectDo(t, `["unsubscribe" (nil) :1]`, "UNSUBSCRIBE")
	sub.expectDo(t, `["unsubscribe" "nosuch" :1]`, "UNSUBSCRIBE", "nosuch")
	sub.expectDo(t, `["punsubscribe" "a*" :0]`, "PUNSUBSCRIBE")
	// Still subscribed to a shard channel.
	sub.expectDo(t, fmt.Sprintf(subscribedErr, "get"), "GET", "x")
	sub.expectDo(t, `["sunsubscribe" "s" :0]`, "SUNSUBSCRIBE", "s")
	// Out of subscribed mode.
	sub.expectDo(t, "(nil)", "GET", "x")
	sub.expectDo(t, "+PONG", "PING")
	sub.expectDo(t, `["punsubscribe" (nil) :0]`, "PUNSUBSCRIBE")
	sub.expectDo(t, `["sunsubscribe" (nil) :0]`, "SUNSUBSCRIBE")
	pub.expectDo(t, ":0", "PUBLISH", "a", "x")
	pub.expectDo(t, `[]`, "PUBSUB", "CHANNELS")
	pub.expectDo(t, ":0", "PUBSUB", "NUMPAT")
	list = pub.mustDo(t, "CLIENT", "LIST", "ID", strconv.FormatInt(subID, 10)).Str
	if !strings.Contains(list, " flags=N ") || !strings.Contains(list, " sub=0 psub=0 ssub=0 ") {
		t.Errorf("CLIENT LIST after unsubscribing: %s", list)
	}

	// QUIT in subscribed mode answers, then closes.
	sub.send(t, "SUBSCRIBE", "q")
	sub.expectReplies(t, `["subscribe" "q" :1]`)
	sub.expectDo(t, "+OK", "QUIT")
	if _, err := resp.ReadReply(sub.br); err == nil {
		t.Fatal("connection open after QUIT")
	}
	waitUntil(t, 10*time.Second, "the closed subscriber to leave the registry", func() bool {
		return pub.mustDo(t, "PUBSUB", "NUMSUB", "q").String() == `["q" :0]`
	})
}

func TestPubSubRESP3(t *testing.T) {
	ts := startServer(t, t.TempDir())
	sub := dialRaw(t, ts.addr)
	pub := dialRaw(t, ts.addr)
	sub.mustDo(t, "HELLO", "3")
	sub.send(t, "SUBSCRIBE", "a")
	sub.expectReplies(t, `>["subscribe" "a" :1]`)
	sub.send(t, "PSUBSCRIBE", "*")
	sub.expectReplies(t, `>["psubscribe" "*" :2]`)
	// Any command runs while subscribed; PING is the plain one.
	sub.expectDo(t, "+OK", "SET", "k", "v")
	sub.expectDo(t, `"v"`, "GET", "k")
	sub.expectDo(t, "+PONG", "PING")
	pub.expectDo(t, ":2", "PUBLISH", "a", "m1")
	sub.expectReplies(t, `>["message" "a" "m1"]`, `>["pmessage" "*" "a" "m1"]`)
	// Publishing to itself: the pushes come before PUBLISH's reply, after
	// the replies to the commands before it (as Redis orders them).
	sub.send(t, "ECHO", "before")
	sub.send(t, "PUBLISH", "a", "self")
	sub.expectReplies(t, `"before"`, `>["message" "a" "self"]`, `>["pmessage" "*" "a" "self"]`, ":2")
	sub.send(t, "UNSUBSCRIBE", "a")
	sub.expectReplies(t, `>["unsubscribe" "a" :1]`)
	sub.send(t, "PUNSUBSCRIBE")
	sub.expectReplies(t, `>["punsubscribe" "*" :0]`)
	sub.send(t, "UNSUBSCRIBE")
	sub.expectReplies(t, `>["unsubscribe" _ :0]`)
	// HELLO 2 while subscribed: messages follow in RESP2.
	sub.send(t, "SUBSCRIBE", "b")
	sub.expectReplies(t, `>["subscribe" "b" :1]`)
	if v := sub.mustDo(t, "HELLO", "2"); v.Kind != resp.KindArray {
		t.Fatalf("HELLO 2: %s", v)
	}
	pub.expectDo(t, ":1", "PUBLISH", "b", "m2")
	sub.expectReplies(t, `["message" "b" "m2"]`)
	sub.expectDo(t, fmt.Sprintf(subscribedErr, "get"), "GET", "k")
	// RESET drops the subscriptions and returns to RESP2 and normal mode.
	sub.expectDo(t, "+RESET", "RESET")
	sub.expectDo(t, `"v"`, "GET", "k")
	pub.expectDo(t, ":0", "PUBLISH", "b", "m3")
	pub.expectDo(t, `["b" :0]`, "PUBSUB", "NUMSUB", "b")
}

// TestPubSubGoRedis drives pub/sub through go-redis in both protocols.
func TestPubSubGoRedis(t *testing.T) {
	ts := startServer(t, t.TempDir())
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			c := ts.client(t, proto)
			ps := c.Subscribe(ctx, "news", "sport")
			defer ps.Close()
			if err := ps.PSubscribe(ctx, "n*"); err != nil {
				t.Fatal(err)
			}
			// Receive the three confirmations.
			for i := 0; i < 3; i++ {
				m, err := ps.ReceiveTimeout(ctx, 10*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := m.(*redis.Subscription); !ok {
					t.Fatalf("got %T %v, want a subscription", m, m)
				}
			}
			if n, err := c.Publish(ctx, "news", "hello").Result(); err != nil || n != 2 {
				t.Fatalf("PUBLISH: %d %v", n, err)
			}
			var got []string
			for i := 0; i < 2; i++ {
				m, err := ps.ReceiveTimeout(ctx, 10*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				msg, ok := m.(*redis.Message)
				if !ok {
					t.Fatalf("got %T %v, want a message", m, m)
				}
				got = append(got, msg.Pattern+"|"+msg.Channel+"|"+msg.Payload)
			}
			if want := []string{"|news|hello", "n*|news|hello"}; !slices.Equal(got, want) {
				t.Fatalf("messages %q, want %q", got, want)
			}
			if m, err := c.PubSubNumSub(ctx, "news", "none").Result(); err != nil || m["news"] != 1 || m["none"] != 0 {
				t.Fatalf("NUMSUB: %v %v", m, err)
			}
			if n, err := c.PubSubNumPat(ctx).Result(); err != nil || n != 1 {
				t.Fatalf("NUMPAT: %d %v", n, err)
			}
			if chs, err := c.PubSubChannels(ctx, "s*").Result(); err != nil || !slices.Equal(chs, []string{"sport"}) {
				t.Fatalf("CHANNELS: %v %v", chs, err)
			}
			// The subscription's connection still answers PING.
			if err := ps.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			if err := ps.Unsubscribe(ctx); err != nil {
				t.Fatal(err)
			}
			if err := ps.PUnsubscribe(ctx); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, 10*time.Second, "the unsubscriptions", func() bool {
				n, err := c.Publish(ctx, "news", "x").Result()
				return err == nil && n == 0
			})
		})
	}
}

// TestPubSubReceivers: PUBLISH counts one delivery per channel subscriber
// and per matching pattern of each pattern subscriber.
func TestPubSubReceivers(t *testing.T) {
	ts := startServer(t, t.TempDir())
	pub := dialRaw(t, ts.addr)
	a := dialRaw(t, ts.addr)
	b := dialRaw(t, ts.addr)
	c := dialRaw(t, ts.addr)
	a.send(t, "SUBSCRIBE", "x.1")
	a.expectReplies(t, `["subscribe" "x.1" :1]`)
	b.send(t, "PSUBSCRIBE", "x.*", "x.?", "y*")
	b.expectReplies(t, `["psubscribe" "x.*" :1]`, `["psubscribe" "x.?" :2]`, `["psubscribe" "y*" :3]`)
	c.send(t, "SUBSCRIBE", "x.1")
	c.expectReplies(t, `["subscribe" "x.1" :1]`)
	c.send(t, "PSUBSCRIBE", "x.[0-9]")
	c.expectReplies(t, `["psubscribe" "x.[0-9]" :2]`)
	pub.expectDo(t, ":5", "PUBLISH", "x.1", "m") // a, c, and x.*, x.? of b, x.[0-9] of c
	pub.expectDo(t, ":1", "PUBLISH", "x.10", "m")
	pub.expectDo(t, ":0", "PUBLISH", "z", "m")
	pub.expectDo(t, ":4", "PUBSUB", "NUMPAT")
	pub.expectDo(t, `["x.1" :2]`, "PUBSUB", "NUMSUB", "x.1")
	a.expectReplies(t, `["message" "x.1" "m"]`)
	got := []string{b.read(t).String(), b.read(t).String(), b.read(t).String()}
	slices.Sort(got)
	want := []string{`["pmessage" "x.*" "x.1" "m"]`, `["pmessage" "x.*" "x.10" "m"]`, `["pmessage" "x.?" "x.1" "m"]`}
	if !slices.Equal(got, want) {
		t.Fatalf("pattern subscriber got %q, want %q", got, want)
	}
	c.expectReplies(t, `["message" "x.1" "m"]`, `["pmessage" "x.[0-9]" "x.1" "m"]`)
	// A disconnected subscriber stops counting.
	a.conn.Close()
	waitUntil(t, 10*time.Second, "the closed subscriber to leave", func() bool {
		return pub.mustDo(t, "PUBSUB", "NUMSUB", "x.1").String() == `["x.1" :1]`
	})
	pub.expectDo(t, ":4", "PUBLISH", "x.1", "m")
}

// TestPubSubOrdering: with a publisher sending numbered messages without
// pause, a subscriber pipelining commands before SUBSCRIBE gets their
// replies first, then the confirmation, then messages in order; after the
// UNSUBSCRIBE confirmation nothing of the channel arrives.
func TestPubSubOrdering(t *testing.T) {
	ts := startServer(t, t.TempDir())
	stop := make(chan struct{})
	var wg sync.WaitGroup
	published := make(chan int64, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		pub := dialRaw(t, ts.addr)
		for i := int64(0); ; i++ {
			select {
			case <-stop:
				published <- i
				return
			default:
			}
			if _, err := pub.do("PUBLISH", "ord", strconv.FormatInt(i, 10)); err != nil {
				published <- -1
				return
			}
		}
	}()
	stopPublisher := sync.OnceFunc(func() {
		close(stop)
		wg.Wait()
	})
	defer stopPublisher()
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	sub := dialRaw(t, ts.addr)
	received := 0
	for r := 0; r < rounds; r++ {
		// One write: replies before SUBSCRIBE, SUBSCRIBE, UNSUBSCRIBE, and
		// a PING whose reply marks the end.
		var buf []byte
		buf = appendCommand(buf, "SET", "k", strconv.Itoa(r))
		buf = appendCommand(buf, "GET", "k")
		buf = appendCommand(buf, "SUBSCRIBE", "ord")
		buf = appendCommand(buf, "PING", "x")
		buf = appendCommand(buf, "UNSUBSCRIBE", "ord")
		buf = appendCommand(buf, "PING", "end")
		sub.conn.SetWriteDeadline(time.Now().Add(20 * time.Second))
		if _, err := sub.conn.Write(buf); err != nil {
			t.Fatal(err)
		}
		sub.expectReplies(t, "+OK", strconv.Quote(strconv.Itoa(r)), `["subscribe" "ord" :1]`)
		last := int64(-1)
		pong, unsub := false, false
		for {
			v := sub.read(t)
			s := v.String()
			switch {
			case s == `["pong" "x"]`:
				pong = true
			case s == `["unsubscribe" "ord" :0]`:
				if !pong {
					t.Fatalf("round %d: unsubscribe before PING's reply", r)
				}
				unsub = true
			case s == `"end"`:
				if !unsub {
					t.Fatalf("round %d: PING end before the unsubscribe confirmation", r)
				}
			case len(v.Elems) == 3 && v.Elems[0].Str == "message":
				if unsub {
					t.Fatalf("round %d: message %s after the unsubscribe confirmation", r, s)
				}
				n, _ := strconv.ParseInt(v.Elems[2].Str, 10, 64)
				if n <= last {
					t.Fatalf("round %d: message %d after %d", r, n, last)
				}
				last = n
				received++
				continue
			default:
				t.Fatalf("round %d: unexpected %s", r, s)
			}
			if s == `"end"` {
				break
			}
		}
	}
	stopPublisher()
	n := <-published
	if n < 0 {
		t.Fatal("publisher failed")
	}
	t.Logf("%d rounds, %d messages published, %d received", rounds, n, received)
}

// TestSubscriberSurvivesIdleTimeout: the idle timeout spares subscribers,
// as Redis's does.
func TestSubscriberSurvivesIdleTimeout(t *testing.T) {
	ts := startServer(t, t.TempDir())
	admin := dialRaw(t, ts.addr)
	sub := dialRaw(t, ts.addr)
	sub.send(t, "SUBSCRIBE", "c")
	sub.expectReplies(t, `["subscribe" "c" :1]`)
	// Idle since after the subscriber: the cron pass that closes it
	// looks at the subscriber too.
	idle := dialRaw(t, ts.addr)
	idleID := idle.mustDo(t, "CLIENT", "ID").Int
	admin.mustDo(t, "CONFIG", "SET", "timeout", "1")
	waitUntil(t, 20*time.Second, "the idle client to be closed", func() bool {
		return !strings.Contains(admin.mustDo(t, "CLIENT", "LIST").Str, fmt.Sprintf("id=%d ", idleID))
	})
	admin.mustDo(t, "CONFIG", "SET", "timeout", "0")
	admin.expectDo(t, ":1", "PUBLISH", "c", "still here")
	sub.expectReplies(t, `["message" "c" "still here"]`)
}
