package crashtest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/strata-db/strata/server/resp"
)

// Mode is a persistence setting of the server under test.
type Mode string

// The modes Run knows.
const (
	ModeAlways     Mode = "always"        // appendonly yes, appendfsync always
	ModeEverysec   Mode = "everysec"      // appendonly yes, appendfsync everysec
	ModeAppendOnly Mode = "appendonly-no" // the WAL disabled; FLUSHMEMTABLE makes writes durable
)

// Modes lists every mode.
var Modes = []Mode{ModeAlways, ModeEverysec, ModeAppendOnly}

// EverysecBound is the loss allowed under appendfsync everysec: every
// command acknowledged more than this long before the kill must survive.
const EverysecBound = 2 * time.Second

func (m Mode) serverArgs() []string {
	switch m {
	case ModeAlways:
		return []string{"--appendonly", "yes", "--appendfsync", "always"}
	case ModeEverysec:
		return []string{"--appendonly", "yes", "--appendfsync", "everysec"}
	default:
		return []string{"--appendonly", "no"}
	}
}

// Options configure a Run.
type Options struct {
	// Binary is the strata-server executable.
	Binary string
	Mode   Mode
	// Cycles is the number of kills.
	Cycles int
	// Writers is the number of concurrent writer connections (default 4).
	Writers int
	// MinRun and MaxRun bound the time writers run before the kill
	// (defaults 100 ms and 1.5 s).
	MinRun, MaxRun time.Duration
	// RecoveryKillPercent is the share of cycles in which the server is
	// also killed while it recovers (default 10).
	RecoveryKillPercent int
	// Seed seeds every random choice (0: from the clock).
	Seed uint64
	// Dir is where the data directory is created (default: a temporary
	// directory). It is removed after a successful run and kept after a
	// failure.
	Dir string
	// ExtraArgs are passed to the server after the mode's arguments.
	ExtraArgs []string
	// Logf, when set, receives a line per cycle.
	Logf func(format string, args ...any)
}

// Result holds the figures of a Run.
type Result struct {
	Mode   Mode
	Seed   uint64
	Cycles int
	// RecoveryKills counts kills during recovery (on top of Cycles).
	RecoveryKills int
	// Ops counts acknowledged commands (a MULTI/EXEC counts once).
	Acked int64
	// Lost counts acknowledged commands missing after a restart, whether
	// the mode allows it (writes after the last FLUSHMEMTABLE with the WAL
	// off) or not; Violations counts those the mode does not allow.
	Lost       int64
	Violations int64
	// InFlightApplied counts commands sent but not acknowledged before the
	// kill that a restart showed applied.
	InFlightApplied int64
	// Flushes counts completed FLUSHMEMTABLE calls.
	Flushes int64
	// Failures describes every broken guarantee; empty means the run
	// passed.
	Failures []string
	// Dir is the data directory, kept when the run failed.
	Dir      string
	Duration time.Duration
}

func (r *Result) String() string {
	status := "PASS"
	if len(r.Failures) > 0 {
		status = "FAIL"
	}
	return fmt.Sprintf("%-13s %s cycles=%d recovery_kills=%d acked_writes=%d lost_writes=%d lost_beyond_guarantee=%d in_flight_applied=%d flushes=%d seed=%d time=%s",
		r.Mode, status, r.Cycles, r.RecoveryKills, r.Acked, r.Lost, r.Violations, r.InFlightApplied, r.Flushes, r.Seed, r.Duration.Round(time.Millisecond))
}

