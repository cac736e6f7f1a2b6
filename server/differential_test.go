package server

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/server/resp"
)

// TestDifferentialAgainstRedis sends the same random command sequences to
// Debian's redis-server and to Strata and requires identical replies. Key
// and value spaces are small so that commands collide: overwrites, counters
// on non-integers, expiry conditions on keys with and without a TTL, renames
// onto existing keys, moves between databases.
//
// What cannot be identical is compared by meaning: TTL-like replies within
// a tolerance (the two servers set a relative expiry a few milliseconds
// apart), KEYS as sorted lists, SCAN as the set of keys after a full
// iteration, RANDOMKEY as nil or not. Relative expiry times are unique and
// spaced 10 s apart, and absolute ones far beyond them, so that GT/LT
// comparisons never depend on which millisecond a command ran in.
//
// After a mismatch both servers are flushed, so one bug is reported once
// rather than as a cascade of diverged state.
func TestDifferentialAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ts := startServer(t, t.TempDir())
	steps := 3000
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		proto := 2
		if seed%2 == 0 {
			proto = 3
		}
		t.Run(fmt.Sprintf("seed%d-resp%d", seed, proto), func(t *testing.T) {
			d := &diffRun{
				t:      t,
				redis:  dialRaw(t, redisAddr),
				strata: dialRaw(t, ts.addr),
				ks:     ts.s.ks,
				gen:    newDiffGen(seed),
				kinds:  map[string]int{},
			}
			d.both("FLUSHALL")
			if proto == 3 {
				// The HELLO replies differ (server name, version, id).
				d.redis.mustDo(t, "HELLO", "3")
				d.strata.mustDo(t, "HELLO", "3")
			}
			for i := 0; i < steps && d.mismatches < 20; i++ {
				d.step(i)
			}
			d.both("SELECT", "0")
			t.Logf("replies by kind: %v", d.kinds)
		})
	}
}

type diffRun struct {
	t          *testing.T
	redis      *rawConn
	strata     *rawConn
	ks         *codec.Keyspace // Strata's, for its expiry cycle
	gen        *diffGen
	mismatches int
	kinds      map[string]int // reply kinds seen from Redis, for the log
	family     *diffFamily    // nil: the string and key commands only
	inMulti    bool           // between MULTI and EXEC (by Redis's replies)
	recent     []string       // the last commands sent, shown with a mismatch
	// stats, when set, compares INFO's keyspace_hits and keyspace_misses
	// after every step outside MULTI: their changes since the last check
	// must be the same on both servers (TestKeyspaceStatsAgainstRedis).
	stats      bool
	statsBase  [2][2]int64 // [redis, strata][hits, misses] at the last check
	statsWrong int
}

// diffFamily is a group of commands (one data type) that the differential
// test mixes into the string and key commands: TestDifferentialTypes runs
// one sub-test per registered family. Each type's test file registers its
// family in an init function.
type diffFamily struct {
	name string
	gen  func(g *diffGen) []string // one random command of the family
	// resync, if set, runs after each matching reply and may bring Strata
	// back to Redis's state where a command may legitimately leave them
	// different (SPOP removes random members).
	resync func(d *diffRun, args []string, want, got resp.Value)
}

var diffFamilies []*diffFamily

// inexactReply names the commands whose replies are compared by meaning
// (sameReply), which cannot be queued in a transaction by the test.
var inexactReply = map[string]bool{
	"randomkey": true, "keys": true, "scan": true, "ttl": true, "pttl": true,
	"expiretime": true, "pexpiretime": true, "dbsize": true,
}

// diffCompare holds, by lower-case command name, comparisons for replies
// that are equal in meaning but not byte for byte (unordered sets, random
// picks). Errors are always compared exactly.
var diffCompare = map[string]func(want, got resp.Value) bool{}

