package codec

import (
	"bytes"

	"github.com/strata-db/strata/internal/base"
)

// Sorted-set ranges: by rank, by score and by member (lex), forwards or
// reversed, with LIMIT, all walking the subScore family (score | member).

// ScoreRange is an interval of scores, each end inclusive unless marked
// exclusive ("(" in Redis's syntax; see ParseScoreBound).
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// empty reports the intervals that can hold nothing (zslIsInRange).
func (r *ScoreRange) empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

// LexBound is one end of a lex interval: "-" (Inf -1, below every member),
// "+" (Inf +1, above every member), or a member, inclusive ("[m") or
// exclusive ("(m").
type LexBound struct {
	Inf       int
	Value     []byte
	Exclusive bool
}

// LexRange is a ZRANGEBYLEX interval.
type LexRange struct {
	Min, Max LexBound
}

// ParseLexBound parses "-", "+", "[member" or "(member" as Redis's
// zslParseLexRangeItem does ("-" and "+" are read as C strings, so a NUL
// may follow them).
func ParseLexBound(b []byte) (LexBound, bool) {
	if len(b) == 0 {
		return LexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 {
			return LexBound{}, false
		}
		inf := 1
		if b[0] == '-' {
			inf = -1
		}
		return LexBound{Inf: inf, Exclusive: true}, true
	case '(':
		return LexBound{Value: b[1:], Exclusive: true}, true
	case '[':
		return LexBound{Value: b[1:]}, true
	}
	return LexBound{}, false
}

// lexCmp compares a member with a bound (Redis's sdscmplex).
func lexCmp(member []byte, b *LexBound) int {
	switch {
	case b.Inf < 0:
		return 1
	case b.Inf > 0:
		return -1
	}
	return bytes.Compare(member, b.Value)
}

func boundCmp(a, b *LexBound) int {
	switch {
	case a.Inf != 0 && a.Inf == b.Inf:
		return 0
	case a.Inf < 0 || b.Inf > 0:
		return -1
	case a.Inf > 0 || b.Inf < 0:
		return 1
	}
	return bytes.Compare(a.Value, b.Value)
}

func (r *LexRange) empty() bool {
	c := boundCmp(&r.Min, &r.Max)
	return c > 0 || (c == 0 && (r.Min.Exclusive || r.Max.Exclusive))
}

func (r *LexRange) gteMin(m []byte) bool {
	if r.Min.Exclusive {
		return lexCmp(m, &r.Min) > 0
	}
	return lexCmp(m, &r.Min) >= 0
}

func (r *LexRange) lteMax(m []byte) bool {
	if r.Max.Exclusive {
		return lexCmp(m, &r.Max) < 0
	}
	return lexCmp(m, &r.Max) <= 0
}

// ZRangeBy selects how a ZRangeSpec's interval is given.
type ZRangeBy uint8

// Range kinds.
const (
	ZByRank ZRangeBy = iota
	ZByScore
	ZByLex
)

// ZLimit is LIMIT offset count: Offset elements of the range are skipped
// (a negative offset leaves nothing, as in Redis), then at most Count are
// returned (a negative count means all).
type ZLimit struct {
	Offset, Count int64
}

// ZRangeSpec is one range of ZRANGE and its older forms.
type ZRangeSpec struct {
	By          ZRangeBy
	Start, Stop int64      // ZByRank: ranks, negative from the end
	Score       ScoreRange // ZByScore
	Lex         LexRange   // ZByLex
	Rev         bool       // highest first; ranks count from the highest
	Limit       *ZLimit    // ZByScore and ZByLex only; nil for none
}

// Lex ranges assume, as Redis documents, that all members have the same
// score. When they do, the range is a seek like a score range. When they do
// not, Strata reproduces what Redis does on a small (listpack) sorted set:
// the range is empty unless the last element is >= min and the first <=
// max; it starts at the first element in score order that is >= min (empty
// if that one is > max) and continues while elements are <= max (reversed:
// from the last element that is <= max, while >= min). This walk is O(n).