func (o *Options) ensureDefaults() {
	if o.Writers <= 0 {
		o.Writers = 4
	}
	if o.MinRun <= 0 {
		o.MinRun = 100 * time.Millisecond
	}
	if o.MaxRun < o.MinRun {
		o.MaxRun = max(o.MinRun, 1500*time.Millisecond)
	}
	if o.RecoveryKillPercent == 0 {
		o.RecoveryKillPercent = 10
	}
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

const (
	startTimeout   = 60 * time.Second
	defaultTimeout = 30 * time.Second
)

// run is the state of one Run.
type run struct {
	opts    Options
	rng     *rand.Rand
	dir     string
	writers []*writer
	res     *Result
}

// Run runs opts.Cycles kill-and-restart cycles and returns the figures. An
// error means the harness itself could not run (the binary could not be
// started); broken guarantees, a failed restart among them, are in
// Result.Failures.
func Run(opts Options) (*Result, error) {
	opts.ensureDefaults()
	r := &run{opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 0x5eed)), res: &Result{Mode: opts.Mode, Seed: opts.Seed}}
	start := time.Now()
	defer func() { r.res.Duration = time.Since(start) }()
	dir, err := os.MkdirTemp(opts.Dir, "strata-crashtest-"+string(opts.Mode)+"-")
	if err != nil {
		return nil, err
	}
	r.dir, r.res.Dir = dir, dir
	for i := 0; i < opts.Writers; i++ {
		r.writers = append(r.writers, newWriter(i, opts.Seed+uint64(i)))
		r.writers[i].beginCycle()
	}
	var killedAt time.Time
	for cycle := 0; ; cycle++ {
		p, err := r.restart()
		if err != nil {
			if len(r.res.Failures) > 0 {
				return r.res, nil // the restart failed: a broken guarantee
			}
			return r.res, err
		}
		if cycle > 0 {
			r.verify(p, cycle-1, killedAt)
		}
		if len(r.res.Failures) > 0 || cycle == opts.Cycles {
			if err := p.term(defaultTimeout); err != nil && len(r.res.Failures) == 0 {
				r.res.Failures = append(r.res.Failures, err.Error())
			}
			break
		}
		killedAt = r.cycle(p, cycle)
	}
	if len(r.res.Failures) == 0 {
		os.RemoveAll(dir)
		r.res.Dir = ""
	}
	return r.res, nil
}

// restart starts the server, killing it during recovery in some cycles.
func (r *run) restart() (*proc, error) {
	args := append(r.opts.Mode.serverArgs(), "--memtable-size", "256kb")
	args = append(args, r.opts.ExtraArgs...)
	if r.rng.IntN(100) < r.opts.RecoveryKillPercent {
		p, err := startProc(r.opts.Binary, r.dir, args)
		if err != nil {
			return nil, err
		}
		// A random moment of start-up: the chaos, not a synchronisation.
		select {
		case <-time.After(time.Duration(r.rng.IntN(60)) * time.Millisecond):
		case <-p.exited:
		}
		p.kill()
		r.res.RecoveryKills++
	}
	p, err := startProc(r.opts.Binary, r.dir, args)
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(startTimeout); err != nil {
		r.res.Failures = append(r.res.Failures, err.Error())
		return nil, err
	}
	return p, nil
}

// cycle runs the writers and a flusher on p, kills p at a random moment
// and returns the time of the kill.
func (r *run) cycle(p *proc, n int) time.Time {
	for _, w := range r.writers {
		w.beginCycle()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	report := func(s string) {
		if s != "" {
			mu.Lock()
			bad = append(bad, s)
			mu.Unlock()
		}
	}
	for _, w := range r.writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			report(w.run(p.addr, stop))
		}()
	}
	wg.Add(1)
	flushSeed := r.rng.Uint64()
	go func() {
		defer wg.Done()
		report(r.flusher(p.addr, stop, flushSeed))
	}()
	runFor := r.opts.MinRun + time.Duration(r.rng.Int64N(int64(r.opts.MaxRun-r.opts.MinRun)+1))
	select {
	case <-time.After(runFor):
	case <-p.exited:
		report(fmt.Sprintf("cycle %d: strata-server died on its own (%v):\n%s", n, p.cmd.ProcessState, p.logTail()))
	}
	killedAt := time.Now()
	p.kill()
	close(stop)
	wg.Wait()
	r.res.Failures = append(r.res.Failures, bad...)
	r.res.Cycles++
	return killedAt
}