// sameUnordered compares two arrays as multisets of their elements.
func sameUnordered(want, got resp.Value) bool {
	if want.Kind != got.Kind || len(want.Elems) != len(got.Elems) {
		return want.String() == got.String()
	}
	a, b := make([]string, len(want.Elems)), make([]string, len(got.Elems))
	for i := range want.Elems {
		a[i], b[i] = want.Elems[i].String(), got.Elems[i].String()
	}
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestDifferentialTypes runs the differential test once per registered
// type family, mixing its commands with the key commands (DEL, RENAME,
// EXPIRE, TYPE, COPY, ...) and strings, so types collide (WRONGTYPE).
func TestDifferentialTypes(t *testing.T) {
	redisAddr := startRedis(t)
	ts := startServer(t, t.TempDir())
	// The full length under the race detector too: the shorter race run
	// once missed a SCAN bug that only showed after step 2400.
	steps := 4000
	for fi, fam := range diffFamilies {
		for _, proto := range []int{2, 3} {
			seed := uint64(100*fi + proto)
			t.Run(fmt.Sprintf("%s-resp%d", fam.name, proto), func(t *testing.T) {
				d := &diffRun{
					t:      t,
					redis:  dialRaw(t, redisAddr),
					strata: dialRaw(t, ts.addr),
					ks:     ts.s.ks,
					gen:    newDiffGen(seed),
					kinds:  map[string]int{},
					family: fam,
				}
				d.both("FLUSHALL")
				if proto == 3 {
					d.redis.mustDo(t, "HELLO", "3")
					d.strata.mustDo(t, "HELLO", "3")
				}
				for i := 0; i < steps && d.mismatches < 20; i++ {
					d.step(i)
				}
				d.both("SELECT", "0")
				t.Logf("replies by kind: %v", d.kinds)
			})
		}
	}
}

// both runs a setup command on both servers, which has to succeed.
func (d *diffRun) both(args ...string) {
	d.t.Helper()
	for _, c := range []*rawConn{d.redis, d.strata} {
		if v := c.mustDo(d.t, args...); v.Kind == resp.KindError {
			d.t.Fatalf("%q: %s", args, v)
		}
	}
}

func (d *diffRun) step(i int) {
	var args []string
	for {
		if d.family != nil && d.gen.r.IntN(10) < 7 {
			args = d.family.gen(d.gen)
		} else {
			args = d.gen.next()
		}
		// Inside MULTI replies come back inside EXEC's array and are
		// compared byte for byte: leave out random, unordered or
		// clock-dependent ones.
		n := strings.ToLower(args[0])
		if !d.inMulti || (!inexactReply[n] && diffCompare[n] == nil) {
			break
		}
	}
	name := strings.ToLower(args[0])
	if d.inMulti {
		name = "queued:" + name // compared as sent; SCAN and DBSIZE just queue
	}
	if name == "scan" && len(args) > 1 && args[1] == "0" {
		d.compareScan(i, args, 1, 1)
		d.rebaseStats()
		return
	}
	if (name == "sscan" || name == "hscan" || name == "zscan") && len(args) > 2 && args[2] == "0" {
		// Cursors differ (Redis's come from its hash tables): compare
		// what a full iteration returns.
		group := 1
		if name != "sscan" {
			group = 2 // field/member and value/score stay together
		}
		d.compareScan(i, args, 2, group)
		d.rebaseStats()
		return
	}
	if name == "dbsize" {
		// Both count a key whose expiry has passed until something
		// deletes it (in Redis, SET ... PXAT 1 leaves one), so delete
		// them first: Redis's SCAN deletes those it meets, Strata's
		// expiry cycle all of them.
		d.purgeExpired(d.redis)
		d.expireStrata()
	}
	d.recent = append(d.recent, quoteArgs(args))
	if len(d.recent) > 8 {
		d.recent = d.recent[1:]
	}
	want, err := d.redis.do(args...)
	if err != nil {
		d.t.Fatalf("step %d %q: redis: %v", i, args, err)
	}
	got, err := d.strata.do(args...)
	if err != nil {
		d.t.Fatalf("step %d %q: strata: %v (redis answered %s)", i, args, err, want)
	}
	kind := want.Kind.String()
	if isNull(want) {
		kind = "null"
	}
	d.kinds[kind]++
	if !sameReply(name, want, got) {
		d.mismatch(i, args, want.String(), got.String())
	} else if d.family != nil && d.family.resync != nil {
		d.family.resync(d, args, want, got)
	}
	// Track MULTI by Redis's replies (a mismatch has reset both servers).
	switch {
	case want.Kind == resp.KindSimpleString && want.Str == "QUEUED":
	case name == "multi" && want.Kind == resp.KindSimpleString:
		d.inMulti = true
	case strings.HasSuffix(name, "exec") || strings.HasSuffix(name, "discard") || strings.HasSuffix(name, "reset"):
		if want.Kind != resp.KindError || strings.HasPrefix(want.Str, "EXECABORT") {
			d.inMulti = false
		}
	}
	if name == "select" && want.Kind == resp.KindError && got.Kind != resp.KindError {
		d.both("SELECT", "0") // keep both on the same database
	}
	if d.stats && !d.inMulti {
		d.checkStats(i, args)
	}
}

// keyspaceStats reads keyspace_hits and keyspace_misses from INFO stats.
func keyspaceStats(t *testing.T, c *rawConn) [2]int64 {
	t.Helper()
	v := c.mustDo(t, "INFO", "stats")
	var out [2]int64
	for _, line := range strings.Split(v.Str, "\r\n") {
		for i, name := range []string{"keyspace_hits:", "keyspace_misses:"} {
			if s, ok := strings.CutPrefix(line, name); ok {
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					t.Fatalf("INFO %q: %v", line, err)
				}
				out[i] = n
			}
		}
	}
	return out
}

