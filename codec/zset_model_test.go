package codec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// The sorted-set model test: random commands run against the codec over a
// MemStore and against a trivial model (a Go map per key, sorted into a
// slice when read), and every reply and the whole stored state are
// compared after each command.

type zent struct {
	member string
	score  float64
}

func (e zent) String() string { return fmt.Sprintf("%q:%v", e.member, e.score) }

// zmodel is the model keyspace: sorted sets, and plain sets used as
// sources of the set operations.
type zmodel struct {
	zsets map[string]map[string]float64
	sets  map[string]map[string]bool
}

func normScore(s float64) float64 {
	if s == 0 {
		return 0
	}
	return s
}

func (m *zmodel) sorted(key string) []zent {
	var out []zent
	for k, s := range m.zsets[key] {
		out = append(out, zent{k, s})
	}
	sortZents(out)
	return out
}

func sortZents(es []zent) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].score != es[j].score {
			return es[i].score < es[j].score
		}
		return es[i].member < es[j].member
	})
}

func (m *zmodel) put(key, member string, s float64) {
	if m.zsets[key] == nil {
		m.zsets[key] = map[string]float64{}
	}
	m.zsets[key][member] = normScore(s)
}

func (m *zmodel) del(key, member string) {
	delete(m.zsets[key], member)
	if len(m.zsets[key]) == 0 {
		delete(m.zsets, key)
	}
}

// zadd is Redis's zsetAdd loop.
func (m *zmodel) zadd(key string, o ZAddOptions, scores []float64, members []string) (ZAddResult, error) {
	var res ZAddResult
	z := map[string]float64{}
	for k, v := range m.zsets[key] {
		z[k] = v
	}
	for i, mem := range members {
		s := scores[i]
		cur, ok := z[mem]
		if ok {
			if o.NX {
				continue
			}
			if o.Incr {
				s += cur
				if math.IsNaN(s) {
					return ZAddResult{}, ErrScoreNaN
				}
			}
			if (o.LT && s >= cur) || (o.GT && s <= cur) {
				continue
			}
			res.Score, res.Processed = s, true
			if s != cur {
				z[mem] = normScore(s)
				res.Updated++
			}
			continue
		}
		if o.XX {
			continue
		}
		z[mem] = normScore(s)
		res.Added++
		res.Score, res.Processed = s, true
	}
	if len(z) > 0 {
		m.zsets[key] = z
	}
	return res, nil
}

// rangeOf is the model of walkRange.
func (m *zmodel) rangeOf(key string, spec ZRangeSpec) []zent {
	es := m.sorted(key)
	n := int64(len(es))
	var out []zent
	switch spec.By {
	case ZByRank:
		start, stop := spec.Start, spec.Stop
		if start < 0 {
			start += n
		}
		if stop < 0 {
			stop += n
		}
		start = max(start, 0)
		if start > stop || start >= n {
			return nil
		}
		stop = min(stop, n-1)
		if spec.Rev {
			slices.Reverse(es)
		}
		return es[start : stop+1]
	case ZByScore:
		r := spec.Score
		for _, e := range es {
			lo := e.score > r.Min || (!r.MinEx && e.score == r.Min)
			hi := e.score < r.Max || (!r.MaxEx && e.score == r.Max)
			if lo && hi {
				out = append(out, e)
			}
		}
		if spec.Rev {
			slices.Reverse(out)
		}
	case ZByLex:
		// Redis's listpack walk, which is exact when all scores are equal.
		r := spec.Lex
		if r.empty() || n == 0 || !r.gteMin([]byte(es[n-1].member)) || !r.lteMax([]byte(es[0].member)) {
			return nil
		}
		enter, stay := r.gteMin, r.lteMax
		if spec.Rev {
			slices.Reverse(es)
			enter, stay = r.lteMax, r.gteMin
		}
		i := 0
		for i < len(es) && !enter([]byte(es[i].member)) {
			i++
		}
		if i == len(es) || !stay([]byte(es[i].member)) {
			return nil
		}
		if spec.Limit != nil {
			if spec.Limit.Offset < 0 {
				return nil
			}
			i += int(min(spec.Limit.Offset, n))
		}
		for ; i < len(es) && stay([]byte(es[i].member)); i++ {
			out = append(out, es[i])
		}
		if spec.Limit != nil && spec.Limit.Count >= 0 && int64(len(out)) > spec.Limit.Count {
			out = out[:spec.Limit.Count]
		}
		return out
	}
	if spec.Limit != nil {
		if spec.Limit.Offset < 0 || spec.Limit.Offset >= int64(len(out)) {
			return nil
		}
		out = out[spec.Limit.Offset:]
		if spec.Limit.Count >= 0 && int64(len(out)) > spec.Limit.Count {
			out = out[:spec.Limit.Count]
		}
	}
	return out
}

