package codec

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestListModel runs random list commands on two keys against a slice
// model: pushes at both ends, pops with counts, LSET, LINSERT, LREM, LTRIM,
// LMOVE between the keys and onto itself, LMPOP. After every command the
// stored lists equal the model and the store holds exactly their slots.
func TestListModel(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runListModel(t, seed, 3000, false) })
	}
	// Runs of commands in transactions, as in a key batch or EXEC, where
	// pops read slots ahead (TxnStore.Prefetch) among the transaction's
	// own pushes and pops.
	for seed := uint64(5); seed <= 7; seed++ {
		t.Run(fmt.Sprint("txn-seed", seed), func(t *testing.T) { runListModel(t, seed, 3000, true) })
	}
}

func runListModel(t *testing.T, seed uint64, steps int, txn bool) {
	f := newFixture(t)
	db := f.db
	var txks *Keyspace // the transaction under way (txn)
	txnLeft := 0       // its steps still to run
	r := rand.New(rand.NewPCG(seed, seed))
	model := map[string][]string{}
	keys := []string{"k0", "k1"}
	alpha := []string{"a", "b", "c", "d", ""}
	// Now and then an element of 30,000 bytes: a pop's read-ahead
	// (popReadAheadBytes) then stops after a few.
	big := strings.Repeat("x", 30000)
	el := func() string {
		if r.IntN(30) == 0 {
			return big
		}
		return alpha[r.IntN(len(alpha))]
	}
	idx := func(n int) int64 { return int64(r.IntN(2*n+6) - n - 3) } // in range, negative, beyond
	norm := func(i int64, n int) (int, bool) {
		if i < 0 {
			i += int64(n)
		}
		return int(i), i >= 0 && i < int64(n)
	}
	for step := range steps {
		if txn && txks == nil && r.IntN(3) > 0 {
			txks = f.ks.InTransaction(NewTxnStore(f.store))
			db, txnLeft = txks.DB(0), 1+r.IntN(20)
		}
		k := keys[r.IntN(2)]
		l := model[k]
		var what string
		fail := func(format string, a ...any) {
			t.Helper()
			t.Fatalf("step %d %s: %s", step, what, fmt.Sprintf(format, a...))
		}
		switch op := r.IntN(13); op {
		case 0, 1, 2: // push
			left, n := r.IntN(2) == 0, 1+r.IntN(12)
			var es []string
			for range n {
				es = append(es, el())
			}
			what = fmt.Sprintf("PUSH %s left=%v %q", k, left, es)
			args := make([][]byte, len(es))
			for i, e := range es {
				args[i] = b(e)
			}
			got, err := db.Push(b(k), args, left, false)
			for _, e := range es {
				if left {
					l = append([]string{e}, l...)
				} else {
					l = append(l, e)
				}
			}
			if err != nil || got != int64(len(l)) {
				fail("= %d, %v; want %d", got, err, len(l))
			}
		case 3: // pop
			left, count := r.IntN(2) == 0, r.IntN(8)
			what = fmt.Sprintf("POP %s left=%v %d", k, left, count)
			got, found, err := db.Pop(b(k), left, count)
			n := min(count, len(l))
			var want []string
			if left {
				want, l = slices.Clone(l[:n]), l[n:]
			} else {
				want = slices.Clone(l[len(l)-n:])
				slices.Reverse(want)
				l = l[:len(l)-n]
			}
			if err != nil || found != (len(model[k]) > 0) || !sameStrs(got, want) {
				fail("= %q %v %v; want %q", got, found, err, want)
			}
		case 4: // LSET
			i := idx(len(l))
			e := el()
			what = fmt.Sprintf("LSET %s %d %q", k, i, e)
			err := db.LSet(b(k), i, b(e))
			p, ok := norm(i, len(l))
			switch {
			case len(l) == 0:
				if !errors.Is(err, ErrNoSuchKey) {
					fail("%v", err)
				}
			case !ok:
				if !errors.Is(err, ErrIndexOutOfRange) {
					fail("%v", err)
				}
			default:
				l[p] = e
				if err != nil {
					fail("%v", err)
				}
			}
		case 5, 6: // LINSERT
			before, pivot, e := r.IntN(2) == 0, el(), el()
			what = fmt.Sprintf("LINSERT %s before=%v %q %q", k, before, pivot, e)
			got, err := db.LInsert(b(k), before, b(pivot), b(e))
			want := int64(0)
			if len(l) > 0 {
				want = -1
				if p := slices.Index(l, pivot); p >= 0 {
					if !before {
						p++
					}
					l = slices.Insert(l, p, e)
					want = int64(len(l))
				}
			}
			if err != nil || got != want {
				fail("= %d, %v; want %d", got, err, want)
			}
		case 7, 8: // LREM
			count, e := int64(r.IntN(7)-3), el()
			what = fmt.Sprintf("LREM %s %d %q", k, count, e)
			got, err := db.LRem(b(k), count, b(e))
			var removed int64
			if count >= 0 {
				for i := 0; i < len(l); {
					if l[i] == e && (count == 0 || removed < count) {
						l = slices.Delete(l, i, i+1)
						removed++
					} else {
						i++
					}
				}
			} else {
				for i := len(l) - 1; i >= 0; i-- {
					if l[i] == e && removed < -count {
						l = slices.Delete(l, i, i+1)
						removed++
					}
				}
			}
			if err != nil || got != removed {
				fail("= %d, %v; want %d", got, err, removed)
			}
		case 9: // LTRIM
			start, stop := idx(len(l)), idx(len(l))
			if r.IntN(4) == 0 {
				start, stop = 0, int64(max(len(l)-1-r.IntN(20), 0))
			}
			what = fmt.Sprintf("LTRIM %s %d %d", k, start, stop)
			if err := db.LTrim(b(k), start, stop); err != nil {
				fail("%v", err)
			}
			from, to, ok := listRange(int64(len(l)), start, stop)
			if ok {
				l = l[from:to]
			} else {
				l = nil
			}
		case 10, 11: // LMOVE, half of them onto the same key
			dst := keys[r.IntN(2)]
			fromLeft, toLeft := r.IntN(2) == 0, r.IntN(2) == 0
			what = fmt.Sprintf("LMOVE %s %s %v %v", k, dst, fromLeft, toLeft)
			got, found, err := db.LMove(b(k), b(dst), fromLeft, toLeft)
			if len(l) == 0 {
				if found || err != nil {
					fail("= %q %v %v on an empty list", got, found, err)
				}
				break
			}
			var e string
			if fromLeft {
				e, l = l[0], l[1:]
			} else {
				e, l = l[len(l)-1], l[:len(l)-1]
			}
			model[k] = l
			d := model[dst]
			if toLeft {
				d = append([]string{e}, d...)
			} else {
				d = append(slices.Clone(d), e)
			}
			model[dst] = d
			l = model[k]
			if err != nil || !found || string(got) != e {
				fail("= %q %v %v; want %q", got, found, err, e)
			}
		case 12: // LMPOP over both keys
			left, count := r.IntN(2) == 0, 1+r.IntN(5)
			order := []string{k, keys[0], keys[1]}
			what = fmt.Sprintf("LMPOP %q left=%v %d", order, left, count)
			gk, got, found, err := db.LMPop([][]byte{b(order[0]), b(order[1]), b(order[2])}, left, count)
			var wk string
			for _, c := range order {
				if len(model[c]) > 0 {
					wk = c
					break
				}
			}
			if wk == "" {
				if found || err != nil {
					fail("= %s %v %v; want nothing", gk, found, err)
				}
				break
			}
			wl := model[wk]
			n := min(count, len(wl))
			var want []string
			if left {
				want, wl = slices.Clone(wl[:n]), wl[n:]
			} else {
				want = slices.Clone(wl[len(wl)-n:])
				slices.Reverse(want)
				wl = wl[:len(wl)-n]
			}
			model[wk] = wl
			l = model[k]
			if err != nil || !found || string(gk) != wk || !sameStrs(got, want) {
				fail("= %s %q %v %v; want %s %q", gk, got, found, err, wk, want)
			}
		}
		model[k] = l
		if txks != nil {
			if txnLeft--; txnLeft == 0 || step == steps-1 {
				if err := txks.CommitTransaction(); err != nil {
					fail("commit: %v", err)
				}
				txks, db = nil, f.db
			}
		}
		if step%10 == 0 || r.IntN(4) == 0 {
			for _, c := range keys {
				got, err := db.LRange(b(c), 0, -1)
				if err != nil || !sameStrs(got, model[c]) {
					fail("%s holds %q, model %q (%v)", c, got, model[c], err)
				}
				if n, _ := db.LLen(b(c)); n != int64(len(model[c])) {
					fail("LLEN %s = %d, model %d", c, n, len(model[c]))
				}
			}
			if txks == nil {
				f.checkLists()
			}
		}
	}
}

func sameStrs(got [][]byte, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !bytes.Equal(got[i], b(want[i])) {
			return false
		}
	}
	return true
}