// rebaseStats starts the next comparison of keyspace hits and misses
// (stats) from where both servers stand, after a step that is not compared:
// a SCAN iterated to its end on both. HSCAN, SSCAN and ZSCAN count a lookup
// per call, and the two servers take different numbers of calls; SCAN's
// TYPE filter counts one per key it looks at, but Redis's SCAN may return
// a key twice while its table grows (TestScanTypeKeyspaceStats compares
// SCAN on a table that does not).
func (d *diffRun) rebaseStats() {
	if d.stats && !d.inMulti {
		d.statsBase = [2][2]int64{keyspaceStats(d.t, d.redis), keyspaceStats(d.t, d.strata)}
	}
}

// checkStats compares the changes of both servers' keyspace hits and
// misses since the last check (stats).
func (d *diffRun) checkStats(i int, args []string) {
	d.t.Helper()
	now := [2][2]int64{keyspaceStats(d.t, d.redis), keyspaceStats(d.t, d.strata)}
	var delta [2][2]int64
	for s := range 2 {
		for k := range 2 {
			delta[s][k] = now[s][k] - d.statsBase[s][k]
		}
	}
	d.statsBase = now
	if delta[0] != delta[1] {
		d.statsWrong++
		d.t.Errorf("step %d: %s: keyspace hits/misses redis +%d/+%d, strata +%d/+%d\n  after: %s",
			i, quoteArgs(args), delta[0][0], delta[0][1], delta[1][0], delta[1][1], strings.Join(d.recent, " | "))
	}
}

// purgeExpired runs a full SCAN, which makes Redis delete expired keys.
// expireStrata runs Strata's active expiry until nothing is due.
func (d *diffRun) expireStrata() {
	for {
		_, examined, err := d.ks.ExpireRound(time.Now(), 1000)
		if err != nil {
			d.t.Fatal(err)
		}
		if examined < 1000 {
			return
		}
	}
}

func (d *diffRun) purgeExpired(c *rawConn) {
	for cursor := "0"; ; {
		v := c.mustDo(d.t, "SCAN", cursor, "COUNT", "100")
		if v.Kind != resp.KindArray || len(v.Elems) != 2 {
			d.t.Fatalf("SCAN: %s", v)
		}
		if cursor = v.Elems[0].Str; cursor == "0" {
			return
		}
	}
}

func (d *diffRun) mismatch(i int, args []string, want, got string) {
	d.t.Helper()
	d.mismatches++
	d.t.Errorf("step %d: %s\n  redis:  %s\n  strata: %s\n  after: %s", i, quoteArgs(args), want, got, strings.Join(d.recent, " | "))
	d.redis.do("DISCARD")
	d.strata.do("DISCARD")
	d.inMulti = false
	d.both("FLUSHALL")
}