// source returns a model source's members and scores (sets score 1).
func (m *zmodel) source(key string) map[string]float64 {
	if z, ok := m.zsets[key]; ok {
		return z
	}
	z := map[string]float64{}
	for k := range m.sets[key] {
		z[k] = 1
	}
	return z
}

func (m *zmodel) setOp(keys []string, opts ZSetOpOptions) []zent {
	type src struct {
		z map[string]float64
		w float64
	}
	srcs := make([]src, len(keys))
	for i, k := range keys {
		srcs[i] = src{m.source(k), 1}
		if opts.Weights != nil {
			srcs[i].w = opts.Weights[i]
		}
	}
	weighted := func(s src, v float64) float64 {
		if r := v * s.w; !math.IsNaN(r) {
			return r
		}
		return 0
	}
	if opts.Op != ZDiff {
		sort.SliceStable(srcs, func(i, j int) bool { return len(srcs[i].z) < len(srcs[j].z) })
	}
	var out []zent
	switch opts.Op {
	case ZUnion:
		acc := map[string]float64{}
		for _, s := range srcs {
			for _, mem := range sortedKeys(s.z) {
				v := weighted(s, s.z[mem])
				if cur, ok := acc[mem]; ok {
					acc[mem] = modelAggregate(cur, v, opts.Aggregate)
				} else {
					acc[mem] = v
				}
			}
		}
		for k, v := range acc {
			out = append(out, zent{k, v})
		}
	case ZInter:
		for _, mem := range sortedKeys(srcs[0].z) {
			score := weighted(srcs[0], srcs[0].z[mem])
			in := true
			for _, s := range srcs[1:] {
				v, ok := s.z[mem]
				if !ok {
					in = false
					break
				}
				score = modelAggregate(score, v*s.w, opts.Aggregate)
			}
			if in {
				out = append(out, zent{mem, score})
			}
		}
	case ZDiff:
		for mem, v := range srcs[0].z {
			in := false
			for _, s := range srcs[1:] {
				if _, ok := s.z[mem]; ok {
					in = true
				}
			}
			if !in {
				out = append(out, zent{mem, v})
			}
		}
	}
	sortZents(out)
	return out
}

// modelAggregate is Redis's zunionInterAggregate.
func modelAggregate(cur, v float64, agg ZAggregate) float64 {
	switch agg {
	case ZAggMin:
		if v < cur { // a NaN v keeps cur
			return v
		}
		return cur
	case ZAggMax:
		if v > cur {
			return v
		}
		return cur
	}
	if sum := cur + v; !math.IsNaN(sum) {
		return sum
	}
	return 0
}