// walkRange calls fn for every element of spec's range in order (highest
// first when spec.Rev), LIMIT applied. The member passed to fn is valid only
// during the call.
func walkRange(r zsetReader, spec *ZRangeSpec, fn func(member []byte, score float64) error) error {
	n := r.size()
	if n == 0 {
		return nil
	}
	it, prefix, err := r.iter(subScore)
	if err != nil {
		return err
	}
	defer it.Close()
	w := rangeWalk{it: it, prefix: prefix, fn: fn}
	switch spec.By {
	case ZByRank:
		err = w.rank(int64(n), spec.Start, spec.Stop, spec.Rev)
	case ZByScore:
		err = w.score(&spec.Score, spec.Rev, spec.Limit)
	case ZByLex:
		err = w.lex(&spec.Lex, spec.Rev, spec.Limit)
	}
	if err != nil {
		return err
	}
	return it.Error()
}

// rangeWalk is one walk over a subScore iterator.
type rangeWalk struct {
	it     Iterator
	prefix []byte
	fn     func(member []byte, score float64) error
}

// entry decodes the iterator's current element.
func (w *rangeWalk) entry() (float64, []byte, error) {
	return decodeScoreField(w.it.Key()[len(w.prefix):])
}

func (w *rangeWalk) step(ok, rev bool) bool {
	if !ok {
		return false
	}
	if rev {
		return w.it.Prev()
	}
	return w.it.Next()
}

var errCountMismatch = base.CorruptionErrorf("codec: sorted-set count disagrees with its elements")

// rank walks ranks [start, stop] (Redis's normalisation of negative and
// out-of-range indexes), positioning from the nearer end of the n elements.
func (w *rangeWalk) rank(n, start, stop int64, rev bool) error {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= n {
		return nil
	}
	if stop >= n {
		stop = n - 1
	}
	first := start // ascending rank of the first element emitted
	if rev {
		first = n - 1 - start
	}
	ok := seekRank(w.it, n, first)
	for i := start; i <= stop; i++ {
		if !ok {
			if err := w.it.Error(); err != nil {
				return err
			}
			return errCountMismatch
		}
		s, m, err := w.entry()
		if err != nil {
			return err
		}
		if err := w.fn(m, s); err != nil {
			return err
		}
		if i < stop {
			ok = w.step(ok, rev)
		}
	}
	return nil
}

// seekRank positions it at ascending rank r of n elements, walking from
// the nearer end.
func seekRank(it Iterator, n, r int64) bool {
	if r <= n-1-r {
		ok := it.First()
		for i := int64(0); ok && i < r; i++ {
			ok = it.Next()
		}
		return ok
	}
	ok := it.Last()
	for i := n - 1; ok && i > r; i-- {
		ok = it.Prev()
	}
	return ok
}

// bounded walks the keys in [lower, upper) forwards or backwards, LIMIT
// applied.
func (w *rangeWalk) bounded(lower, upper []byte, rev bool, limit *ZLimit) error {
	if bytes.Compare(lower, upper) >= 0 {
		return nil
	}
	var ok bool
	if rev {
		ok = w.it.SeekLT(upper)
	} else {
		ok = w.it.SeekGE(lower)
	}
	return w.emit(ok, rev, limit, func(key, _ []byte) bool {
		if rev {
			return bytes.Compare(key, lower) >= 0
		}
		return bytes.Compare(key, upper) < 0
	})
}

// emit skips LIMIT's offset from the current position, then passes
// elements to fn while inRange (given the element's key and member) holds
// and the count lasts.
func (w *rangeWalk) emit(ok, rev bool, limit *ZLimit, inRange func(key, member []byte) bool) error {
	count := int64(-1)
	if limit != nil {
		if limit.Offset < 0 {
			return nil
		}
		for i := int64(0); ok && i < limit.Offset; i++ {
			ok = w.step(ok, rev)
		}
		count = limit.Count
	}
	for ; ok && count != 0; ok = w.step(ok, rev) {
		s, m, err := w.entry()
		if err != nil {
			return err
		}
		if !inRange(w.it.Key(), m) {
			return nil
		}
		if err := w.fn(m, s); err != nil {
			return err
		}
		if count > 0 {
			count--
		}
	}
	return nil
}