// compareScan iterates SCAN to the end on both servers with the same
// options and compares the sets of keys returned.
func (d *diffRun) compareScan(i int, args []string, cursorArg, group int) {
	collect := func(c *rawConn) (string, []string) {
		seen := map[string]bool{}
		cursor := "0"
		for n := 0; ; n++ {
			a := slices.Clone(args)
			a[cursorArg] = cursor
			v := c.mustDo(d.t, a...)
			if v.Kind == resp.KindError {
				return v.String(), nil
			}
			if v.Kind != resp.KindArray || len(v.Elems) != 2 || n > 100000 {
				return "malformed: " + v.String(), nil
			}
			items := v.Elems[1].Elems
			for j := 0; j+group <= len(items); j += group {
				var parts []string
				for _, it := range items[j : j+group] {
					parts = append(parts, it.String())
				}
				seen[strings.Join(parts, "=")] = true
			}
			cursor = v.Elems[0].Str
			if cursor == "0" {
				break
			}
		}
		keys := make([]string, 0, len(seen))
		for k := range seen {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return "", keys
	}
	werr, want := collect(d.redis)
	gerr, got := collect(d.strata)
	if werr != gerr || !slices.Equal(want, got) {
		d.mismatch(i, args, werr+fmt.Sprint(want), gerr+fmt.Sprint(got))
	}
}

// sameReply compares two replies to command name.
func sameReply(name string, want, got resp.Value) bool {
	if cmp, ok := diffCompare[name]; ok && !strings.HasPrefix(name, "queued:") {
		if want.Kind == resp.KindError || got.Kind == resp.KindError {
			return want.String() == got.String()
		}
		return cmp(want, got)
	}
	switch name {
	case "ttl", "expiretime":
		return closeInts(want, got, 2)
	case "pttl", "pexpiretime":
		return closeInts(want, got, 2000)
	case "keys":
		if want.Kind != got.Kind || want.Kind == resp.KindError {
			return want.String() == got.String()
		}
		return slices.Equal(sortedStrs(want.Elems), sortedStrs(got.Elems))
	case "randomkey":
		if want.Kind == resp.KindError || got.Kind == resp.KindError {
			return want.String() == got.String()
		}
		return isNull(want) == isNull(got)
	}
	return want.String() == got.String()
}

func isNull(v resp.Value) bool { return v.Kind == resp.KindNull || v.Nil }

// closeInts accepts integers within tol of each other when both are
// times (>= 0); the special negative replies (-1, -2) must be equal.
func closeInts(want, got resp.Value, tol int64) bool {
	if want.Kind != resp.KindInteger || got.Kind != resp.KindInteger || want.Int < 0 || got.Int < 0 {
		return want.String() == got.String()
	}
	diff := want.Int - got.Int
	return diff >= -tol && diff <= tol
}

func sortedStrs(vs []resp.Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Str
	}
	slices.Sort(out)
	return out
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, " ")
}

// diffGen generates random commands over a small key and value space.
type diffGen struct {
	r *rand.Rand
	// rel is the next relative expiry in seconds: unique and rising, so
	// two relative expiries never compare equal on one server and unequal
	// on the other.
	rel int64
	// absBase is a Unix time far beyond every relative expiry; absolute
	// expiries are absBase plus a small offset, identical on both servers.
	absBase int64
}

func newDiffGen(seed uint64) *diffGen {
	return &diffGen{
		r:       rand.New(rand.NewPCG(seed, seed*0x9e3779b97f4a7c15)),
		rel:     1000,
		absBase: time.Now().Unix() + 10_000_000,
	}
}

var diffValues = []string{
	"", "0", "1", "-1", "42", "007", "3.5", "-0.25", "1e3", "1.5e-3", "abc", "hello world", "10.00",
	"9223372036854775807", "-9223372036854775808", "9223372036854775808", " 1", "1 ", "+1", "0x10",
	"inf", "-inf", "nan", "\x00bin\xff", "ab\r\ncd", "5.0e400", "17", "abcdef", "bcd",
}

var diffPatterns = []string{"*", "k*", "k[0-3]", "k?", "*1", "[^k]*", "k\\*", "", "x*", "k[a-", "?", "k[!2]"}

func (g *diffGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *diffGen) key() string {
	if g.r.IntN(20) == 0 {
		return g.pick("", "x", "k\x00", "K0")
	}
	return "k" + strconv.Itoa(g.r.IntN(6))
}

func (g *diffGen) val() string {
	if g.r.IntN(3) == 0 {
		return strconv.Itoa(g.r.IntN(200) - 100)
	}
	return diffValues[g.r.IntN(len(diffValues))]
}

func (g *diffGen) intArg() string {
	if g.r.IntN(6) == 0 {
		return g.pick("abc", "1.5", "", "9223372036854775807", "-9223372036854775808",
			"9223372036854775808", " 3", "+3", "0x1", "-0")
	}
	return strconv.Itoa(g.r.IntN(40) - 20)
}