func sortedKeys(z map[string]float64) []string {
	out := make([]string, 0, len(z))
	for k := range z {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// store replaces dst with es in the model.
func (m *zmodel) store(dst string, es []zent) {
	delete(m.zsets, dst)
	delete(m.sets, dst)
	for _, e := range es {
		m.put(dst, e.member, e.score)
	}
}

var (
	zmodelMembers = []string{"a", "b", "c", "d", "ab", "", "\x00", "b\xff"}
	zmodelScores  = []float64{math.Inf(-1), math.Inf(1), 0, math.Copysign(0, -1), 1, 2, 0.5, 1e300, -1e300, 3, -2}
	zmodelKeys    = []string{"z0", "z1", "z2", "z3", "s0", "s1"}
)

type zmodelRun struct {
	t *testing.T
	f *fixture
	m *zmodel
	r *rand.Rand
}

func (z *zmodelRun) member() string { return zmodelMembers[z.r.IntN(len(zmodelMembers))] }
func (z *zmodelRun) score() float64 { return zmodelScores[z.r.IntN(len(zmodelScores))] }
func (z *zmodelRun) key() string    { return zmodelKeys[z.r.IntN(len(zmodelKeys))] }

// zkey returns a key that is not a plain set (the set type's writes are
// not the subject here).
func (z *zmodelRun) zkey() string {
	for {
		if k := z.key(); z.m.sets[k] == nil {
			return k
		}
	}
}

func (z *zmodelRun) lexBound() LexBound {
	switch z.r.IntN(6) {
	case 0:
		return LexBound{Inf: -1, Exclusive: true}
	case 1:
		return LexBound{Inf: 1, Exclusive: true}
	}
	return LexBound{Value: []byte(z.member()), Exclusive: z.r.IntN(2) == 0}
}

func (z *zmodelRun) spec() ZRangeSpec {
	s := ZRangeSpec{By: ZRangeBy(z.r.IntN(3)), Rev: z.r.IntN(2) == 0}
	switch s.By {
	case ZByRank:
		s.Start, s.Stop = int64(z.r.IntN(12)-6), int64(z.r.IntN(12)-6)
		return s
	case ZByScore:
		s.Score = ScoreRange{Min: z.score(), Max: z.score(), MinEx: z.r.IntN(3) == 0, MaxEx: z.r.IntN(3) == 0}
	case ZByLex:
		s.Lex = LexRange{Min: z.lexBound(), Max: z.lexBound()}
	}
	if z.r.IntN(2) == 0 {
		s.Limit = &ZLimit{Offset: int64(z.r.IntN(5) - 1), Count: int64(z.r.IntN(5) - 1)}
	}
	return s
}

func toZents(members [][]byte, scores []float64) []zent {
	out := make([]zent, len(members))
	for i := range members {
		out[i] = zent{string(members[i]), scores[i]}
	}
	return out
}

func sameZents(a, b []zent) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].member != b[i].member || math.Float64bits(a[i].score) != math.Float64bits(b[i].score) {
			return false
		}
	}
	return true
}

func (z *zmodelRun) check(step int, what string, got, want any) {
	z.t.Helper()
	if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
		z.t.Fatalf("step %d %s:\n got  %s\n want %s", step, what, g, w)
	}
}

func (z *zmodelRun) checkEnts(step int, what string, got, want []zent) {
	z.t.Helper()
	if !sameZents(got, want) {
		z.t.Fatalf("step %d %s:\n got  %v\n want %v", step, what, got, want)
	}
}

// errOf renders an error for comparison.
func errOf(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func (z *zmodelRun) specString(s ZRangeSpec) string {
	out := fmt.Sprintf("%+v", s)
	if s.Limit != nil {
		out += fmt.Sprintf(" limit %+v", *s.Limit)
	}
	return out
}

func bkeys(keys []string) [][]byte {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = []byte(k)
	}
	return out
}

