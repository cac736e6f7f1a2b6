package codec

import (
	"errors"
	"math"
	"sync"
	"testing"
)

func (f *fixture) zadd(k string, pairs ...any) {
	f.t.Helper()
	var scores []float64
	var members [][]byte
	for i := 0; i < len(pairs); i += 2 {
		scores = append(scores, pairs[i].(float64))
		members = append(members, b(pairs[i+1].(string)))
	}
	if _, err := f.db.ZAdd(b(k), ZAddOptions{}, scores, members); err != nil {
		f.t.Fatal(err)
	}
}

// zall returns "member:score" of every member in order.
func (f *fixture) zall(k string) []zent {
	f.t.Helper()
	members, scores, err := f.db.ZRange(b(k), ZRangeSpec{By: ZByRank, Start: 0, Stop: -1})
	if err != nil {
		f.t.Fatal(err)
	}
	return toZents(members, scores)
}

func TestZAddNegativeZeroAndIncr(t *testing.T) {
	f := newFixture(t)
	negZero := math.Copysign(0, -1)
	res, err := f.db.ZAdd(b("z"), ZAddOptions{Incr: true}, []float64{negZero}, [][]byte{b("m")})
	if err != nil || !math.Signbit(res.Score) || res.Added != 1 {
		t.Fatalf("ZADD INCR -0 m = %+v, %v; want the reply -0, as Redis gives", res, err)
	}
	s, found, err := f.db.ZScore(b("z"), b("m"))
	if err != nil || !found || math.Signbit(s) {
		t.Fatalf("ZSCORE = %v, %v, %v; want +0 stored", s, found, err)
	}
	if _, err := f.db.ZIncrBy(b("z"), b("m"), math.Inf(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ZIncrBy(b("z"), b("m"), math.Inf(-1)); !errors.Is(err, ErrScoreNaN) {
		t.Fatalf("inf + -inf: %v, want ErrScoreNaN", err)
	}
	if s, _, _ := f.db.ZScore(b("z"), b("m")); !math.IsInf(s, 1) {
		t.Fatalf("the NaN increment changed the score to %v", s)
	}
	// XX on a missing key creates nothing; GT INCR that would lower is not processed.
	res, err = f.db.ZAdd(b("y"), ZAddOptions{XX: true}, []float64{1}, [][]byte{b("a")})
	if err != nil || res.Processed || f.familyCount(FamilyMeta) != 1 {
		t.Fatalf("ZADD XX on a missing key: %+v, %v, %d keys", res, err, f.familyCount(FamilyMeta))
	}
	f.zadd("g", 5.0, "a")
	res, err = f.db.ZAdd(b("g"), ZAddOptions{GT: true, Incr: true}, []float64{-1}, [][]byte{b("a")})
	if err != nil || res.Processed {
		t.Fatalf("ZADD GT INCR -1: %+v, %v; want not processed", res, err)
	}
}

func TestZSetWrongTypeAndExpiry(t *testing.T) {
	f := newFixture(t)
	f.set("s", "v")
	if _, err := f.db.ZAdd(b("s"), ZAddOptions{}, []float64{1}, [][]byte{b("a")}); !errors.Is(err, ErrWrongType) {
		t.Fatalf("ZADD on a string: %v", err)
	}
	if _, _, err := f.db.ZRange(b("s"), ZRangeSpec{Stop: -1}); !errors.Is(err, ErrWrongType) {
		t.Fatalf("ZRANGE on a string: %v", err)
	}
	// ZMPOP reports WRONGTYPE only for a wrong key before the first sorted set.
	f.zadd("z", 1.0, "a", 2.0, "b")
	if _, _, _, err := f.db.ZMPop([][]byte{b("s"), b("z")}, false, 1); !errors.Is(err, ErrWrongType) {
		t.Fatalf("ZMPOP s z: %v", err)
	}
	key, members, _, err := f.db.ZMPop([][]byte{b("none"), b("z"), b("s")}, true, 5)
	if err != nil || string(key) != "z" || !keysEqual(members, "b", "a") {
		t.Fatalf("ZMPOP none z s MAX 5 = %q %q %v", key, members, err)
	}
	if n := f.familyCount(FamilyData); n != 0 {
		t.Fatalf("%d data keys left after popping everything", n)
	}
	// An expired sorted set is absent for reads and replaced by writes.
	f.zadd("e", 1.0, "a")
	if _, err := f.db.Expire(b("e"), t0+10, 0); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(20)
	if n, err := f.db.ZCard(b("e")); n != 0 || err != nil {
		t.Fatalf("ZCARD of an expired key = %d, %v", n, err)
	}
	f.zadd("e", 2.0, "b")
	if got := f.zall("e"); len(got) != 1 || got[0].member != "b" {
		t.Fatalf("after re-adding: %v", got)
	}
	f.checkIndex()
}

func TestZStoreReplacesDestination(t *testing.T) {
	f := newFixture(t)
	f.zadd("a", 1.0, "x", 2.0, "y")
	f.set("dst", "string")
	if _, err := f.db.Expire(b("dst"), t0+1000, 0); err != nil {
		t.Fatal(err)
	}
	n, err := f.db.ZSetOpStore(b("dst"), [][]byte{b("a"), b("a")}, ZSetOpOptions{Op: ZUnion})
	if err != nil || n != 2 {
		t.Fatalf("ZUNIONSTORE = %d, %v", n, err)
	}
	if ttl := f.pttl("dst"); ttl != -1 {
		t.Fatalf("the destination kept a TTL: %d", ttl)
	}
	if got := f.zall("dst"); len(got) != 2 || got[0].score != 2 || got[1].score != 4 {
		t.Fatalf("dst = %v", got)
	}
	// The destination as a source, and an empty result deleting it.
	if n, err = f.db.ZSetOpStore(b("a"), [][]byte{b("a"), b("dst")}, ZSetOpOptions{Op: ZDiff}); err != nil || n != 0 {
		t.Fatalf("ZDIFFSTORE a a dst = %d, %v", n, err)
	}
	if typ, _ := f.db.Type(b("a")); typ != "none" {
		t.Fatalf("an empty result left a %s", typ)
	}
	if n, err = f.db.ZRangeStore(b("dst"), b("dst"), ZRangeSpec{By: ZByRank, Start: 1, Stop: 1}); err != nil || n != 1 {
		t.Fatalf("ZRANGESTORE dst dst 1 1 = %d, %v", n, err)
	}
	if got := f.zall("dst"); len(got) != 1 || got[0].member != "y" {
		t.Fatalf("dst = %v", got)
	}
	if n := f.familyCount(FamilyData); n != 2 {
		t.Fatalf("%d data keys stored, want 2 (one member, two families)", n)
	}
	f.checkIndex()
}

func TestZSetCopyRenameKeepIndex(t *testing.T) {
	f := newFixture(t)
	f.zadd("z", 3.0, "c", 1.0, "a", 2.0, "b")
	if ok, err := f.db.Copy(b("z"), b("c"), 1, false); !ok || err != nil {
		t.Fatalf("COPY: %v %v", ok, err)
	}
	if err := f.db.Rename(b("z"), b("r")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*DB{f.db, f.ks.DB(1)} {
		k := "r"
		if d != f.db {
			k = "c"
		}
		members, _, err := d.ZRange(b(k), ZRangeSpec{By: ZByScore, Score: ScoreRange{Min: 2, Max: math.Inf(1)}})
		if err != nil || !keysEqual(members, "b", "c") {
			t.Fatalf("db %d %s by score: %q %v", d.num, k, members, err)
		}
		if r, ok, err := d.ZRank(b(k), b("c"), false); r != 2 || !ok || err != nil {
			t.Fatalf("ZRANK = %d %v %v", r, ok, err)
		}
	}
}

func TestZScanAndRandMember(t *testing.T) {
	f := newFixture(t)
	f.zadd("z", 0.1, "a", math.Inf(-1), "b", 3.0, "c")
	res, err := f.db.ZScan(b("z"), 0, nil, 10)
	if err != nil || res.Cursor != 0 || !keysEqual(res.Items, "a", "0.10000000000000001", "b", "-inf", "c", "3") {
		t.Fatalf("ZSCAN = %+v %v", res, err)
	}
	members, scores, err := f.db.ZRandMember(b("z"), -7)
	if err != nil || len(members) != 7 || len(scores) != 7 {
		t.Fatalf("ZRANDMEMBER -7: %d members, %v", len(members), err)
	}
	for i, m := range members {
		if s, _, _ := f.db.ZScore(b("z"), m); s != scores[i] {
			t.Fatalf("random member %q came with score %v, has %v", m, scores[i], s)
		}
	}
	if members, _, _ = f.db.ZRandMember(b("z"), 5); len(members) != 3 {
		t.Fatalf("ZRANDMEMBER 5 of 3 gave %d", len(members))
	}
}

// TestZRangeLexSeek checks the lex ranges of a one-score sorted set, where
// they seek: a member that extends the bound ("ab" after "a") is inside an
// exclusive lower bound.
func TestZRangeLexSeek(t *testing.T) {
	f := newFixture(t)
	f.zadd("z", 0.0, "a", 0.0, "ab", 0.0, "b", 0.0, "c", 0.0, "")
	for _, c := range []struct {
		min, max string
		rev      bool
		want     []string
	}{
		{"(a", "[b", false, []string{"ab", "b"}},
		{"-", "(ab", false, []string{"", "a"}},
		{"[b", "+", true, []string{"c", "b"}},
		{"(", "[a", false, []string{"a"}},
		{"[", "[", false, []string{""}},
		{"+", "-", false, nil},
		{"(c", "+", false, nil},
	} {
		lo, _ := ParseLexBound(b(c.min))
		hi, _ := ParseLexBound(b(c.max))
		members, _, err := f.db.ZRange(b("z"), ZRangeSpec{By: ZByLex, Lex: LexRange{Min: lo, Max: hi}, Rev: c.rev})
		if err != nil || !keysEqual(members, c.want...) {
			t.Errorf("%s %s rev=%v: %q, %v; want %q", c.min, c.max, c.rev, members, err, c.want)
		}
	}
	if _, ok := ParseLexBound(b("a")); ok {
		t.Error("a bound without [ or ( was accepted")
	}
	if _, ok := ParseLexBound(b("+x")); ok {
		t.Error("+x was accepted")
	}
}

// TestZSetOpReadsOneSnapshot runs a writer that increments a's member and
// then copies a into b (ZRANGESTORE, a new incarnation of b), while
// readers intersect a and b with weights 1 and -1: a reading of one state
// always finds the member in both, a's score 0 or 1 above b's. Reads of
// a and b at different times would see b's old incarnation gone, or b
// ahead of a.
func TestZSetOpReadsOneSnapshot(t *testing.T) {
	f := newFixture(t)
	f.zadd("a", 0.0, "m")
	f.zadd("b", 0.0, "m")
	done := make(chan struct{})
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := f.db.ZIncrBy(b("a"), b("m"), 1); err != nil {
				t.Error(err)
				return
			}
			if _, err := f.db.ZRangeStore(b("b"), b("a"), ZRangeSpec{By: ZByRank, Start: 0, Stop: -1}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for range 3000 {
				for _, op := range []ZSetOp{ZInter, ZUnion} {
					members, scores, err := f.db.ZSetOp(bs("a", "b"), ZSetOpOptions{Op: op, Weights: []float64{1, -1}})
					if err != nil || len(members) != 1 || (scores[0] != 0 && scores[0] != 1) {
						t.Errorf("op %d saw %q %v: %v", op, members, scores, err)
						return
					}
				}
				if n, err := f.db.ZInterCard(bs("b", "a"), 0); err != nil || n != 1 {
					t.Errorf("ZINTERCARD saw %d: %v", n, err)
					return
				}
			}
		}()
	}
	readers.Wait()
	close(done)
	writer.Wait()
}