// score walks a score interval.
func (w *rangeWalk) score(r *ScoreRange, rev bool, limit *ZLimit) error {
	if r.empty() {
		return nil
	}
	lower := AppendScore(bytes.Clone(w.prefix), r.Min)
	if r.MinEx {
		lower = prefixEnd(lower)
	}
	upper := AppendScore(bytes.Clone(w.prefix), r.Max)
	if !r.MaxEx {
		upper = prefixEnd(upper)
	}
	return w.bounded(lower, upper, rev, limit)
}

// lex walks a lex interval (see the comment above walkRange).
func (w *rangeWalk) lex(r *LexRange, rev bool, limit *ZLimit) error {
	if r.empty() {
		return nil
	}
	if !w.it.First() {
		return nil
	}
	lo, _, err := w.entry()
	if err != nil {
		return err
	}
	w.it.Last()
	hi, _, err := w.entry()
	if err != nil {
		return err
	}
	if scoreBits(lo) != scoreBits(hi) {
		return w.lexMixed(r, rev, limit)
	}
	// One score: members are in order after prefix|score.
	base := AppendScore(bytes.Clone(w.prefix), lo)
	var lower, upper []byte
	switch {
	case r.Min.Inf > 0 || r.Max.Inf < 0:
		return nil
	case r.Min.Inf < 0:
		lower = base
	default:
		lower = append(bytes.Clone(base), r.Min.Value...)
		if r.Min.Exclusive {
			lower = append(lower, 0)
		}
	}
	switch {
	case r.Max.Inf > 0:
		upper = prefixEnd(base)
	default:
		upper = append(bytes.Clone(base), r.Max.Value...)
		if !r.Max.Exclusive {
			upper = append(upper, 0)
		}
	}
	return w.bounded(lower, upper, rev, limit)
}

// lexMixed is the lex walk of a sorted set with several scores, as Redis's
// listpack code does it.
func (w *rangeWalk) lexMixed(r *LexRange, rev bool, limit *ZLimit) error {
	// zzlIsInLexRange: the last element >= min, the first <= max.
	if !w.it.Last() {
		return w.it.Error()
	}
	_, m, err := w.entry()
	if err != nil || !r.gteMin(m) {
		return err
	}
	w.it.First()
	if _, m, err = w.entry(); err != nil || !r.lteMax(m) {
		return err
	}
	// The start: forwards the first element >= min, backwards the last
	// element <= max; the range is empty if it is outside the other end.
	var ok bool
	if rev {
		ok = w.it.Last()
	} else {
		ok = w.it.First()
	}
	for ; ok; ok = w.step(ok, rev) {
		if _, m, err = w.entry(); err != nil {
			return err
		}
		enter, stay := r.gteMin(m), r.lteMax(m)
		if rev {
			enter, stay = stay, enter
		}
		if enter {
			if !stay {
				return nil
			}
			break
		}
	}
	if !ok {
		return w.it.Error()
	}
	return w.emit(true, rev, limit, func(_, m []byte) bool {
		if rev {
			return r.gteMin(m)
		}
		return r.lteMax(m)
	})
}

// collect returns the elements of spec's range, copied.
func collect(r zsetReader, spec *ZRangeSpec) (members [][]byte, scores []float64, err error) {
	err = walkRange(r, spec, func(m []byte, s float64) error {
		members = append(members, bytes.Clone(m))
		scores = append(scores, s)
		return nil
	})
	return members, scores, err
}

// ZRange implements ZRANGE and its older forms (ZREVRANGE,
// ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX): the
// members of the range in order, and their scores.
func (d *DB) ZRange(key []byte, spec ZRangeSpec) (members [][]byte, scores []float64, err error) {
	_, err = read(d, key, TypeZSet, func(v *view) (struct{}, error) {
		members, scores, err = collect(v, &spec)
		return struct{}{}, err
	})
	return members, scores, err
}

// ZRangeStore implements ZRANGESTORE: dst becomes a sorted set of src's
// range (replacing whatever dst held; an empty range deletes dst). src may
// be dst. Returns the number of members stored.
func (d *DB) ZRangeStore(dst, src []byte, spec ZRangeSpec) (int64, error) {
	unlock := d.lockKeys(dst, src)
	defer unlock()
	now := d.ks.nowMs()
	b := d.ks.newBatch()
	o, err := d.openObject(b, src, TypeZSet, now)
	d.countOpened(err == nil && o.live, err) // the source is read as ZRANGE reads it
	if err != nil {
		return 0, err
	}
	members, scores, err := collect(o, &spec)
	if err != nil {
		return 0, err
	}
	return int64(len(members)), d.storeZSet(b, dst, members, scores, now)
}