// flusher calls FLUSHMEMTABLE at random intervals and raises each writer's
// flush floor to what it had acknowledged when the call started.
func (r *run) flusher(addr string, stop <-chan struct{}, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	c, err := dial(addr)
	if err != nil {
		return ""
	}
	defer c.close()
	maxGap := 800
	if r.opts.Mode == ModeAppendOnly {
		maxGap = 300
	}
	floors := make([]int64, len(r.writers))
	for {
		select {
		case <-stop:
			return ""
		case <-time.After(time.Duration(50+rng.IntN(maxGap)) * time.Millisecond):
		}
		for i, w := range r.writers {
			floors[i] = w.acked.Load()
		}
		v, err := c.do("FLUSHMEMTABLE")
		if err != nil {
			return ""
		}
		if v.Kind != resp.KindSimpleString {
			return "FLUSHMEMTABLE: " + replyText(v)
		}
		for i, w := range r.writers {
			w.flushFloor.Store(floors[i])
		}
		r.res.Flushes++ // only this goroutine writes it while a cycle runs
	}
}

// floor returns the number of w's ops that must survive a kill at
// killedAt.
func (r *run) floor(w *writer, killedAt time.Time) int {
	f := int(w.flushFloor.Load())
	switch r.opts.Mode {
	case ModeAlways:
		f = int(w.acked.Load())
	case ModeEverysec:
		limit := killedAt.Add(-EverysecBound)
		for i := f; i < int(w.acked.Load()); i++ {
			if !w.ops[i].ackedAt.Before(limit) {
				break
			}
			f = i + 1
		}
	}
	return f
}

// verify checks what the restarted server p shows against each writer's
// ops of the previous cycle, then resets the models to it.
func (r *run) verify(p *proc, cycle int, killedAt time.Time) {
	fail := func(format string, args ...any) {
		r.res.Failures = append(r.res.Failures, fmt.Sprintf("cycle %d: ", cycle)+fmt.Sprintf(format, args...))
	}
	c, err := dial(p.addr)
	if err != nil {
		fail("connecting after restart: %v", err)
		return
	}
	defer c.close()
	known := map[string]bool{}
	var lost, inFlight int64
	for _, w := range r.writers {
		observed := make([]string, len(w.keys))
		states := make([]*keyState, len(w.keys))
		for i, name := range w.names {
			known[name] = true
			s, err := readKey(c, name, w.keys[i].fam)
			if err != nil {
				fail("%v", err)
				return
			}
			states[i], observed[i] = s, s.canon()
		}
		acked := int(w.acked.Load())
		floor := r.floor(w, killedAt)
		res := w.findCut(observed, floor)
		r.res.Acked += int64(acked)
		switch {
		case res.cut < 0:
			fail("writer %d: no prefix of its %d ops (%d acknowledged) gives what the restart shows: a state that never existed%s",
				w.id, len(w.ops), acked, res.mismatch)
		case res.cut < floor:
			r.res.Violations += int64(floor - res.cut)
			fail("writer %d: %d acknowledged ops lost beyond the %s guarantee (survived %d of %d acknowledged, %d required)%s\n  first lost op: %s",
				w.id, floor-res.cut, r.opts.Mode, res.cut, acked, floor, res.mismatch, w.ops[res.cut].desc)
		}
		if res.cut >= 0 && res.cut < acked {
			lost += int64(acked - res.cut)
		}
		if res.cut > acked {
			inFlight += int64(res.cut - acked)
		}
		// The next cycle starts from what the server shows.
		w.keys = states
	}
	r.res.Lost += lost
	r.res.InFlightApplied += inFlight
	unknown, err := unknownKeys(c, known)
	if err != nil {
		fail("SCAN: %v", err)
	} else if len(unknown) > 0 {
		fail("keys no writer wrote: %s", strings.Join(unknown[:min(len(unknown), 10)], " "))
	}
	r.opts.Logf("%s cycle %d: acked=%d lost=%d in_flight_applied=%d", r.opts.Mode, cycle, r.res.Acked, r.res.Lost, r.res.InFlightApplied)
}

// Binary builds cmd/strata-server into dir and returns its path, for
// callers without a prebuilt binary. It runs `go build` in the module that
// contains the working directory.
func Binary(dir string, tags string) (string, error) {
	path := filepath.Join(dir, "strata-server")
	args := []string{"build", "-o", path}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	args = append(args, "github.com/strata-db/strata/cmd/strata-server")
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build strata-server: %v\n%s", err, out)
	}
	return path, nil
}