func (g *diffGen) floatArg() string {
	if g.r.IntN(3) == 0 {
		return g.pick("abc", "inf", "-inf", "nan", "1e308", "1.7976931348623157e308", "", "0x10", " 1",
			"1e-320", "5e-324", "3.0", ".5", "5.", "-0", "1e", "+2.5")
	}
	return strconv.FormatFloat(g.r.Float64()*200-100, 'f', g.r.IntN(5), 64)
}

// relSeconds returns the next unique relative expiry in seconds.
func (g *diffGen) relSeconds() int64 {
	g.rel += 10
	return g.rel
}

// expiryOption returns an expiry option for SET or GETEX, or nil.
func (g *diffGen) expiryOption(allowKeepTTL bool) []string {
	switch g.r.IntN(9) {
	case 0:
		return []string{"EX", strconv.FormatInt(g.relSeconds(), 10)}
	case 1:
		return []string{"PX", strconv.FormatInt(g.relSeconds()*1000+int64(g.r.IntN(1000)), 10)}
	case 2:
		return []string{"EXAT", strconv.FormatInt(g.absBase+int64(g.r.IntN(50)), 10)}
	case 3:
		return []string{"PXAT", strconv.FormatInt((g.absBase+int64(g.r.IntN(50)))*1000+int64(g.r.IntN(1000)), 10)}
	case 4:
		// Bad values: zero, negative, not an integer, overflow, and a
		// time in the past.
		// No small positive relative time: a key expiring during the run
		// would expire at a different step on each server.
		if r := g.r.IntN(4); r == 0 {
			return []string{g.pick("EXAT", "PXAT"), "1"}
		}
		return []string{g.pick("EX", "PX", "EXAT", "PXAT", "ex"), g.pick("0", "-1", "abc", "9223372036854775807",
			"9223372036854775", "1.5", "", "+5", "-0")}
	case 5:
		if allowKeepTTL {
			return []string{"KEEPTTL"}
		}
		return []string{"PERSIST"}
	}
	return nil
}

// expireArgs returns the time argument and options of EXPIRE-like command
// name.
func (g *diffGen) expireArgs(name string) []string {
	var v string
	switch {
	case g.r.IntN(8) == 0:
		v = g.pick("0", "-1", "-100", "abc", "", "9223372036854775807", "-9223372036854775808",
			"9223372036854775", "1.5", "-9223372036854775")
	case name == "expire":
		v = strconv.FormatInt(g.relSeconds(), 10)
	case name == "pexpire":
		v = strconv.FormatInt(g.relSeconds()*1000+int64(g.r.IntN(1000)), 10)
	case name == "expireat":
		if g.r.IntN(6) == 0 {
			v = strconv.Itoa(g.r.IntN(1000)) // in the past: deletes the key
		} else {
			v = strconv.FormatInt(g.absBase+int64(g.r.IntN(50)), 10)
		}
	default: // pexpireat
		v = strconv.FormatInt((g.absBase+int64(g.r.IntN(50)))*1000+int64(g.r.IntN(1000)), 10)
	}
	out := []string{name, g.key(), v}
	for n := g.r.IntN(4); n > 0 && g.r.IntN(2) == 0; n-- {
		out = append(out, g.pick("NX", "XX", "GT", "LT", "nx", "gt", "bogus"))
	}
	if len(out) == 3 && g.r.IntN(2) == 0 {
		out = append(out, g.pick("NX", "XX", "GT", "LT"))
	}
	return out
}

