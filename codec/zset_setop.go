package codec

import (
	"bytes"
	"errors"
	"slices"
	"sort"
)

// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD. As in Redis, a
// source may be a sorted set or a set (whose members all score 1; sets use
// the layout d|db|uuid|subElement|member -> empty), and a missing key is an
// empty source. The result is computed in memory and is ordered like a
// sorted set: by score, then member.

// ZSetOp is the operation of ZSetOpOptions.
type ZSetOp uint8

// Operations.
const (
	ZUnion ZSetOp = iota
	ZInter
	ZDiff
)

// ZAggregate is how ZUNION and ZINTER combine a member's scores.
type ZAggregate uint8

// Aggregates.
const (
	ZAggSum ZAggregate = iota
	ZAggMin
	ZAggMax
)

// ZSetOpOptions describe one ZUNION, ZINTER or ZDIFF. Weights, if not
// nil, has one weight per key (ZUNION and ZINTER; the default is 1).
type ZSetOpOptions struct {
	Op        ZSetOp
	Weights   []float64
	Aggregate ZAggregate
}

// zsource is one input: a sorted set, a set, or nothing.
type zsource struct {
	v      *view
	isSet  bool
	weight float64
}

// openSource opens key as a source on r: a live sorted set or set, or an
// empty source; another type is ErrWrongType.
func (d *DB) openSource(r Reader, key []byte, now int64) (zsource, error) {
	src := zsource{v: &view{r: r, db: d.num}, weight: 1}
	raw, err := r.Get(MetaKey(d.num, key))
	if errors.Is(err, ErrNotFound) {
		return src, nil
	}
	if err != nil {
		return src, err
	}
	m, err := DecodeMetadata(raw)
	if err != nil || m.ExpiredAt(now) {
		return src, err
	}
	if m.Type != TypeZSet && m.Type != TypeSet {
		return src, ErrWrongType
	}
	src.v.m, src.v.live, src.isSet = m, true, m.Type == TypeSet
	return src, nil
}

func (d *DB) openSources(r Reader, keys [][]byte, weights []float64, now int64) ([]zsource, error) {
	srcs := make([]zsource, len(keys))
	for i, k := range keys {
		src, err := d.openSource(r, k, now)
		d.countOpened(err == nil && src.v.live, err)
		if err != nil {
			return nil, err
		}
		if weights != nil {
			src.weight = weights[i]
		}
		srcs[i] = src
	}
	return srcs, nil
}

// find returns member's score in the source (1 in a set).
func (s *zsource) find(member []byte) (float64, bool, error) {
	if s.isSet {
		_, found, err := s.v.get(subElement, member)
		return 1, found, err
	}
	return scoreOf(s.v, member)
}

// each calls fn with every member and score of the source, in member
// order; the member is valid only during the call.
func (s *zsource) each(fn func(member []byte, score float64) error) error {
	if !s.v.live {
		return nil
	}
	it, prefix, err := s.v.iter(subElement)
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		score := 1.0
		if !s.isSet {
			if score, err = decodeStoredScore(it.Value()); err != nil {
				return err
			}
		}
		if err := fn(it.Key()[len(prefix):], score); err != nil {
			return err
		}
	}
	return it.Error()
}

// aggregate folds val into *target as zunionInterAggregate does (a NaN sum
// becomes 0).
func aggregate(target *float64, val float64, agg ZAggregate) {
	switch agg {
	case ZAggSum:
		*target = *target + val
		if *target != *target {
			*target = 0
		}
	case ZAggMin:
		if val < *target {
			*target = val
		}
	case ZAggMax:
		if val > *target {
			*target = val
		}
	}
}

// weighted is score times the source's weight, NaN (0 * inf) made 0.
func (s *zsource) weighted(score float64) float64 {
	v := score * s.weight
	if v != v {
		return 0
	}
	return v
}

// zresult accumulates the members of a result.
type zresult struct {
	members [][]byte
	scores  []float64
}

func (r *zresult) add(member []byte, score float64) {
	r.members = append(r.members, bytes.Clone(member))
	r.scores = append(r.scores, score)
}

// sorted orders the result by score, then member.
func (r *zresult) sorted() ([][]byte, []float64) {
	idx := make([]int, len(r.members))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch sa, sb := r.scores[a], r.scores[b]; {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return bytes.Compare(r.members[a], r.members[b])
	})
	members := make([][]byte, len(idx))
	scores := make([]float64, len(idx))
	for i, j := range idx {
		members[i], scores[i] = r.members[j], r.scores[j]
	}
	return members, scores
}

