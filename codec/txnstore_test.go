package codec

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// dump renders every key and value of r within [lower, upper) in order,
// walking forward, as "k=v k=v".
func dump(t *testing.T, r Reader, lower, upper []byte) string {
	t.Helper()
	it, err := r.NewIter(lower, upper)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for ok := it.First(); ok; ok = it.Next() {
		fmt.Fprintf(&sb, "%s=%s ", it.Key(), it.Value())
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// dumpReverse is dump walking backward, in the same (ascending) notation.
func dumpReverse(t *testing.T, r Reader, lower, upper []byte) string {
	t.Helper()
	it, err := r.NewIter(lower, upper)
	if err != nil {
		t.Fatal(err)
	}
	var rev []string
	for ok := it.Last(); ok; ok = it.Prev() {
		rev = append(rev, fmt.Sprintf("%s=%s ", it.Key(), it.Value()))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for i := len(rev) - 1; i >= 0; i-- {
		sb.WriteString(rev[i])
	}
	return sb.String()
}

func commitOps(t *testing.T, s Store, ops ...string) {
	t.Helper()
	bt := s.NewBatch()
	for _, op := range ops {
		f := strings.Fields(op)
		switch f[0] {
		case "set":
			bt.Set(b(f[1]), b(f[2]))
		case "del":
			bt.Delete(b(f[1]))
		case "delrange":
			bt.DeleteRange(b(f[1]), b(f[2]))
		default:
			t.Fatalf("bad op %q", op)
		}
	}
	if err := s.Commit(bt); err != nil {
		t.Fatal(err)
	}
}

func getString(t *testing.T, r Reader, k string) string {
	t.Helper()
	v, err := r.Get(b(k))
	if errors.Is(err, ErrNotFound) {
		return "<nil>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

func TestTxnStore(t *testing.T) {
	base := NewMemStore()
	commitOps(t, base, "set a 1", "set b 2", "set c 3", "set d 4", "set e 5")
	before := dump(t, base, nil, nil)
	txn := NewTxnStore(base)
	if !txn.Empty() || txn.Pending() != nil {
		t.Fatal("a new TxnStore has something pending")
	}
	if got := dump(t, txn, nil, nil); got != before {
		t.Fatalf("empty overlay = %q, want %q", got, before)
	}

	commitOps(t, txn, "set bb x", "delrange b d", "set c 30", "del e", "set f 6")
	for k, want := range map[string]string{"a": "1", "b": "<nil>", "bb": "<nil>", "c": "30", "d": "4", "e": "<nil>", "f": "6"} {
		if got := getString(t, txn, k); got != want {
			t.Errorf("Get(%s) = %s, want %s", k, got, want)
		}
	}
	const want = "a=1 c=30 d=4 f=6 "
	if got := dump(t, txn, nil, nil); got != want {
		t.Fatalf("forward = %q, want %q", got, want)
	}
	if got := dumpReverse(t, txn, nil, nil); got != want {
		t.Fatalf("backward = %q, want %q", got, want)
	}
	if got := dump(t, txn, b("b"), b("e")); got != "c=30 d=4 " {
		t.Fatalf("bounded = %q", got)
	}

	// Get returns a fresh copy.
	v, _ := txn.Get(b("c"))
	v[0] = 'X'
	if got := getString(t, txn, "c"); got != "30" {
		t.Fatal("Get returned a shared slice")
	}

	// A snapshot and an iterator freeze the pending state.
	snap := txn.NewSnapshot()
	it, err := txn.NewIter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	commitOps(t, txn, "delrange a z", "set q 9")
	if got := dump(t, snap, nil, nil); got != want {
		t.Fatalf("snapshot = %q, want %q", got, want)
	}
	if got := getString(t, snap, "q"); got != "<nil>" {
		t.Fatal("snapshot sees a later write")
	}
	var keys []string
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, string(it.Key()))
	}
	if strings.Join(keys, ",") != "a,c,d,f" || it.Close() != nil || it.Close() == nil {
		t.Fatalf("iterator across a commit = %v", keys)
	}
	if snap.Close() != nil || snap.Close() == nil {
		t.Fatal("snapshot Close")
	}
	if got := dump(t, txn, nil, nil); got != "q=9 " {
		t.Fatalf("after delrange = %q", got)
	}

	// Batches are checked.
	bt := txn.NewBatch()
	bt.Set(b("k"), b("v"))
	if txn.Commit(bt) != nil || txn.Commit(bt) == nil {
		t.Fatal("a batch committed twice")
	}
	if txn.Commit(base.NewBatch()) == nil || txn.Commit(NewTxnStore(base).NewBatch()) == nil {
		t.Fatal("a foreign batch committed")
	}

	// The base is untouched until Pending is committed to it.
	if got := dump(t, base, nil, nil); got != before {
		t.Fatalf("base changed to %q", got)
	}
	if txn.Empty() {
		t.Fatal("Empty with writes pending")
	}
	if err := base.Commit(txn.Pending()); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, base, nil, nil); got != "k=v q=9 " {
		t.Fatalf("base after Pending = %q", got)
	}
}

// TestTxnStoreEmptyRange checks that an empty or inverted DeleteRange is a
// no-op, as it is on the base.
func TestTxnStoreEmptyRange(t *testing.T) {
	base := NewMemStore()
	commitOps(t, base, "set b 1", "set c 2")
	txn := NewTxnStore(base)
	commitOps(t, txn, "delrange c b", "delrange b b")
	if !txn.Empty() || dump(t, txn, nil, nil) != "b=1 c=2 " {
		t.Fatal("an empty range deleted something")
	}
}

// failStore is a base whose iterators fail after a number of positionings.
type failStore struct {
	*MemStore
	after int
}

var errInjected = errors.New("injected")

func (s failStore) NewIter(lower, upper []byte) (Iterator, error) {
	it, err := s.MemStore.NewIter(lower, upper)
	return &failIter{Iterator: it, left: s.after}, err
}

type failIter struct {
	Iterator
	left int
	err  error
}

func (it *failIter) step(ok bool) bool {
	if it.err != nil {
		return false
	}
	if it.left--; it.left < 0 {
		it.err = errInjected
		return false
	}
	return ok
}

func (it *failIter) Valid() bool          { return it.err == nil && it.Iterator.Valid() }
func (it *failIter) Error() error         { return it.err }
func (it *failIter) First() bool          { return it.step(it.Iterator.First()) }
func (it *failIter) Last() bool           { return it.step(it.Iterator.Last()) }
func (it *failIter) Next() bool           { return it.step(it.Iterator.Next()) }
func (it *failIter) Prev() bool           { return it.step(it.Iterator.Prev()) }
func (it *failIter) SeekGE(k []byte) bool { return it.step(it.Iterator.SeekGE(k)) }
func (it *failIter) SeekLT(k []byte) bool { return it.step(it.Iterator.SeekLT(k)) }

// TestTxnStoreIterError checks that a base iterator's error ends the merged
// iteration and is reported, even when pending keys remain.
func TestTxnStoreIterError(t *testing.T) {
	mem := NewMemStore()
	commitOps(t, mem, "set a 1", "set c 2", "set e 3")
	txn := NewTxnStore(failStore{mem, 2})
	commitOps(t, txn, "set b x", "set d y", "set f z")
	it, err := txn.NewIter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	if !errors.Is(it.Error(), errInjected) || n == 6 || it.Valid() || it.SeekGE(b("a")) {
		t.Fatalf("after %d keys, Error = %v", n, it.Error())
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTxnStoreSkipsDeletedRange checks that a pending range deletion over
// many base keys costs the merged iterator one base seek, not a step per key.
func TestTxnStoreSkipsDeletedRange(t *testing.T) {
	mem := NewMemStore()
	bt := mem.NewBatch()
	for i := range 1000 {
		bt.Set(fmt.Appendf(nil, "d%04d", i), b("v"))
	}
	bt.Set(b("a"), b("1"))
	bt.Set(b("z"), b("2"))
	mem.Commit(bt)
	const budget = 1 << 30
	txn := NewTxnStore(failStore{mem, budget})
	commitOps(t, txn, "delrange d e", "set d0500 x")
	it, err := txn.NewIter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, string(it.Key()))
	}
	for ok := it.Last(); ok; ok = it.Prev() {
		keys = append(keys, string(it.Key()))
	}
	if got := strings.Join(keys, ","); got != "a,d0500,z,z,d0500,a" {
		t.Fatalf("keys = %s", got)
	}
	if calls := budget - it.(*txnIter).base.(*failIter).left; calls > 12 {
		t.Fatalf("%d base positionings for two walks over 3 keys", calls)
	}
	it.Close()
}

// TestTxnStoreConcurrent runs readers against a committing writer: every
// batch rewrites all ten keys with one value, so a reader that sees two
// values has seen a half-applied batch or a pending state modified under it.
func TestTxnStoreConcurrent(t *testing.T) {
	mem := NewMemStore()
	commitOps(t, mem, "set k0 base", "set k5 base", "set zz base")
	txn := NewTxnStore(mem)
	const batches = 300
	done := make(chan struct{})
	errc := make(chan error, 3)
	go func() {
		defer close(done)
		for i := range batches {
			bt := txn.NewBatch()
			if i%7 == 0 {
				bt.DeleteRange(b("k"), b("l"))
			}
			for k := range 10 {
				bt.Set(fmt.Appendf(nil, "k%d", k), fmt.Appendf(nil, "%d", i))
			}
			if err := txn.Commit(bt); err != nil {
				errc <- err
				return
			}
		}
	}()
	read := func(r Reader) error {
		it, err := r.NewIter(b("k"), b("l"))
		if err != nil {
			return err
		}
		defer it.Close()
		var vals []string
		for ok := it.Last(); ok; ok = it.Prev() {
			vals = append(vals, string(it.Value()))
		}
		switch {
		case len(vals) == 2 && vals[0] == "base" && vals[1] == "base":
		case len(vals) == 10 && !slices.ContainsFunc(vals, func(v string) bool { return v != vals[0] }):
		default:
			return fmt.Errorf("torn read %v", vals)
		}
		return nil
	}
	for range 2 {
		go func() {
			for {
				select {
				case <-done:
					errc <- nil
					return
				default:
				}
				snap := txn.NewSnapshot()
				err := read(snap)
				if err == nil {
					err = read(txn)
				}
				snap.Close()
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if got := getString(t, txn, "k9"); got != fmt.Sprint(batches-1) {
		t.Fatalf("k9 = %s", got)
	}
}

// TestTxnStoreRandom is the model test: random batches of sets, deletes and
// range deletions over a small key alphabet go to a TxnStore over a MemStore
// holding some data, and to a model MemStore with the same data. Gets,
// iterators (kept open across commits) and snapshots must agree with the
// model; now and then the transaction ends: its Pending batch is committed to
// the base, which must then equal the model, and a new TxnStore starts.
// Until then the base must not change. More seeds: STRATA_TXN_SEEDS=500.
func TestTxnStoreRandom(t *testing.T) {
	seeds, steps := uint64(12), 2000
	if testing.Short() {
		seeds = 4
	}
	if n, err := strconv.ParseUint(os.Getenv("STRATA_TXN_SEEDS"), 10, 64); err == nil && n > 0 {
		seeds = n
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runTxnModel(t, seed, steps) })
	}
}

type txnModel struct {
	t     *testing.T
	rng   *rand.Rand
	base  *MemStore
	model *MemStore
	txn   *TxnStore
	// before is the base's content when txn started.
	before string
	iters  []iterPair
	snaps  []snapPair
	log    []string // the operations so far, printed on failure
}

type iterPair struct {
	got, want Iterator
	name      string
}

type snapPair struct{ got, want Snapshot }

func runTxnModel(t *testing.T, seed uint64, steps int) {
	m := &txnModel{
		t:     t,
		rng:   rand.New(rand.NewPCG(seed, seed*0x9e3779b97f4a7c15)),
		base:  NewMemStore(),
		model: NewMemStore(),
	}
	defer func() {
		if t.Failed() {
			start := max(0, len(m.log)-40)
			t.Logf("last operations:\n%s", strings.Join(m.log[start:], "\n"))
		}
	}()
	for range m.rng.IntN(20) {
		k, v := m.key(), m.value()
		for _, s := range []Store{m.base, m.model} {
			bt := s.NewBatch()
			bt.Set(k, v)
			if err := s.Commit(bt); err != nil {
				t.Fatal(err)
			}
		}
	}
	m.begin()
	for step := 0; step < steps && !t.Failed(); step++ {
		switch r := m.rng.IntN(100); {
		case r < 30:
			m.batch()
		case r < 45:
			k := m.key()
			m.logf("get %s", k)
			m.checkGet(m.txn, m.model, k)
		case r < 60:
			m.openIter()
		case r < 72:
			if len(m.iters) > 0 {
				m.walk(m.iters[m.rng.IntN(len(m.iters))], 1+m.rng.IntN(12))
			}
		case r < 77:
			m.logf("snapshot %d", len(m.snaps))
			m.snaps = append(m.snaps, snapPair{m.txn.NewSnapshot(), m.model.NewSnapshot()})
		case r < 87:
			m.readSnapshot()
		case r < 93:
			m.closeSome()
		case r < 97:
			m.checkBaseUntouched()
		default:
			m.exec()
		}
	}
	m.exec()
}

func (m *txnModel) logf(format string, args ...any) {
	m.log = append(m.log, fmt.Sprintf(format, args...))
}

// key returns one of 42 short keys, so that operations collide.
func (m *txnModel) key() []byte {
	const alphabet = "abcdef"
	k := []byte{alphabet[m.rng.IntN(len(alphabet))]}
	if m.rng.IntN(2) == 0 {
		k = append(k, alphabet[m.rng.IntN(len(alphabet))])
	}
	return k
}

func (m *txnModel) value() []byte { return fmt.Appendf(nil, "v%d", m.rng.IntN(1000)) }

// bound returns nil (unbounded) a third of the time, else a key.
func (m *txnModel) bound() []byte {
	if m.rng.IntN(3) == 0 {
		return nil
	}
	return m.key()
}

// begin starts a transaction over the current base.
func (m *txnModel) begin() {
	m.txn = NewTxnStore(m.base)
	m.before = dump(m.t, m.base, nil, nil)
	m.logf("begin: base %s", m.before)
}

// batch commits the same random batch to the TxnStore and to the model.
func (m *txnModel) batch() {
	got, want := m.txn.NewBatch(), m.model.NewBatch()
	var desc []string
	for range 1 + m.rng.IntN(6) {
		switch r := m.rng.IntN(8); {
		case r < 4:
			k, v := m.key(), m.value()
			got.Set(k, v)
			want.Set(k, v)
			desc = append(desc, fmt.Sprintf("set %s %s", k, v))
		case r < 6:
			k := m.key()
			got.Delete(k)
			want.Delete(k)
			desc = append(desc, fmt.Sprintf("del %s", k))
		default:
			s, e := m.key(), m.key()
			if bytes.Compare(s, e) > 0 && m.rng.IntN(4) != 0 {
				s, e = e, s // mostly well-formed, sometimes inverted
			}
			got.DeleteRange(s, e)
			want.DeleteRange(s, e)
			desc = append(desc, fmt.Sprintf("delrange %s %s", s, e))
		}
	}
	m.logf("batch: %s", strings.Join(desc, ", "))
	if err := m.txn.Commit(got); err != nil {
		m.t.Fatal(err)
	}
	if err := m.model.Commit(want); err != nil {
		m.t.Fatal(err)
	}
}

func (m *txnModel) checkGet(got, want Reader, k []byte) {
	m.t.Helper()
	gv, gerr := got.Get(k)
	wv, werr := want.Get(k)
	if !bytes.Equal(gv, wv) || !errors.Is(gerr, werr) && !errors.Is(werr, gerr) {
		m.t.Fatalf("Get(%s) = %q, %v; want %q, %v", k, gv, gerr, wv, werr)
	}
	// GetAppend appends the same value to what dst holds.
	if ag, ok := got.(appendGetter); ok {
		dst := append(make([]byte, 0, m.rng.IntN(8)), "dst:"...)
		av, aerr := ag.GetAppend(dst, k)
		if !errors.Is(aerr, gerr) && !errors.Is(gerr, aerr) ||
			aerr == nil && (!bytes.HasPrefix(av, []byte("dst:")) || !bytes.Equal(av[4:], wv)) {
			m.t.Fatalf("GetAppend(dst:, %s) = %q, %v; want dst:%q, %v", k, av, aerr, wv, werr)
		}
	}
}

// openIter creates an iterator pair with random bounds, walks it, and keeps
// it open a third of the time.
func (m *txnModel) openIter() {
	m.openIterOn(m.txn, m.model, "txn")
}

func (m *txnModel) openIterOn(got, want Reader, what string) {
	lower, upper := m.bound(), m.bound()
	gi, err := got.NewIter(lower, upper)
	if err != nil {
		m.t.Fatal(err)
	}
	wi, err := want.NewIter(lower, upper)
	if err != nil {
		m.t.Fatal(err)
	}
	p := iterPair{gi, wi, fmt.Sprintf("%s iter [%q, %q)", what, lower, upper)}
	m.logf("open %s", p.name)
	m.walk(p, 1+m.rng.IntN(20))
	if m.rng.IntN(3) == 0 {
		m.iters = append(m.iters, p)
		return
	}
	m.closeIter(p)
}

// walk runs n random positioning calls on both iterators, comparing them
// after each.
func (m *txnModel) walk(p iterPair, n int) {
	m.t.Helper()
	for range n {
		var op string
		var g, w bool
		switch r := m.rng.IntN(10); {
		case r < 3 && p.want.Valid():
			op = "next"
			g, w = p.got.Next(), p.want.Next()
		case r < 6 && p.want.Valid():
			op = "prev"
			g, w = p.got.Prev(), p.want.Prev()
		case r < 7:
			op = "first"
			g, w = p.got.First(), p.want.First()
		case r < 8:
			op = "last"
			g, w = p.got.Last(), p.want.Last()
		case r < 9:
			k := m.key()
			op = fmt.Sprintf("seekge %s", k)
			g, w = p.got.SeekGE(k), p.want.SeekGE(k)
		default:
			k := m.key()
			op = fmt.Sprintf("seeklt %s", k)
			g, w = p.got.SeekLT(k), p.want.SeekLT(k)
		}
		m.logf("  %s: %s -> %v %s", p.name, op, w, p.want.Key())
		if g != w || p.got.Valid() != w {
			m.t.Fatalf("%s: %s = %v (Valid %v), want %v", p.name, op, g, p.got.Valid(), w)
		}
		if err := p.got.Error(); err != nil {
			m.t.Fatalf("%s: %s: %v", p.name, op, err)
		}
		if w && (!bytes.Equal(p.got.Key(), p.want.Key()) || !bytes.Equal(p.got.Value(), p.want.Value())) {
			m.t.Fatalf("%s: %s at %s=%s, want %s=%s", p.name, op, p.got.Key(), p.got.Value(), p.want.Key(), p.want.Value())
		}
	}
}

func (m *txnModel) closeIter(p iterPair) {
	if err := p.got.Close(); err != nil {
		m.t.Fatal(err)
	}
	p.want.Close()
}

// readSnapshot checks a Get, full walks in both directions and a random walk
// on a kept snapshot.
func (m *txnModel) readSnapshot() {
	if len(m.snaps) == 0 {
		return
	}
	i := m.rng.IntN(len(m.snaps))
	s := m.snaps[i]
	k := m.key()
	m.logf("snapshot %d: get %s", i, k)
	m.checkGet(s.got, s.want, k)
	lower, upper := m.bound(), m.bound()
	if got, want := dump(m.t, s.got, lower, upper), dump(m.t, s.want, lower, upper); got != want {
		m.t.Fatalf("snapshot %d [%q, %q) = %q, want %q", i, lower, upper, got, want)
	}
	if got, want := dumpReverse(m.t, s.got, lower, upper), dump(m.t, s.want, lower, upper); got != want {
		m.t.Fatalf("snapshot %d [%q, %q) backward = %q, want %q", i, lower, upper, got, want)
	}
	m.openIterOn(s.got, s.want, fmt.Sprintf("snapshot %d", i))
}

// closeSome closes a random kept iterator and snapshot.
func (m *txnModel) closeSome() {
	if n := len(m.iters); n > 0 {
		i := m.rng.IntN(n)
		m.logf("close %s", m.iters[i].name)
		m.closeIter(m.iters[i])
		m.iters = append(m.iters[:i], m.iters[i+1:]...)
	}
	if n := len(m.snaps); n > 0 && m.rng.IntN(2) == 0 {
		i := m.rng.IntN(n)
		m.logf("close snapshot %d", i)
		if err := m.snaps[i].got.Close(); err != nil {
			m.t.Fatal(err)
		}
		m.snaps[i].want.Close()
		m.snaps = append(m.snaps[:i], m.snaps[i+1:]...)
	}
}

func (m *txnModel) checkBaseUntouched() {
	m.t.Helper()
	if got := dump(m.t, m.base, nil, nil); got != m.before {
		m.t.Fatalf("the base changed before EXEC: %q, was %q", got, m.before)
	}
}

// exec ends the transaction: everything open is closed, Pending is
// committed to the base, and the base must equal the model.
func (m *txnModel) exec() {
	m.t.Helper()
	m.checkBaseUntouched()
	for _, p := range m.iters {
		m.closeIter(p)
	}
	for _, s := range m.snaps {
		if err := s.got.Close(); err != nil {
			m.t.Fatal(err)
		}
		s.want.Close()
	}
	m.iters, m.snaps = nil, nil
	if got, want := dump(m.t, m.txn, nil, nil), dump(m.t, m.model, nil, nil); got != want {
		m.t.Fatalf("before EXEC: txn %q, model %q", got, want)
	}
	p := m.txn.Pending()
	if (p == nil) != m.txn.Empty() {
		m.t.Fatalf("Pending nil = %v, Empty = %v", p == nil, m.txn.Empty())
	}
	m.logf("exec")
	if p != nil {
		if err := m.base.Commit(p); err != nil {
			m.t.Fatal(err)
		}
	}
	if got, want := dump(m.t, m.base, nil, nil), dump(m.t, m.model, nil, nil); got != want {
		m.t.Fatalf("base after EXEC = %q, model %q", got, want)
	}
	m.begin()
}

// BenchmarkTxnStoreCommit commits one-write batches of random keys, the
// shape of a long MULTI, reading each key back.
func BenchmarkTxnStoreCommit(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	txn := NewTxnStore(NewMemStore())
	for b.Loop() {
		k := fmt.Appendf(nil, "k%08d", rng.IntN(1<<24))
		bt := txn.NewBatch()
		bt.Set(k, k)
		if err := txn.Commit(bt); err != nil {
			b.Fatal(err)
		}
		if _, err := txn.Get(k); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTxnStoreCommitsInPlace checks that commits with no iterator, snapshot
// or Pending between them copy no tree paths (invariant 4), and that one
// handed-out state still stays frozen.
func TestTxnStoreCommitsInPlace(t *testing.T) {
	txn := NewTxnStore(NewMemStore())
	commit := func(k, v string) {
		bt := txn.NewBatch()
		bt.Set(b(k), b(v))
		if err := txn.Commit(bt); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 200 {
		commit(fmt.Sprintf("k%03d", i), "v0")
	}
	// A batch, its op list and its copy buffer; a copied path would add
	// about log2(200) nodes.
	if n := testing.AllocsPerRun(100, func() { commit("k100", "v1") }); n > 3 {
		t.Errorf("an update commit made %.0f allocations, want at most 3", n)
	}
	if got := getString(t, txn, "k100"); got != "v1" {
		t.Fatalf("k100 = %q", got)
	}
	snap := txn.NewSnapshot()
	defer snap.Close()
	commit("k100", "v2")
	commit("k100", "v3")
	if got := getString(t, snap, "k100"); got != "v1" {
		t.Fatalf("snapshot sees k100 = %q, want v1", got)
	}
	if got := getString(t, txn, "k100"); got != "v3" {
		t.Fatalf("k100 = %q, want v3", got)
	}
}

// TestTxnBatchReset: a batch reused after Reset (as writeBatch.release
// recycles it) leaves the keys and values its earlier commits put in the
// pending state as they were.
func TestTxnBatchReset(t *testing.T) {
	txn := NewTxnStore(NewMemStore())
	bt := txn.NewBatch()
	for i := range 100 {
		bt.Set(fmt.Appendf(nil, "k%03d", i), fmt.Appendf(nil, "v%03d", i))
		if err := txn.Commit(bt); err != nil {
			t.Fatal(err)
		}
		bt.(resettable).Reset()
	}
	bt.Delete(b("k050"))
	if err := txn.Commit(bt); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		want := fmt.Sprintf("v%03d", i)
		if i == 50 {
			want = "<nil>"
		}
		if got := getString(t, txn, fmt.Sprintf("k%03d", i)); got != want {
			t.Fatalf("k%03d = %q, want %q", i, got, want)
		}
	}
}

// TestTxnStorePrefetch: after Prefetch, Gets of keys in the range are
// answered without base reads, pending writes first; values are copies;
// keys outside the range still read the base; Covers reports the range.
// (countingStore is list_test.go's.)
func TestTxnStorePrefetch(t *testing.T) {
	base := &countingStore{MemStore: NewMemStore()}
	bt := base.NewBatch()
	for i := 0; i < 20; i += 2 { // k00, k02, ..., k18
		bt.Set(fmt.Appendf(nil, "k%02d", i), fmt.Appendf(nil, "v%02d", i))
	}
	if err := base.Commit(bt); err != nil {
		t.Fatal(err)
	}
	txn := NewTxnStore(base)
	pb := txn.NewBatch()
	pb.Set(b("k04"), b("pending"))
	pb.Delete(b("k06"))
	pb.Set(b("k07"), b("new"))
	if err := txn.Commit(pb); err != nil {
		t.Fatal(err)
	}
	if txn.Covers(b("k00"), b("k10")) {
		t.Fatal("covered before any Prefetch")
	}
	if _, _, err := txn.Prefetch(b("k00"), b("k10"), false, 1<<20); err != nil {
		t.Fatal(err)
	}
	if !txn.Covers(b("k02"), b("k10")) || txn.Covers(b("k02"), b("k11")) {
		t.Fatal("Covers disagrees with the range read")
	}
	want := map[string]string{"k00": "v00", "k02": "v02", "k04": "pending", "k07": "new", "k08": "v08"}
	for i := 0; i < 10; i++ {
		k := fmt.Sprintf("k%02d", i)
		v, err := txn.Get(b(k))
		if w, ok := want[k]; ok {
			if err != nil || string(v) != w {
				t.Fatalf("%s = %q, %v; want %q", k, v, err, w)
			}
			v[0] = 'X' // a copy: the next read is unchanged
			if v2, _ := txn.Get(b(k)); string(v2) != w {
				t.Fatalf("%s changed to %q after its copy was written", k, v2)
			}
			if v3, err := txn.GetAppend(b("dst:"), b(k)); err != nil || string(v3) != "dst:"+w {
				t.Fatalf("GetAppend(dst:, %s) = %q, %v; want dst:%s", k, v3, err, w)
			}
		} else if err != ErrNotFound {
			t.Fatalf("%s = %q, %v; want not found", k, v, err)
		}
	}
	if base.gets != 0 {
		t.Fatalf("%d base reads inside the range read ahead", base.gets)
	}
	if v, err := txn.Get(b("k12")); err != nil || string(v) != "v12" || base.gets != 1 {
		t.Fatalf("k12 = %q, %v after %d base reads", v, err, base.gets)
	}

	// A reverse read ahead that fits in maxBytes keeps the same entries.
	base.gets = 0
	rtxn := NewTxnStore(base)
	if _, _, err := rtxn.Prefetch(b("k03"), b("k12"), true, 1<<20); err != nil {
		t.Fatal(err)
	}
	if !rtxn.Covers(b("k03"), b("k12")) || rtxn.Covers(b("k02"), b("k12")) {
		t.Fatal("Covers disagrees with the range read in reverse")
	}
	for i := 3; i < 12; i++ {
		k := fmt.Sprintf("k%02d", i)
		v, err := rtxn.Get(b(k))
		if i%2 == 0 {
			if err != nil || string(v) != fmt.Sprintf("v%02d", i) {
				t.Fatalf("reverse: %s = %q, %v", k, v, err)
			}
		} else if err != ErrNotFound {
			t.Fatalf("reverse: %s = %q, %v; want not found", k, v, err)
		}
	}
	if base.gets != 0 {
		t.Fatalf("%d base reads inside the range read ahead in reverse", base.gets)
	}
}

// TestTxnStorePrefetchBytes: a read ahead stops past maxBytes, and keeps
// only what it read, from the end it started at.
func TestTxnStorePrefetchBytes(t *testing.T) {
	base := &countingStore{MemStore: NewMemStore()}
	bt := base.NewBatch()
	for i := range 10 { // k0..k9, 100-byte values
		bt.Set(fmt.Appendf(nil, "k%d", i), bytes.Repeat([]byte{byte('a' + i)}, 100))
	}
	if err := base.Commit(bt); err != nil {
		t.Fatal(err)
	}
	for _, reverse := range []bool{false, true} {
		txn := NewTxnStore(base)
		// Past 250 bytes after three entries of 102.
		if kept, cut, err := txn.Prefetch(b("k0"), b("k9~"), reverse, 250); err != nil || kept != 3 || !cut {
			t.Fatalf("reverse=%v: Prefetch kept %d entries, cut %v, %v; want 3, cut", reverse, kept, cut, err)
		}
		read, unread := []string{"k0", "k1", "k2"}, []string{"k3", "k9"}
		if reverse {
			read, unread = []string{"k7", "k8", "k9"}, []string{"k0", "k6"}
		}
		if !txn.Covers(b(read[0]), append(b(read[2]), 0)) {
			t.Fatalf("reverse=%v: %v not covered", reverse, read)
		}
		base.gets = 0
		for _, k := range read {
			if v, err := txn.Get(b(k)); err != nil || len(v) != 100 || v[0] != 'a'+k[1]-'0' {
				t.Fatalf("reverse=%v: %s = %q, %v", reverse, k, v, err)
			}
		}
		if base.gets != 0 {
			t.Fatalf("reverse=%v: %d base reads for keys read ahead", reverse, base.gets)
		}
		for _, k := range unread {
			if txn.Covers(b(k), append(b(k), 0)) {
				t.Fatalf("reverse=%v: %s covered but not read", reverse, k)
			}
			if v, err := txn.Get(b(k)); err != nil || len(v) != 100 {
				t.Fatalf("reverse=%v: %s = %q, %v", reverse, k, v, err)
			}
		}
		if base.gets != len(unread) {
			t.Fatalf("reverse=%v: %d base reads for %d keys not read ahead", reverse, base.gets, len(unread))
		}
	}
}

// TestTxnStorePrefetchReuse: a read ahead reuses the buffers of the one
// before it, narrowed bounds included: each range read in turn is covered
// exactly, with the right values, and values read before stay unchanged.
func TestTxnStorePrefetchReuse(t *testing.T) {
	base := &countingStore{MemStore: NewMemStore()}
	bt := base.NewBatch()
	for i := range 40 { // k00..k39, 100-byte values
		bt.Set(fmt.Appendf(nil, "k%02d", i), bytes.Repeat([]byte{byte('A' + i)}, 100))
	}
	if err := base.Commit(bt); err != nil {
		t.Fatal(err)
	}
	txn := NewTxnStore(base)
	var kept [][]byte // values read so far, with the byte each must hold
	steps := []struct {
		lower, upper string
		reverse      bool
		first, last  int // the keys read ahead (past 250 bytes: three)
	}{
		{"k30", "k40", true, 37, 39},
		{"k00", "k20", false, 0, 2},
		{"k10", "k13", true, 10, 12},
		{"k20", "k30", true, 27, 29},
		{"k05", "k35", false, 5, 7},
	}
	for _, s := range steps {
		if _, _, err := txn.Prefetch(b(s.lower), b(s.upper), s.reverse, 250); err != nil {
			t.Fatal(err)
		}
		lo, hi := fmt.Sprintf("k%02d", s.first), fmt.Sprintf("k%02d", s.last)
		if !txn.Covers(b(lo), append(b(hi), 0)) {
			t.Fatalf("%+v: [%s, %s] not covered", s, lo, hi)
		}
		if s.first > 0 && txn.Covers(b(fmt.Sprintf("k%02d", s.first-1)), b(lo)) {
			t.Fatalf("%+v: the key before %s covered", s, lo)
		}
		if txn.Covers(b(hi), b(fmt.Sprintf("k%02d~", s.last+1))) {
			t.Fatalf("%+v: the key after %s covered", s, hi)
		}
		base.gets = 0
		for i := s.first; i <= s.last; i++ {
			v, err := txn.Get(fmt.Appendf(nil, "k%02d", i))
			if err != nil || !bytes.Equal(v, bytes.Repeat([]byte{byte('A' + i)}, 100)) {
				t.Fatalf("%+v: k%02d = %.10q..., %v", s, i, v, err)
			}
			kept = append(kept, v)
		}
		if base.gets != 0 {
			t.Fatalf("%+v: %d base reads inside the range read ahead", s, base.gets)
		}
		for _, v := range kept {
			if !bytes.Equal(v, bytes.Repeat(v[:1], 100)) {
				t.Fatalf("%+v: a value read before changed to %.10q...", s, v)
			}
		}
	}
}

// recyclingStore is a MemStore that takes back batches (BatchRecycler).
type recyclingStore struct {
	*MemStore
	committed map[Batch]bool
	recycled  []Batch
}

func (s *recyclingStore) Commit(b Batch) error {
	s.committed[b] = true
	return s.MemStore.Commit(b)
}

func (s *recyclingStore) RecycleBatch(b Batch) { s.recycled = append(s.recycled, b) }

// TestTxnStoreRecyclesPending: a transaction's commit gives its pending
// batch back to a base that recycles batches, once committed; a
// transaction that wrote nothing commits and recycles nothing.
func TestTxnStoreRecyclesPending(t *testing.T) {
	base := &recyclingStore{MemStore: NewMemStore(), committed: map[Batch]bool{}}
	ks := New(base, nil)
	for round := range 3 {
		tks := ks.InTransaction(NewTxnStore(base))
		if _, err := tks.DB(0).Set(fmt.Appendf(nil, "k%d", round), b("v"), SetOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := tks.CommitTransaction(); err != nil {
			t.Fatal(err)
		}
		if len(base.recycled) != round+1 || !base.committed[base.recycled[round]] {
			t.Fatalf("round %d: %d batches recycled, the last committed: %v", round, len(base.recycled), base.committed[base.recycled[len(base.recycled)-1]])
		}
		if v, found, err := ks.DB(0).Get(fmt.Appendf(nil, "k%d", round)); err != nil || !found || string(v) != "v" {
			t.Fatalf("round %d: k%d = %q, %v, %v", round, round, v, found, err)
		}
	}
	if err := ks.InTransaction(NewTxnStore(base)).CommitTransaction(); err != nil || len(base.recycled) != 3 {
		t.Fatalf("an empty transaction: %v, %d batches recycled", err, len(base.recycled))
	}
}