func (z *zmodelRun) step(i int) {
	db, m, r := z.f.db, z.m, z.r
	switch r.IntN(20) {
	case 0, 1, 2: // ZADD with flags, members possibly repeated
		k := z.zkey()
		var o ZAddOptions
		switch r.IntN(6) {
		case 0:
			o.NX = true
		case 1:
			o.XX = true
		case 2:
			o.GT, o.XX = true, r.IntN(2) == 0
		case 3:
			o.LT = true
		}
		n := 1 + r.IntN(3)
		if r.IntN(5) == 0 {
			o.Incr, n = true, 1
		}
		var scores []float64
		var members []string
		for range n {
			scores = append(scores, z.score())
			members = append(members, z.member())
		}
		want, werr := m.zadd(k, o, scores, members)
		got, err := db.ZAdd(b(k), o, scores, bkeys(members))
		z.check(i, fmt.Sprintf("ZADD %s %+v %v %q", k, o, scores, members),
			fmt.Sprint(got, errOf(err)), fmt.Sprint(want, errOf(werr)))
	case 3: // ZINCRBY
		k, mem, s := z.zkey(), z.member(), z.score()
		want, werr := m.zadd(k, ZAddOptions{Incr: true}, []float64{s}, []string{mem})
		got, err := db.ZIncrBy(b(k), b(mem), s)
		z.check(i, "ZINCRBY", fmt.Sprint(got, errOf(err)), fmt.Sprint(want.Score, errOf(werr)))
	case 4: // ZREM
		k := z.zkey()
		var members []string
		var want int64
		for range 1 + r.IntN(3) {
			mem := z.member()
			members = append(members, mem)
			if _, ok := m.zsets[k][mem]; ok {
				want++
				m.del(k, mem)
			}
		}
		got, err := db.ZRem(b(k), bkeys(members))
		z.check(i, "ZREM", fmt.Sprint(got, errOf(err)), fmt.Sprint(want, "<nil>"))
	case 5, 6, 7: // ZRANGE, all forms
		k, spec := z.key(), z.spec()
		members, scores, err := db.ZRange(b(k), spec)
		if m.sets[k] != nil {
			z.check(i, "ZRANGE on a set", errOf(err), ErrWrongType.Error())
			return
		}
		if err != nil {
			z.t.Fatal(err)
		}
		z.checkEnts(i, "ZRANGE "+k+" "+z.specString(spec), toZents(members, scores), m.rangeOf(k, spec))
	case 8: // ZCOUNT, ZLEXCOUNT, ZCARD
		k, spec := z.zkey(), z.spec()
		spec.Rev, spec.Limit = false, nil
		var got int64
		var err error
		switch spec.By {
		case ZByScore:
			got, err = db.ZCount(b(k), spec.Score)
		case ZByLex:
			got, err = db.ZLexCount(b(k), spec.Lex)
		default:
			got, err = db.ZCard(b(k))
			spec.Start, spec.Stop = 0, -1
		}
		z.check(i, "count "+z.specString(spec), fmt.Sprint(got, errOf(err)), fmt.Sprint(len(m.rangeOf(k, spec)), "<nil>"))
	case 9: // ZRANK, ZREVRANK, ZSCORE, ZMSCORE
		k, mem, rev := z.zkey(), z.member(), r.IntN(2) == 0
		rank, found, err := db.ZRank(b(k), b(mem), rev)
		es := m.sorted(k)
		if rev {
			slices.Reverse(es)
		}
		want := -1
		for j, e := range es {
			if e.member == mem {
				want = j
			}
		}
		if !found {
			rank = -1
		}
		z.check(i, "ZRANK", fmt.Sprint(rank, errOf(err)), fmt.Sprint(want, "<nil>"))
		s, found, err := db.ZScore(b(k), b(mem))
		ws, wfound := m.zsets[k][mem]
		z.check(i, "ZSCORE", fmt.Sprint(s, found, errOf(err)), fmt.Sprint(ws, wfound, "<nil>"))
		ss, fs, err := db.ZMScore(b(k), [][]byte{b(mem), b("a")})
		wa, wafound := m.zsets[k]["a"]
		z.check(i, "ZMSCORE", fmt.Sprint(ss, fs, errOf(err)), fmt.Sprint([]float64{ws, wa}, []bool{wfound, wafound}, "<nil>"))
	case 10, 11: // ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX
		k, spec := z.zkey(), z.spec()
		spec.Rev, spec.Limit = false, nil
		want := m.rangeOf(k, spec)
		for _, e := range want {
			m.del(k, e.member)
		}
		got, err := db.ZRemRange(b(k), spec)
		z.check(i, "ZREMRANGE "+z.specString(spec), fmt.Sprint(got, errOf(err)), fmt.Sprint(len(want), "<nil>"))
	case 12: // ZRANGESTORE, the destination often the source
		dst, src, spec := z.key(), z.key(), z.spec() // dst may be a set: replaced
		if r.IntN(3) == 0 {
			dst = src
		}
		got, err := db.ZRangeStore(b(dst), b(src), spec)
		if m.sets[src] != nil {
			z.check(i, "ZRANGESTORE from a set", errOf(err), ErrWrongType.Error())
			return
		}
		want := m.rangeOf(src, spec)
		m.store(dst, want)
		z.check(i, "ZRANGESTORE "+z.specString(spec), fmt.Sprint(got, errOf(err)), fmt.Sprint(len(want), "<nil>"))
	case 13, 14: // ZUNION, ZINTER, ZDIFF and their STORE forms
		var keys []string
		for range 1 + r.IntN(3) {
			keys = append(keys, z.key())
		}
		opts := ZSetOpOptions{Op: ZSetOp(r.IntN(3)), Aggregate: ZAggregate(r.IntN(3))}
		if opts.Op != ZDiff && r.IntN(2) == 0 {
			for range keys {
				opts.Weights = append(opts.Weights, []float64{1, 2, -1, 0, 0.5, math.Inf(1)}[r.IntN(6)])
			}
		}
		want := m.setOp(keys, opts)
		what := fmt.Sprintf("%q %+v", keys, opts)
		if r.IntN(2) == 0 {
			members, scores, err := db.ZSetOp(bkeys(keys), opts)
			if err != nil {
				z.t.Fatal(err)
			}
			z.checkEnts(i, "set op "+what, toZents(members, scores), want)
			return
		}
		dst := z.key() // a set is replaced too
		if r.IntN(2) == 0 {
			dst = keys[r.IntN(len(keys))]
		}
		got, err := db.ZSetOpStore(b(dst), bkeys(keys), opts)
		m.store(dst, want)
		z.check(i, "set op store "+dst+" "+what, fmt.Sprint(got, errOf(err)), fmt.Sprint(len(want), "<nil>"))
	case 15: // ZINTERCARD
		keys := []string{z.key(), z.key()}
		limit := int64(r.IntN(3))
		want := int64(len(m.setOp(keys, ZSetOpOptions{Op: ZInter})))
		if limit > 0 && want > limit {
			want = limit
		}
		got, err := db.ZInterCard(bkeys(keys), limit)
		z.check(i, "ZINTERCARD", fmt.Sprint(got, errOf(err)), fmt.Sprint(want, "<nil>"))
	case 16, 17: // ZPOPMIN, ZPOPMAX, ZMPOP
		z.pop(i)
	case 18: // DEL; a plain set is stored again
		k := z.key()
		if _, err := db.Del(b(k)); err != nil {
			z.t.Fatal(err)
		}
		delete(m.zsets, k)
		delete(m.sets, k)
		if k[0] == 's' {
			z.putSet(k)
		}
	case 19: // a key with one score throughout, for the lex seek
		k := z.zkey()
		delete(m.zsets, k)
		if _, err := db.Del(b(k)); err != nil {
			z.t.Fatal(err)
		}
		s := z.score()
		for range 1 + r.IntN(6) {
			mem := z.member()
			if _, err := db.ZAdd(b(k), ZAddOptions{}, []float64{s}, [][]byte{b(mem)}); err != nil {
				z.t.Fatal(err)
			}
			m.put(k, mem, s)
		}
	}
}

