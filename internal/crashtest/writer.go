package crashtest

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// keysPerFamily is the number of keys of each family a writer owns.
const keysPerFamily = 3

// writer owns a set of keys and runs commands on them, one at a time. Its
// model persists across cycles: after each restart it is reset to what the
// server shows.
type writer struct {
	id    int
	names []string
	keys  []*keyState
	rng   *rand.Rand
	// n counts commands over the whole run, for unique values.
	n int

	// Per cycle: start holds each key's canonical state at the start of
	// the cycle, ops the commands sent, in order.
	start []string
	ops   []op
	// acked is the number of ops acknowledged (a prefix of ops: the writer
	// waits for each reply before sending the next command).
	acked atomic.Int64
	// flushFloor is the number of ops acknowledged before the start of the
	// last FLUSHMEMTABLE that completed.
	flushFloor atomic.Int64
}

// op is one command (or MULTI/EXEC) of a writer and its effect on the
// model: the keys it changed and their canonical states after it.
type op struct {
	keys    []int
	after   []string
	desc    string
	ackedAt time.Time
}

func newWriter(id int, seed uint64) *writer {
	w := &writer{id: id, rng: rand.New(rand.NewPCG(seed, uint64(id)))}
	for f := family(0); f < numFamilies; f++ {
		for i := 0; i < keysPerFamily; i++ {
			w.names = append(w.names, fmt.Sprintf("w%d:%s:%d", id, familyNames[f], i))
			w.keys = append(w.keys, newKeyState(f))
		}
	}
	return w
}

// beginCycle records the model's current states as the cycle's start.
func (w *writer) beginCycle() {
	w.start = w.start[:0]
	for _, k := range w.keys {
		w.start = append(w.start, k.canon())
	}
	w.ops = w.ops[:0]
	w.acked.Store(0)
	w.flushFloor.Store(0)
}

// run sends commands until the connection fails or stop is closed. It
// returns a description of the first reply that differed from the model's
// expectation ("" if none): a server bug.
func (w *writer) run(addr string, stop <-chan struct{}) string {
	c, err := dial(addr)
	if err != nil {
		return ""
	}
	defer c.close()
	for {
		select {
		case <-stop:
			return ""
		default:
		}
		var cmds []command
		var o op
		if w.rng.IntN(10) == 0 {
			// MULTI/EXEC over two distinct keys: one atomic op.
			a := w.rng.IntN(len(w.keys))
			b := (a + 1 + w.rng.IntN(len(w.keys)-1)) % len(w.keys)
			ca, cb := w.step(a), w.step(b)
			cmds = []command{
				{args: []string{"MULTI"}, reply: "+OK"},
				{args: ca.args, reply: "+QUEUED"},
				{args: cb.args, reply: "+QUEUED"},
				{args: []string{"EXEC"}, reply: "*[" + ca.reply + "," + cb.reply + "]"},
			}
			o = op{keys: []int{a, b}, after: []string{w.keys[a].canon(), w.keys[b].canon()},
				desc: fmt.Sprintf("MULTI %v %v EXEC", ca.args, cb.args)}
		} else {
			k := w.rng.IntN(len(w.keys))
			c := w.step(k)
			cmds = []command{c}
			o = op{keys: []int{k}, after: []string{w.keys[k].canon()}, desc: fmt.Sprint(c.args)}
		}
		// The op counts as sent before any byte leaves: if the connection
		// dies now, it may or may not have been applied.
		w.ops = append(w.ops, o)
		args := make([][]string, len(cmds))
		for i, c := range cmds {
			args[i] = c.args
		}
		replies, err := c.send(30*time.Second, args...)
		if err != nil {
			return ""
		}
		for i, v := range replies {
			if got := replyText(v); got != cmds[i].reply {
				return fmt.Sprintf("writer %d: %v: got %s, want %s", w.id, cmds[i].args, got, cmds[i].reply)
			}
		}
		w.ops[len(w.ops)-1].ackedAt = time.Now()
		w.acked.Add(1)
	}
}

// step picks and applies the next command on key k.
func (w *writer) step(k int) command {
	w.n++
	return w.keys[k].next(w.rng, w.names[k], w.n)
}
