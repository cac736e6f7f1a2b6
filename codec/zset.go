package codec

import (
	"errors"
	"math"

	"github.com/strata-db/strata/internal/base"
)

// Sorted sets. Each member is stored twice under the key's uuid (FORMAT.md,
// "Sorted set"):
//
//	d|db|uuid|subElement|member           -> score(8)   point lookups (ZSCORE, ZADD)
//	d|db|uuid|subScore|score(8)|member     -> empty      order (ranges, ranks, pops)
//
// Scores use the order-preserving encoding of score.go, so the subScore
// family is in Redis's order: by score, then by member bytes. The count in
// metadata is the number of members (ZCARD is O(1)).
//
// Costs: point operations are O(log n) engine lookups; score and lex ranges
// seek in the subScore family, O(log n + elements walked) (LIMIT's offset is
// walked); rank operations (ZRANGE by index, ZRANK, ZREMRANGEBYRANK) walk
// from the nearer end, O(min(rank, n-rank)), as no order statistics are
// kept. This file holds the per-member commands; zset_range.go the range
// machinery, zset_setop.go ZUNION/ZINTER/ZDIFF, zset_pop.go the pops.

// ErrScoreNaN: ZINCRBY or ZADD INCR would make a score NaN (inf + -inf).
var ErrScoreNaN = errors.New("ERR resulting score is not a number (NaN)")

// zsetReader is what the sorted-set reads need of a key: a view on a
// snapshot, or an object opened for writing (which reads the latest
// committed state under the key's lock).
type zsetReader interface {
	get(sub byte, field []byte) ([]byte, bool, error)
	iter(sub byte) (Iterator, []byte, error)
	size() uint64
}

// size is the element count of a live view, 0 otherwise.
func (v *view) size() uint64 {
	if !v.live {
		return 0
	}
	return v.m.Count
}

// size is the element count of the object (as modified so far).
func (o *object) size() uint64 {
	if !o.live {
		return 0
	}
	return o.m.Count
}

// scoreField returns the subScore field of a member: score(8) | member.
func scoreField(score float64, member []byte) []byte {
	f := make([]byte, 0, ScoreLen+len(member))
	f = AppendScore(f, score)
	return append(f, member...)
}

func decodeStoredScore(v []byte) (float64, error) {
	f, ok := DecodeScore(v)
	if !ok {
		return 0, base.CorruptionErrorf("codec: bad sorted-set score %x", v)
	}
	return f, nil
}

// decodeScoreField splits a subScore field into score and member (which
// aliases f).
func decodeScoreField(f []byte) (float64, []byte, error) {
	if len(f) < ScoreLen {
		return 0, nil, base.CorruptionErrorf("codec: bad sorted-set index entry %x", f)
	}
	s, err := decodeStoredScore(f[:ScoreLen])
	return s, f[ScoreLen:], err
}

// scoreOf returns a member's score.
func scoreOf(r zsetReader, member []byte) (float64, bool, error) {
	v, found, err := r.get(subElement, member)
	if err != nil || !found {
		return 0, false, err
	}
	s, err := decodeStoredScore(v)
	return s, err == nil, err
}

// zwriter applies one command's member changes to an object and remembers
// them, so that a member named twice in one command sees its earlier write
// (the object itself reads only committed state).
type zwriter struct {
	o *object
	// track is off for a command naming one member, which it never reads
	// again; seen holds the members written, with their state.
	track bool
	seen  smallMap[zstate]
}

type zstate struct {
	score   float64
	present bool
}

// newZWriter returns the writer of a command that names n members.
func newZWriter(o *object, n int) zwriter {
	return zwriter{o: o, track: n > 1}
}

// scoreField returns the subScore field of member with score s, in the
// object's scratch buffer: valid until its next use (the batch copies what
// it is given).
func (w *zwriter) scoreField(s float64, member []byte) []byte {
	w.o.scratch = append(AppendScore(w.o.scratch[:0], s), member...)
	return w.o.scratch
}

// score returns a member's current score, this command's writes included.
func (w *zwriter) score(member []byte) (float64, bool, error) {
	if st, ok := w.seen.get(member); ok {
		return st.score, st.present, nil
	}
	return scoreOf(w.o, member)
}

// put gives member the score s; old and had are its current state (from
// score). The object must be live (created).
func (w *zwriter) put(member []byte, old float64, had bool, s float64) {
	o := w.o
	if had {
		o.del(subScore, w.scoreField(old, member))
	} else {
		o.m.Count++
	}
	o.scratch = AppendScore(o.scratch[:0], s)
	o.set(subElement, member, o.scratch)
	o.set(subScore, w.scoreField(s, member), nil)
	if w.track {
		w.seen.put(member, zstate{score: s, present: true})
	}
}

// remove deletes member, whose current score is s.
func (w *zwriter) remove(member []byte, s float64) {
	w.o.del(subElement, member)
	w.o.del(subScore, w.scoreField(s, member))
	w.o.m.Count--
	if w.track {
		w.seen.put(member, zstate{})
	}
}

// ZAddOptions are ZADD's flags. The server checks Redis's conflicts (NX
// with XX, GT, LT; GT with LT; INCR with several pairs) before calling.
type ZAddOptions struct {
	NX, XX, GT, LT, Incr bool
}

// ZAddResult is what ZADD reports: members added and members whose score
// changed (CH adds the two); with INCR, the member's new score, or
// Processed false when a flag prevented the update (a null reply).
type ZAddResult struct {
	Added, Updated int64
	Score          float64
	Processed      bool
}