// zsetOp computes a union, intersection or difference. Like Redis, union
// and intersection visit the sources from the smallest to the largest
// (ties in argument order), which fixes the order a member's scores are
// summed in; the difference keeps the first source first.
func zsetOp(srcs []zsource, op ZSetOp, agg ZAggregate) ([][]byte, []float64, error) {
	var res zresult
	if op != ZDiff {
		sort.SliceStable(srcs, func(i, j int) bool { return srcs[i].v.size() < srcs[j].v.size() })
	}
	var err error
	switch op {
	case ZUnion:
		seen := map[string]int{}
		for i := range srcs {
			err = srcs[i].each(func(m []byte, s float64) error {
				v := srcs[i].weighted(s)
				if j, ok := seen[string(m)]; ok {
					aggregate(&res.scores[j], v, agg)
					return nil
				}
				seen[string(m)] = len(res.members)
				res.add(m, v)
				return nil
			})
			if err != nil {
				return nil, nil, err
			}
		}
	case ZInter:
		err = intersect(srcs, agg, func(m []byte, s float64) bool {
			res.add(m, s)
			return true
		})
	case ZDiff:
		err = srcs[0].each(func(m []byte, s float64) error {
			for j := 1; j < len(srcs); j++ {
				_, found, err := srcs[j].find(m)
				if err != nil || found {
					return err
				}
			}
			res.add(m, s)
			return nil
		})
	}
	if err != nil {
		return nil, nil, err
	}
	members, scores := res.sorted()
	return members, scores, nil
}

// intersect calls fn with each member of every source (srcs sorted by
// size) and its aggregated score, until fn returns false.
func intersect(srcs []zsource, agg ZAggregate, fn func(member []byte, score float64) bool) error {
	errStop := errors.New("stop")
	err := srcs[0].each(func(m []byte, s float64) error {
		score := srcs[0].weighted(s)
		for j := 1; j < len(srcs); j++ {
			v, found, err := srcs[j].find(m)
			if err != nil || !found {
				return err
			}
			aggregate(&score, v*srcs[j].weight, agg)
		}
		if !fn(m, score) {
			return errStop
		}
		return nil
	})
	if err == errStop {
		return nil
	}
	return err
}

// ZSetOp implements ZUNION, ZINTER and ZDIFF: the result's members in
// order, with their scores. All keys are read on one snapshot.
func (d *DB) ZSetOp(keys [][]byte, opts ZSetOpOptions) (members [][]byte, scores []float64, err error) {
	snap := d.ks.store.NewSnapshot()
	defer snap.Close()
	srcs, err := d.openSources(snap, keys, opts.Weights, d.ks.nowMs())
	if err != nil {
		return nil, nil, err
	}
	return zsetOp(srcs, opts.Op, opts.Aggregate)
}

// ZSetOpStore implements ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE: dst
// becomes the result (replacing whatever it held; an empty result deletes
// it); dst may be one of the keys. Returns the result's size.
func (d *DB) ZSetOpStore(dst []byte, keys [][]byte, opts ZSetOpOptions) (int64, error) {
	unlock := d.lockKeys(append([][]byte{dst}, keys...)...)
	defer unlock()
	now := d.ks.nowMs()
	srcs, err := d.openSources(d.ks.store, keys, opts.Weights, now)
	if err != nil {
		return 0, err
	}
	members, scores, err := zsetOp(srcs, opts.Op, opts.Aggregate)
	if err != nil {
		return 0, err
	}
	return int64(len(members)), d.storeZSet(d.ks.newBatch(), dst, members, scores, now)
}

// ZInterCard implements ZINTERCARD: the size of the intersection, counting
// stopped at limit (0 for no limit).
func (d *DB) ZInterCard(keys [][]byte, limit int64) (int64, error) {
	snap := d.ks.store.NewSnapshot()
	defer snap.Close()
	srcs, err := d.openSources(snap, keys, nil, d.ks.nowMs())
	if err != nil {
		return 0, err
	}
	sort.SliceStable(srcs, func(i, j int) bool { return srcs[i].v.size() < srcs[j].v.size() })
	var n int64
	err = intersect(srcs, ZAggSum, func([]byte, float64) bool {
		n++
		return limit == 0 || n < limit
	})
	return n, err
}