// countRange counts the elements of spec's range.
func (d *DB) countRange(key []byte, spec ZRangeSpec) (int64, error) {
	return read(d, key, TypeZSet, func(v *view) (int64, error) {
		var n int64
		err := walkRange(v, &spec, func([]byte, float64) error {
			n++
			return nil
		})
		return n, err
	})
}

// ZCount implements ZCOUNT. It walks the range: O(log n + count).
func (d *DB) ZCount(key []byte, r ScoreRange) (int64, error) {
	return d.countRange(key, ZRangeSpec{By: ZByScore, Score: r})
}

// ZLexCount implements ZLEXCOUNT: O(log n + count) when all scores are
// equal (see walkRange).
func (d *DB) ZLexCount(key []byte, r LexRange) (int64, error) {
	return d.countRange(key, ZRangeSpec{By: ZByLex, Lex: r})
}

// ZRemRange implements ZREMRANGEBYRANK, ZREMRANGEBYSCORE and
// ZREMRANGEBYLEX: removes the elements of spec's range (Rev and Limit
// are ignored) and returns how many.
func (d *DB) ZRemRange(key []byte, spec ZRangeSpec) (int64, error) {
	spec.Rev, spec.Limit = false, nil
	return update(d, key, TypeZSet, func(o *object) (int64, error) {
		members, scores, err := collect(o, &spec)
		if err != nil {
			return 0, err
		}
		w := newZWriter(o, len(members))
		for i, m := range members {
			w.remove(m, scores[i])
		}
		return int64(len(members)), nil
	})
}

// ZRank implements ZRANK and ZREVRANK (rev). It walks from both ends at
// once, so it costs O(min(rank, n-rank)).
func (d *DB) ZRank(key, member []byte, rev bool) (rank int64, found bool, err error) {
	_, err = read(d, key, TypeZSet, func(v *view) (struct{}, error) {
		s, ok, err := scoreOf(v, member)
		if err != nil || !ok {
			return struct{}{}, err
		}
		if rank, err = v.rankOf(scoreField(s, member)); err != nil {
			return struct{}{}, err
		}
		if rev {
			rank = int64(v.size()) - 1 - rank
		}
		found = true
		return struct{}{}, nil
	})
	return rank, found, err
}

// rankOf returns the ascending rank of the subScore field f, which must
// exist, walking one iterator from each end.
func (v *view) rankOf(f []byte) (int64, error) {
	fwd, prefix, err := v.iter(subScore)
	if err != nil {
		return 0, err
	}
	defer fwd.Close()
	bwd, _, err := v.iter(subScore)
	if err != nil {
		return 0, err
	}
	defer bwd.Close()
	target := append(bytes.Clone(prefix), f...)
	n := int64(v.size())
	okF, okB := fwd.First(), bwd.Last()
	for i := int64(0); i < n && (okF || okB); i++ {
		if okF && bytes.Equal(fwd.Key(), target) {
			return i, nil
		}
		if okB && bytes.Equal(bwd.Key(), target) {
			return n - 1 - i, nil
		}
		okF, okB = okF && fwd.Next(), okB && bwd.Prev()
	}
	if err := fwd.Error(); err != nil {
		return 0, err
	}
	if err := bwd.Error(); err != nil {
		return 0, err
	}
	return 0, errCountMismatch
}

// storeZSet replaces key, whatever it holds, by a sorted set of the
// distinct members with their scores (an empty result deletes it), and
// commits b. The caller holds the locks of key and of every source.
func (d *DB) storeZSet(b *writeBatch, key []byte, members [][]byte, scores []float64, now int64) error {
	o, err := d.openReplacement(b, key, TypeZSet, now)
	if err != nil {
		return err
	}
	if len(members) > 0 {
		if err := o.create(); err != nil {
			return err
		}
		w := newZWriter(o, len(members))
		for i, m := range members {
			w.put(m, 0, false, scores[i])
		}
	}
	o.finish()
	if !o.dirty {
		return nil
	}
	return b.commit()
}
