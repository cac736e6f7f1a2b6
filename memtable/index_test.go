package memtable

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

// version is one entry of a key in the model.
type version struct {
	seq  base.SeqNum
	kind base.InternalKeyKind
	val  string
}

// modelGet is the model's answer to Get(key, seq).
func modelGet(vs []version, seq base.SeqNum) (version, bool) {
	var best version
	found := false
	for _, v := range vs {
		if v.seq <= seq && (!found || v.seq > best.seq) {
			best, found = v, true
		}
	}
	return best, found
}

// TestIndexSaturates fills a small memtable with more keys than its index
// takes: the index saturates, and Get stays exact for every key (indexed
// or not, at the newest and at older sequence numbers) and for absent keys.
func TestIndexSaturates(t *testing.T) {
	m := New(make([]byte, 32<<10))
	if m.index.slots == nil {
		t.Fatal("no index")
	}
	rng := rand.New(rand.NewPCG(3, 3))
	model := map[string][]version{}
	seq := base.SeqNum(0)
	for {
		k := fmt.Sprintf("k%d", rng.IntN(int(m.index.limit)*2))
		seq++
		kind := base.InternalKeyKindSet
		if rng.IntN(5) == 0 {
			kind = base.InternalKeyKindDelete
		}
		v := fmt.Sprint(seq)
		if err := m.Add(base.MakeInternalKey([]byte(k), seq, kind), []byte(v)); err != nil {
			break // full
		}
		model[k] = append(model[k], version{seq, kind, v})
	}
	if !m.index.saturated.Load() || len(model) <= int(m.index.limit) {
		t.Fatalf("%d keys in %d slots (limit %d): saturated %v", len(model), len(m.index.slots), m.index.limit, m.index.saturated.Load())
	}
	for k, vs := range model {
		for _, at := range []base.SeqNum{seq, vs[len(vs)-1].seq, vs[0].seq, vs[0].seq - 1} {
			val, kind, ok := m.Get([]byte(k), at)
			want, wok := modelGet(vs, at)
			if ok != wok || (ok && (kind != want.kind || string(val) != want.val)) {
				t.Fatalf("Get(%s, %d) = %s %q %v, want %+v %v", k, at, kind, val, ok, want, wok)
			}
		}
	}
	for i := range 1000 {
		if _, _, ok := m.Get(fmt.Appendf(nil, "absent%d", i), seq); ok {
			t.Fatalf("absent%d found", i)
		}
	}
}

// TestIndexNewestUnderRaces: writers add versions of a few hot keys with
// sequence numbers drawn from one counter, so that versions of a key are
// linked out of order; a version's sequence number is published once its
// Add returned. A reader that saw a key's published number must then get
// that version or a newer one, never an older one (run with -race).
func TestIndexNewestUnderRaces(t *testing.T) {
	m := New(make([]byte, 8<<20))
	const keys, writers, perWriter = 4, 4, 4000
	var next atomic.Uint64
	var published [keys]atomic.Uint64
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				k := i % keys
				seq := next.Add(1)
				key := fmt.Appendf(nil, "hot%d", k)
				if err := m.Add(base.MakeInternalKey(key, base.SeqNum(seq), base.InternalKeyKindSet), fmt.Appendf(nil, "%d", seq)); err != nil {
					t.Error(err)
					return
				}
				for {
					cur := published[k].Load()
					if seq <= cur || published[k].CompareAndSwap(cur, seq) {
						break
					}
				}
			}
		}()
	}
	done := make(chan struct{})
	var rg sync.WaitGroup
	for r := range 2 {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for i := r; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				k := i % keys
				floor := published[k].Load()
				if floor == 0 {
					continue
				}
				key := fmt.Appendf(nil, "hot%d", k)
				// The prefetches read the slots writers change (-race).
				m.Prefetch(KeyHash(key))
				m.PrefetchEntry(KeyHash(key))
				v, _, ok := m.Get(key, base.SeqNumMax)
				var got uint64
				fmt.Sscan(string(v), &got)
				if !ok || got < floor {
					t.Errorf("hot%d: Get = %q %v after version %d was added", k, v, ok, floor)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	rg.Wait()
	// Quiescent: every key's slot holds its newest version.
	for k := range keys {
		nd, ok := m.index.find(&m.arena, KeyHash(fmt.Appendf(nil, "hot%d", k)), fmt.Appendf(nil, "hot%d", k))
		if !ok || uint64(m.arena.trailer(nd).SeqNum()) != published[k].Load() {
			t.Fatalf("hot%d: slot %v holds seq %d, newest %d", k, ok, m.arena.trailer(nd).SeqNum(), published[k].Load())
		}
	}
}

// TestIndexTags: a slot keeps its node's offset exactly next to the tag,
// and a probe compares tags before keys: a key is found only under the
// hash it was indexed with, even where its slot lies on another hash's
// probe sequence; keys with equal hashes are told apart by their keys.
func TestIndexTags(t *testing.T) {
	lows := map[uint32]bool{}
	for _, size := range []int{MinArenaSize + 64<<10, 1 << 20, 64 << 20} {
		buf := make([]byte, size+arenaAlign)
		for skew := range arenaAlign { // arenas starting at every residue of a 4-byte boundary
			m := New(buf[skew : skew+size])
			x := &m.index
			lows[x.offLow] = true
			if size == 64<<20 && x.offBits != 24 {
				t.Fatalf("64 MiB arena: %d offset bits, want 24 (8 tag bits)", x.offBits)
			}
			var nodes []uint32
			for i := range 3 {
				nd, err := m.points.add(base.MakeInternalKey(fmt.Appendf(nil, "key%d", i), 1, base.InternalKeyKindSet), nil, 1)
				if err != nil {
					t.Fatal(err)
				}
				nodes = append(nodes, nd)
			}
			last := uint32(m.arena.capacity()-1)&^(arenaAlign-1) | uint32(m.arena.size()%arenaAlign)
			for _, nd := range append(nodes, last) {
				for _, h := range []uint64{0, ^uint64(0), 0x9e3779b97f4a7c15} {
					v := x.tagged(h, nd)
					if v == 0 || x.node(v) != nd || v^x.tag(h) >= 1<<x.offBits {
						t.Fatalf("size %d skew %d: node %d hash %#x: slot value %#x decodes to %d", size, skew, nd, h, v, x.node(v))
					}
				}
			}
			// key0 and key1 share a hash, so a tag and a probe sequence;
			// key2's hash has another tag, on the same probe sequence.
			h := uint64(0x0123456789abcdef)
			other := h ^ 1<<63
			if x.tag(other) == x.tag(h) {
				t.Fatal("the tags do not differ")
			}
			for i, hh := range []uint64{h, h, other} {
				x.add(&m.arena, hh, fmt.Appendf(nil, "key%d", i), nodes[i])
			}
			for i, hh := range []uint64{h, h, other} {
				if nd, ok := x.find(&m.arena, hh, fmt.Appendf(nil, "key%d", i)); !ok || nd != nodes[i] {
					t.Fatalf("key%d: find = %d %v, want %d", i, nd, ok, nodes[i])
				}
			}
			// key0 holds the first slot of other's sequence: under other's
			// tag, it is skipped, not compared.
			if nd, ok := x.find(&m.arena, other, []byte("key0")); ok {
				t.Fatalf("key0 found under another tag at node %d", nd)
			}
		}
	}
	if len(lows) != arenaAlign {
		t.Fatalf("node offsets covered %d residues modulo %d, want all", len(lows), arenaAlign)
	}
}
