package server

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-db/strata/server/resp"
)

// TestPubSubDifferential runs random pub/sub sequences on redis-server and
// on Strata and requires the same replies, messages included. Each side has
// two subscriber connections and a publisher; the generator mixes
// (un)subscriptions of the three kinds, publishing, PUBSUB queries, and
// ordinary commands, PING, HELLO and RESET on the subscribers (RESP2's
// subscribed mode and RESP3).
//
// A command can have several replies (SUBSCRIBE a b) and a publish
// delivers to other connections, so the differential test of
// differential_test.go (one reply per command) does not fit: after each
// command, the connection gets a PING with a unique argument, and its
// replies are read up to that PING's; after a publish, each subscriber
// is read the same way, which collects the messages, since they were
// queued before PUBLISH answered.
//
// Where Redis's order is its hash tables' order (messages of several
// matching patterns, UNSUBSCRIBE without arguments, PUBSUB CHANNELS), the
// replies are compared as sets.
func TestPubSubDifferential(t *testing.T) {
	redisAddr := startRedis(t)
	ts := startServer(t, t.TempDir())
	steps := 1500
	if raceEnabled {
		steps = 600
	}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			d := &psDiff{t: t, r: rand.New(rand.NewPCG(seed, seed^0x5eed)), kinds: map[string]int{}}
			for _, addr := range []string{redisAddr, ts.addr} {
				side := &psSide{pub: dialRaw(t, addr)}
				for i := range side.subs {
					side.subs[i] = dialRaw(t, addr)
				}
				d.sides = append(d.sides, side)
			}
			for i := 0; i < steps && d.mismatches < 10; i++ {
				d.step(i)
			}
			t.Logf("replies seen: %v", d.kinds)
			// Leave nothing subscribed for the next seed.
			for _, s := range d.sides {
				for _, c := range s.subs {
					c.mustDo(t, "RESET")
				}
			}
		})
	}
}

type psSide struct {
	pub  *rawConn
	subs [2]*rawConn
}

type psDiff struct {
	t          *testing.T
	r          *rand.Rand
	sides      []*psSide // redis, strata
	sentinel   int
	mismatches int
	kinds      map[string]int // canonical reply kinds seen from Redis, for the log
}

func (d *psDiff) pick(xs ...string) string { return xs[d.r.IntN(len(xs))] }

func (d *psDiff) names(kind string, min int) []string {
	var pool []string
	switch kind {
	case "p":
		pool = []string{"c*", "c[12]", "*", "?2", "x", "c\\*"}
	case "s":
		pool = []string{"s1", "s2", "c1"}
	default:
		pool = []string{"c1", "c2", "c3", "x", "c*"}
	}
	n := min + d.r.IntN(3)
	out := make([]string, n)
	for i := range out {
		out[i] = pool[d.r.IntN(len(pool))]
	}
	return out
}

// subCommand returns a command for a subscriber connection.
func (d *psDiff) subCommand() []string {
	switch d.r.IntN(14) {
	case 0, 1, 2:
		k := d.pick("", "p", "s")
		return append([]string{strings.ToUpper(k) + "SUBSCRIBE"}, d.names(k, 1)...)
	case 3, 4:
		k := d.pick("", "p", "s")
		return append([]string{strings.ToUpper(k) + "UNSUBSCRIBE"}, d.names(k, 0)...)
	case 5:
		return []string{"PING"}
	case 6:
		return []string{"PING", d.pick("", "hello")}
	case 7:
		return []string{"GET", "k"}
	case 8:
		return []string{"SET", "k", d.pick("v", "w")}
	case 9:
		return []string{"PUBSUB", d.pick("NUMPAT", "CHANNELS")}
	case 10:
		return []string{"HELLO", d.pick("2", "3", "3", "3")}
	case 11:
		if d.r.IntN(4) == 0 {
			return []string{"RESET"}
		}
		return []string{"ECHO", "e"}
	case 12:
		return []string{"PUBLISH", "c1", "from-sub"}
	default:
		return []string{"CONFIG", "GET", "timeout"}
	}
}

// pubCommand returns a command for the publisher connection.
func (d *psDiff) pubCommand() []string {
	switch d.r.IntN(10) {
	case 0, 1, 2, 3:
		return []string{"PUBLISH", d.pick("c1", "c2", "c3", "x", "c*", "s1", "y2"), d.pick("m", "", "a b\r\n")}
	case 4:
		return []string{"SPUBLISH", d.pick("s1", "s2", "c1"), "sm"}
	case 5:
		a := []string{"PUBSUB", "CHANNELS"}
		if d.r.IntN(2) == 0 {
			a = append(a, d.pick("c*", "*", "s?", "x"))
		}
		return a
	case 6:
		return append([]string{"PUBSUB", "NUMSUB"}, d.names("", 0)...)
	case 7:
		return []string{"PUBSUB", "NUMPAT"}
	case 8:
		return append([]string{"PUBSUB", d.pick("SHARDCHANNELS", "SHARDNUMSUB")}, d.names("s", 0)...)
	default:
		return []string{"PUBSUB", d.pick("NUMPAT", "CHANNELS", "HELP", "bogus"), "x", "y"}
	}
}