// ZAdd implements ZADD (and ZINCRBY, with Incr): scores[i] goes with
// members[i], applied in order as Redis does, so a member named twice ends
// with its last score. A NaN result of INCR is ErrScoreNaN and writes
// nothing.
func (d *DB) ZAdd(key []byte, opts ZAddOptions, scores []float64, members [][]byte) (ZAddResult, error) {
	return update(d, key, TypeZSet, func(o *object) (ZAddResult, error) { return o.zadd(opts, scores, members, nil) })
}

// ZAddEach runs ZADD key scores[i] members[i] (no flags) for each i, one
// after the other, as one update: added[i] reports whether members[i] was
// added (a member named twice is added by its first, and keeps its last
// score). The server runs a pipeline of single-member ZADDs of one key
// this way (server/coalesce.go).
func (d *DB) ZAddEach(key []byte, scores []float64, members [][]byte, added []bool) error {
	_, err := update(d, key, TypeZSet, func(o *object) (ZAddResult, error) {
		return o.zadd(ZAddOptions{}, scores, members, added)
	})
	return err
}

// zadd is ZAdd on the opened object, saying which members were added in
// added unless it is nil.
func (o *object) zadd(opts ZAddOptions, scores []float64, members [][]byte, added []bool) (ZAddResult, error) {
	var res ZAddResult
	w := newZWriter(o, len(members))
	for i, m := range members {
		if added != nil {
			added[i] = false
		}
		s := scores[i]
		cur, exists, err := w.score(m)
		if err != nil {
			return res, err
		}
		if exists {
			if opts.NX {
				continue
			}
			if opts.Incr {
				s += cur
				if math.IsNaN(s) {
					return res, ErrScoreNaN
				}
			}
			if (opts.LT && s >= cur) || (opts.GT && s <= cur) {
				continue
			}
			res.Score, res.Processed = s, true
			if s != cur {
				w.put(m, cur, true, s)
				res.Updated++
			}
			continue
		}
		if opts.XX {
			continue
		}
		if err := o.create(); err != nil {
			return res, err
		}
		w.put(m, 0, false, s)
		res.Added++
		res.Score, res.Processed = s, true
		if added != nil {
			added[i] = true
		}
	}
	return res, nil
}

// ZIncrBy implements ZINCRBY: the member's new score.
func (d *DB) ZIncrBy(key, member []byte, delta float64) (float64, error) {
	res, err := d.ZAdd(key, ZAddOptions{Incr: true}, []float64{delta}, [][]byte{member})
	return res.Score, err
}

// ZRem implements ZREM: the number of members removed.
func (d *DB) ZRem(key []byte, members [][]byte) (int64, error) {
	return update(d, key, TypeZSet, func(o *object) (int64, error) {
		if !o.live {
			return 0, nil
		}
		w := newZWriter(o, len(members))
		var n int64
		for _, m := range members {
			s, found, err := w.score(m)
			if err != nil {
				return 0, err
			}
			if found {
				w.remove(m, s)
				n++
			}
		}
		return n, nil
	})
}

// ZScore implements ZSCORE.
func (d *DB) ZScore(key, member []byte) (score float64, found bool, err error) {
	_, err = read(d, key, TypeZSet, func(v *view) (struct{}, error) {
		score, found, err = scoreOf(v, member)
		return struct{}{}, err
	})
	return score, found, err
}

// ZMScore implements ZMSCORE: one score per member, found[i] false where
// the member (or the key) is absent.
func (d *DB) ZMScore(key []byte, members [][]byte) (scores []float64, found []bool, err error) {
	scores = make([]float64, len(members))
	found = make([]bool, len(members))
	_, err = read(d, key, TypeZSet, func(v *view) (struct{}, error) {
		for i, m := range members {
			s, ok, err := scoreOf(v, m)
			if err != nil {
				return struct{}{}, err
			}
			scores[i], found[i] = s, ok
		}
		return struct{}{}, nil
	})
	return scores, found, err
}

// ZCard implements ZCARD, O(1).
func (d *DB) ZCard(key []byte) (int64, error) { return d.length(key, TypeZSet) }

// ZRandMember implements ZRANDMEMBER with a count (see view.randomElements:
// count > 0 distinct members, count < 0 |count| members that may repeat).
func (d *DB) ZRandMember(key []byte, count int64) (members [][]byte, scores []float64, err error) {
	_, err = read(d, key, TypeZSet, func(v *view) (struct{}, error) {
		es, err := v.randomElements(count)
		if err != nil {
			return struct{}{}, err
		}
		for _, e := range es {
			s, err := decodeStoredScore(e.value)
			if err != nil {
				return struct{}{}, err
			}
			members = append(members, e.field)
			scores = append(scores, s)
		}
		return struct{}{}, nil
	})
	return members, scores, err
}

// ZScan implements ZSCAN: Items alternate member and score, the score in
// Redis's text (AppendScoreText), as ZSCAN replies with strings.
func (d *DB) ZScan(key []byte, cursor uint64, match []byte, count int) (ScanResult, error) {
	return read(d, key, TypeZSet, func(v *view) (ScanResult, error) {
		return v.scanElements(d.ks, cursor, match, count, func(out [][]byte, m, val []byte) ([][]byte, error) {
			s, err := decodeStoredScore(val)
			if err != nil {
				return out, err
			}
			return append(out, append([]byte(nil), m...), AppendScoreText(nil, s)), nil
		})
	})
}