func (z *zmodelRun) pop(i int) {
	m, r := z.m, z.r
	max, count := r.IntN(2) == 0, r.IntN(4)
	var keys []string
	for range 1 + r.IntN(3) {
		keys = append(keys, z.zkey())
	}
	if r.IntN(2) == 0 {
		keys = keys[:1]
		members, scores, err := z.f.db.ZPop(b(keys[0]), max, count)
		if err != nil {
			z.t.Fatal(err)
		}
		z.checkEnts(i, "ZPOP", toZents(members, scores), z.m.popModel(keys[0], max, count))
		return
	}
	var wantKey string
	var want []zent
	for _, k := range keys {
		if _, ok := m.zsets[k]; ok {
			wantKey, want = k, m.popModel(k, max, count)
			break
		}
	}
	key, members, scores, err := z.f.db.ZMPop(bkeys(keys), max, count)
	if err != nil {
		z.t.Fatal(err)
	}
	z.check(i, "ZMPOP key", string(key), wantKey)
	z.checkEnts(i, "ZMPOP", toZents(members, scores), want)
}

func (m *zmodel) popModel(k string, max bool, count int) []zent {
	es := m.sorted(k)
	if max {
		slices.Reverse(es)
	}
	out := es[:min(count, len(es))]
	for _, e := range out {
		m.del(k, e.member)
	}
	return out
}