func (g *diffGen) next() []string {
	r := g.r
	switch r.IntN(46) {
	case 0, 1, 2:
		a := []string{"SET", g.key(), g.val()}
		if r.IntN(3) == 0 {
			a = append(a, g.pick("NX", "XX", "nx", "xx"))
		}
		if r.IntN(4) == 0 {
			a = append(a, "GET")
		}
		a = append(a, g.expiryOption(true)...)
		if r.IntN(15) == 0 {
			a = append(a, g.pick("NX", "XX", "GET", "KEEPTTL", "EX", "bogus", "PX", "10"))
		}
		if r.IntN(20) == 0 { // shuffle: options are order-independent
			r.Shuffle(len(a)-3, func(i, j int) { a[3+i], a[3+j] = a[3+j], a[3+i] })
		}
		return a
	case 3, 4:
		return []string{"GET", g.key()}
	case 5:
		return []string{"SETNX", g.key(), g.val()}
	case 6:
		if r.IntN(4) == 0 {
			return []string{g.pick("SETEX", "PSETEX"), g.key(), g.pick("0", "-5", "abc", "9223372036854775807", "1.5"), g.val()}
		}
		if r.IntN(2) == 0 {
			return []string{"SETEX", g.key(), strconv.FormatInt(g.relSeconds(), 10), g.val()}
		}
		return []string{"PSETEX", g.key(), strconv.FormatInt(g.relSeconds()*1000, 10), g.val()}
	case 7:
		return []string{"GETSET", g.key(), g.val()}
	case 8:
		return []string{"GETDEL", g.key()}
	case 9:
		a := append([]string{"GETEX", g.key()}, g.expiryOption(false)...)
		if r.IntN(10) == 0 {
			a = append(a, g.pick("PERSIST", "EX", "bogus", "KEEPTTL"))
		}
		return a
	case 10:
		a := []string{"MGET"}
		for n := r.IntN(5) + 1; n > 0; n-- {
			a = append(a, g.key())
		}
		return a
	case 11:
		a := []string{g.pick("MSET", "MSETNX")}
		for n := r.IntN(3) + 1; n > 0; n-- {
			a = append(a, g.key(), g.val())
		}
		if r.IntN(10) == 0 {
			a = append(a, g.key()) // odd: wrong number of arguments
		}
		return a
	case 12:
		return []string{"APPEND", g.key(), g.val()}
	case 13:
		return []string{"STRLEN", g.key()}
	case 14:
		return []string{g.pick("GETRANGE", "SUBSTR"), g.key(), g.intArg(), g.intArg()}
	case 15:
		off := strconv.Itoa(r.IntN(30))
		if r.IntN(8) == 0 {
			off = g.pick("-1", "abc", "536870912", "536870911", "9223372036854775807")
		}
		v := g.val()
		if off == "536870911" {
			v = "" // a large offset with an empty value does not grow the string
		}
		return []string{"SETRANGE", g.key(), off, v}
	case 16, 17:
		return []string{g.pick("INCR", "DECR"), g.key()}
	case 18:
		return []string{g.pick("INCRBY", "DECRBY"), g.key(), g.intArg()}
	case 19:
		return []string{"INCRBYFLOAT", g.key(), g.floatArg()}
	case 20:
		a := []string{"LCS", g.key(), g.key()}
		for n := r.IntN(3); n > 0; n-- {
			switch r.IntN(6) {
			case 0:
				a = append(a, "LEN")
			case 1, 2:
				a = append(a, "IDX")
			case 3:
				a = append(a, "WITHMATCHLEN")
			case 4:
				a = append(a, "MINMATCHLEN", g.pick("0", "1", "2", "-1", "abc"))
			case 5:
				a = append(a, g.pick("bogus", "MINMATCHLEN"))
			}
		}
		return a
	case 21, 22:
		a := []string{g.pick("DEL", "UNLINK", "EXISTS", "TOUCH")}
		for n := r.IntN(3) + 1; n > 0; n-- {
			a = append(a, g.key())
		}
		return a
	case 23:
		return []string{"TYPE", g.key()}
	case 24, 25, 26:
		return g.expireArgs(g.pick("expire", "pexpire", "expireat", "pexpireat"))
	case 27, 28:
		return []string{g.pick("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"), g.key()}
	case 29:
		return []string{"PERSIST", g.key()}
	case 30:
		return []string{"KEYS", g.pick(diffPatterns...)}
	case 31:
		a := []string{"SCAN", "0"}
		if r.IntN(2) == 0 {
			a = append(a, "MATCH", g.pick(diffPatterns...))
		}
		if r.IntN(2) == 0 {
			a = append(a, "COUNT", g.pick("1", "2", "3", "10", "1000"))
		}
		if r.IntN(4) == 0 {
			a = append(a, "TYPE", g.pick("string", "STRING", "hash", "bogus")) // not "none": it lists keys expired but not yet deleted, which depends on timing
		}
		if r.IntN(10) == 0 { // error paths
			switch r.IntN(5) {
			case 0:
				a = append(a, "COUNT", g.pick("0", "-1", "abc"))
			case 1:
				a = append(a, "MATCH")
			case 2:
				a = append(a, "BOGUS", "1")
			case 3:
				a[1] = g.pick("abc", "18446744073709551616", " 1", "1.5")
			case 4:
				a = append(a, "COUNT")
			}
		}
		r.Shuffle((len(a)-2)/2, func(i, j int) {
			a[2+2*i], a[2+2*j] = a[2+2*j], a[2+2*i]
			a[3+2*i], a[3+2*j] = a[3+2*j], a[3+2*i]
		})
		return a
	case 32:
		return []string{"DBSIZE"}
	case 33:
		if r.IntN(5) == 0 {
			return []string{"SELECT", g.pick("16", "-1", "abc", "1.0", "", "4294967296", " 1")}
		}
		if r.IntN(3) == 0 {
			// SWAPDB moves whole databases under the client's feet.
			if r.IntN(4) == 0 {
				return []string{"SWAPDB", g.pick("0", "16", "-1", "x"), g.pick("1", "abc", "")}
			}
			return []string{"SWAPDB", strconv.Itoa(r.IntN(3)), strconv.Itoa(r.IntN(3))}
		}
		if r.IntN(4) == 0 {
			// Entries depend on timing: compare what does not.
			return g.pick2([]string{"SLOWLOG", "RESET"}, []string{"SLOWLOG", "GET", g.pick("abc", "1.5", "")},
				[]string{"SLOWLOG", "bogus"}, []string{"SLOWLOG"}, []string{"SLOWLOG", "LEN", "x"},
				[]string{"SLOWLOG", g.pick("GET", "get"), "1", "2"})
		}
		return []string{"SELECT", strconv.Itoa(r.IntN(3))}
	case 34:
		if r.IntN(10) == 0 {
			return []string{"FLUSHALL"}
		}
		if r.IntN(4) == 0 {
			return []string{"FLUSHDB", g.pick("ASYNC", "SYNC", "sync", "bogus")}
		}
		return []string{"FLUSHDB"}
	case 35:
		return []string{g.pick("RENAME", "RENAMENX"), g.key(), g.key()}
	case 36:
		a := []string{"COPY", g.key(), g.key()}
		if r.IntN(2) == 0 {
			a = append(a, "DB", g.pick("0", "1", "2", "16", "-1", "abc"))
		}
		if r.IntN(2) == 0 {
			a = append(a, "REPLACE")
		}
		if r.IntN(15) == 0 {
			a = append(a, g.pick("bogus", "DB"))
		}
		return a
	case 37:
		return []string{"MOVE", g.key(), g.pick("0", "1", "2", "16", "-1", "abc")}
	case 38:
		return []string{"RANDOMKEY"}
	case 39:
		return g.pick2([]string{"PING"}, []string{"PING", g.val()}, []string{"ECHO", g.val()})
	case 40, 41:
		return g.wrongArity()
	case 42:
		// Not "SET\x00": Redis hashes the name with its NUL but compares
		// it with strcasecmp, so it is found as SET only when the hashes
		// happen to share a bucket (which depends on the process's seed).
		a := []string{g.pick("notacommand", "GETT", "hgetall-x", "", "x\x00y", "get ", "x\r\ny", strings.Repeat("c", 140))}
		for n := r.IntN(4); n > 0; n-- {
			if r.IntN(4) == 0 {
				a = append(a, strings.Repeat(g.pick("a", "b"), r.IntN(140)))
			} else {
				a = append(a, g.val())
			}
		}
		return a
	case 43:
		// Integer parsing of the counter's stored value.
		return []string{"SET", g.key(), g.pick("9223372036854775807", "-9223372036854775808", "1e10", "00", "-0", "12 ")}
	case 44:
		if r.IntN(2) == 0 {
			return []string{"GETEX", g.key(), g.pick("EXAT", "PXAT"), g.pick("1", "0", "-1", "abc")} // 1: in the past
		}
		return []string{"GETEX", g.key(), g.pick("EX", "PX"), g.pick("0", "-1", "abc", "9223372036854775807")}
	default:
		return []string{"EXISTS", g.key()}
	}
}