func (d *psDiff) step(i int) {
	var args []string
	who := d.r.IntN(3) // 0, 1: a subscriber; 2: the publisher
	if who < 2 {
		args = d.subCommand()
	} else {
		args = d.pubCommand()
	}
	var got [2][]string
	for s, side := range d.sides {
		c := side.pub
		if who < 2 {
			c = side.subs[who]
		}
		got[s] = d.exchange(c, args)
	}
	d.count(got[0])
	if !slices.Equal(got[0], got[1]) {
		d.mismatch(i, fmt.Sprintf("conn %d: %s", who, quoteArgs(args)), got)
		return
	}
	if name := strings.ToUpper(args[0]); name != "PUBLISH" && name != "SPUBLISH" {
		return
	}
	for j := range d.sides[0].subs {
		for s, side := range d.sides {
			got[s] = d.exchange(side.subs[j], nil)
		}
		d.count(got[0])
		if !slices.Equal(got[0], got[1]) {
			d.mismatch(i, fmt.Sprintf("subscriber %d after %s", j, quoteArgs(args)), got)
		}
	}
}

// count tallies canonical replies by kind, for the log.
func (d *psDiff) count(replies []string) {
	for _, r := range replies {
		var k string
		switch {
		case strings.HasPrefix(r, "["), strings.HasPrefix(r, ">["):
			// An array or push by its first element: subscribe, pong, ...
			k, _, _ = strings.Cut(strings.TrimLeft(r, ">["), " ")
			k = r[:strings.IndexByte(r, '[')] + strings.Trim(k, `"]`)
		case strings.Contains(r, "{"):
			k, _, _ = strings.Cut(r, "{") // a run of messages or confirmations
		default:
			k = map[byte]string{'+': "simple", '-': "error", ':': "integer", '"': "bulk", '(': "nil"}[r[0]]
			if k == "" {
				k, _, _ = strings.Cut(r, ":")
			}
		}
		d.kinds[k]++
	}
}

func (d *psDiff) mismatch(i int, what string, got [2][]string) {
	d.t.Helper()
	d.mismatches++
	d.t.Errorf("step %d: %s\n  redis:  %q\n  strata: %q", i, what, got[0], got[1])
}

// exchange sends args (if any) and a sentinel PING, and returns the
// replies before the sentinel's, in canonical form.
func (d *psDiff) exchange(c *rawConn, args []string) []string {
	d.t.Helper()
	d.sentinel++
	tag := "sentinel-" + strconv.Itoa(d.sentinel)
	var buf []byte
	if args != nil {
		buf = appendCommand(buf, args...)
	}
	buf = appendCommand(buf, "PING", tag)
	if _, err := c.conn.Write(buf); err != nil {
		d.t.Fatal(err)
	}
	var replies []resp.Value
	for {
		v := c.read(d.t)
		if v.Kind == resp.KindBulk && v.Str == tag {
			break
		}
		if len(v.Elems) == 2 && v.Elems[0].Str == "pong" && v.Elems[1].Str == tag {
			replies = append(replies, resp.Value{Kind: resp.KindSimpleString, Str: "(subscribed-mode pong)"})
			break
		}
		replies = append(replies, v)
	}
	return canonicalPubSub(args, replies)
}

// canonicalPubSub renders replies for comparison: HELLO's reply by kind
// only (it carries the server's id), PUBSUB CHANNELS sorted, and runs of
// messages or unsubscribe confirmations of one kind as sets (with the
// counts of confirmations in order).
func canonicalPubSub(args []string, vs []resp.Value) []string {
	var out []string
	if len(args) > 0 && strings.EqualFold(args[0], "hello") && len(vs) > 0 && vs[0].Kind != resp.KindError {
		out = append(out, "hello:"+vs[0].Kind.String())
		vs = vs[1:]
	}
	if len(args) > 1 && strings.EqualFold(args[0], "pubsub") && len(vs) > 0 && vs[0].Kind == resp.KindArray &&
		(strings.EqualFold(args[1], "channels") || strings.EqualFold(args[1], "shardchannels")) {
		out = append(out, "channels:"+strings.Join(sortedStrs(vs[0].Elems), ","))
		vs = vs[1:]
	}
	word := func(v resp.Value) string {
		if len(v.Elems) < 3 || v.Elems[0].Kind != resp.KindBulk {
			return ""
		}
		switch w := v.Elems[0].Str; w {
		case "message", "pmessage", "smessage", "unsubscribe", "punsubscribe", "sunsubscribe":
			return string(v.Kind) + w
		}
		return ""
	}
	for i := 0; i < len(vs); {
		w := word(vs[i])
		if w == "" {
			out = append(out, vs[i].String())
			i++
			continue
		}
		j := i
		var items, counts []string
		for ; j < len(vs) && word(vs[j]) == w; j++ {
			e := vs[j].Elems
			if strings.HasSuffix(w, "unsubscribe") {
				items = append(items, e[1].String())
				counts = append(counts, e[2].String())
			} else {
				items = append(items, vs[j].String())
			}
		}
		slices.Sort(items)
		out = append(out, fmt.Sprintf("%s{%s}%s", w, strings.Join(items, " "), strings.Join(counts, ",")))
		i = j
	}
	return out
}