// putSet stores a plain set with random members (SADD), a source for the
// set operations.
func (z *zmodelRun) putSet(k string) {
	members := map[string]bool{}
	for range 1 + z.r.IntN(4) {
		members[z.member()] = true
	}
	if _, err := z.f.db.SAdd(b(k), bkeys(sortedSetKeys(members))); err != nil {
		z.t.Fatal(err)
	}
	z.m.sets[k] = members
}

func sortedSetKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkState compares every key with the model and checks the stored
// layout: each member has its index entry, the count is right, and no
// data is left outside the live keys' uuid ranges.
func (z *zmodelRun) checkState(step int) {
	z.t.Helper()
	live := 0
	for _, k := range zmodelKeys {
		if z.m.sets[k] != nil {
			live += len(z.m.sets[k])
			continue
		}
		members, scores, err := z.f.db.ZRange(b(k), ZRangeSpec{By: ZByRank, Start: 0, Stop: -1})
		if err != nil {
			z.t.Fatal(err)
		}
		z.checkEnts(step, "state of "+k, toZents(members, scores), z.m.sorted(k))
		n, err := z.f.db.ZCard(b(k))
		if err != nil || n != int64(len(members)) {
			z.t.Fatalf("step %d: ZCARD %s = %d, %v; have %d members", step, k, n, err, len(members))
		}
		live += 2 * len(members)
		if n == 0 {
			if typ, _ := z.f.db.Type(b(k)); typ != "none" {
				z.t.Fatalf("step %d: empty %s has type %s", step, k, typ)
			}
			continue
		}
		md, _, _ := z.f.db.lookup(b(k))
		for j, mem := range members {
			v, err := z.f.store.Get(DataKey(0, md.UUID, subElement, mem))
			if s, ok := DecodeScore(v); err != nil || !ok || s != scores[j] {
				z.t.Fatalf("step %d: %s: member %q stored as %x, %v", step, k, mem, v, err)
			}
		}
	}
	data := 0
	for _, k := range z.f.store.Keys() {
		if k[0] == FamilyData {
			data++
		}
	}
	if data != live {
		z.t.Fatalf("step %d: %d data keys stored, the live keys have %d", step, data, live)
	}
	z.f.checkIndex()
}

func TestZSetModel(t *testing.T) {
	steps := 5000
	if testing.Short() {
		steps = 1000
	}
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			z := &zmodelRun{
				t: t, f: newFixture(t), r: rand.New(rand.NewPCG(seed, 99)),
				m: &zmodel{zsets: map[string]map[string]float64{}, sets: map[string]map[string]bool{}},
			}
			z.putSet("s0")
			z.putSet("s1")
			for i := 0; i < steps; i++ {
				z.step(i)
				z.checkState(i)
			}
		})
	}
}