func (g *diffGen) pick2(xs ...[]string) []string { return xs[g.r.IntN(len(xs))] }

// wrongArity returns a command with a wrong number of arguments (or a
// handler-checked one).
func (g *diffGen) wrongArity() []string {
	k := g.key()
	return g.pick2(
		[]string{"GET"}, []string{"GET", k, k}, []string{"SET", k}, []string{"SETNX", k},
		[]string{"SETEX", k, "10"}, []string{"GETDEL"}, []string{"GETEX"}, []string{"MGET"},
		[]string{"MSET", k}, []string{"MSET", k, "v", k}, []string{"MSETNX", k, "v", k},
		[]string{"APPEND", k}, []string{"STRLEN"}, []string{"GETRANGE", k, "0"}, []string{"SETRANGE", k, "0"},
		[]string{"INCR"}, []string{"INCRBY", k}, []string{"INCRBYFLOAT", k, "1", "2"}, []string{"LCS", k},
		[]string{"DEL"}, []string{"EXISTS"}, []string{"TYPE"}, []string{"EXPIRE", k}, []string{"TTL", k, k},
		[]string{"PERSIST"}, []string{"KEYS"}, []string{"KEYS", "*", "*"}, []string{"SCAN"},
		[]string{"RANDOMKEY", k}, []string{"RENAME", k}, []string{"COPY", k}, []string{"MOVE", k},
		[]string{"DBSIZE", k}, []string{"SELECT"}, []string{"FLUSHDB", "ASYNC", "SYNC"}, []string{"PING", "a", "b"},
		[]string{"ECHO"}, []string{"ECHO", "a", "b"}, []string{"set"}, []string{"GETSET", k},
		[]string{"PSETEX", k, "100"}, []string{"DECRBY", k}, []string{"EXPIREAT", k},
		[]string{"PEXPIRETIME"}, []string{"UNLINK"}, []string{"TOUCH"}, []string{"SUBSTR", k, "1"},
	)
}

// TestKeyspaceStatsAgainstRedis runs the differential test's random
// command sequences, every family's, and after each command outside MULTI
// requires INFO's keyspace_hits and keyspace_misses to have changed as
// Redis's did: which commands count a key lookup, and as a hit or a miss.
func TestKeyspaceStatsAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ts := startServer(t, t.TempDir())
	families := append([]*diffFamily{nil}, diffFamilies...)
	for fi, fam := range families {
		name := "strings"
		if fam != nil {
			name = fam.name
		}
		t.Run(name, func(t *testing.T) {
			d := &diffRun{
				t:      t,
				redis:  dialRaw(t, redisAddr),
				strata: dialRaw(t, ts.addr),
				ks:     ts.s.ks,
				gen:    newDiffGen(uint64(1000 + fi)),
				kinds:  map[string]int{},
				family: fam,
				stats:  true,
			}
			d.both("FLUSHALL")
			d.statsBase = [2][2]int64{keyspaceStats(t, d.redis), keyspaceStats(t, d.strata)}
			for i := 0; i < 1500 && d.mismatches+d.statsWrong < 20; i++ {
				d.step(i)
			}
			d.both("SELECT", "0")
		})
	}
}

// TestScanTypeKeyspaceStats compares the keyspace hits and misses SCAN
// counts with Redis 7.0's: with TYPE, a lookup of every key that passed
// MATCH; without, none. Three keys, so that Redis's table does not grow
// (and rehash) under the scans.
func TestScanTypeKeyspaceStats(t *testing.T) {
	redisAddr := startRedis(t)
	ts := startServer(t, t.TempDir())
	conns := []*rawConn{dialRaw(t, redisAddr), dialRaw(t, ts.addr)}
	for _, c := range conns {
		for _, cmd := range [][]string{{"FLUSHALL"}, {"SET", "a", "1"}, {"HSET", "h", "f", "v"},
			{"RPUSH", "l", "x"}} {
			if v := c.mustDo(t, cmd...); v.Kind == resp.KindError {
				t.Fatalf("%q: %s", cmd, v)
			}
		}
	}
	for _, cmd := range [][]string{
		{"SCAN", "0", "COUNT", "1000"},
		{"SCAN", "0", "TYPE", "string", "COUNT", "1000"},
		{"SCAN", "0", "MATCH", "h*", "TYPE", "hash", "COUNT", "1000"},
		{"SCAN", "0", "MATCH", "z*", "TYPE", "list", "COUNT", "1000"},
		{"SCAN", "0", "MATCH", "[al]", "TYPE", "none", "COUNT", "1000"},
	} {
		var delta [2][2]int64
		for i, c := range conns {
			before := keyspaceStats(t, c)
			c.mustDo(t, cmd...)
			after := keyspaceStats(t, c)
			delta[i] = [2]int64{after[0] - before[0], after[1] - before[1]}
		}
		if delta[0] != delta[1] {
			t.Errorf("%q: keyspace hits/misses redis +%d/+%d, strata +%d/+%d",
				cmd, delta[0][0], delta[0][1], delta[1][0], delta[1][1])
		}
	}
}
