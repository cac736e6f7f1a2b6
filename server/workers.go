package server

import (
	"runtime"
	"sync"
	"time"
)

// The workers setting bounds how many threads run the server's Go code at
// once (GOMAXPROCS): commands, flushes and compactions alike. N > 0 fixes
// it. 0 (the default) lets the server choose between one thread and the
// runtime's default (one per CPU):
//
//   - Clients that send one command and wait for its reply (redis-cli, most
//     request/response code, redis-benchmark -P 1) give the server a few
//     microseconds of work per wake-up. Spread over several threads, each
//     command costs a hand-off between them (the poller readies a
//     connection on one thread, another one's spinning scheduler takes it)
//     and their spinning takes CPU from other processes: with the clients
//     on the same 2 cores, such traffic ran 15-40% faster on one thread.
//   - Pipelining clients give it many commands per wake-up, and the
//     engine's background work then has a share to run beside them: more
//     threads answer faster.
//
// Every workersTick the server compares the commands run with the reply
// flushes that end a batch (one per batch of commands a client had sent)
// over the last tick; on one thread it also reads the CPU its process used
// and the machine left idle over the last workersWindow ticks:
//
//   - pipelined traffic (two or more commands per flush), or flushes and
//     compactions falling behind the writes (lsm.DB.BackgroundBehind),
//     move to the most threads at once;
//   - unpipelined traffic (under 1.5 commands per flush) for a whole window
//     moves to one thread;
//   - on one thread, a process using nearly all of it (0.9) over a window
//     while the machine left half a CPU idle moves back to the most
//     threads, whatever the traffic: one thread is then what limits the
//     server (many clients on a machine of its own, or slow commands). The
//     next move to one thread then waits for a hold that doubles each time
//     this happens (from 1 s up to 32 s), and falls back to 1 s once one
//     thread has served a few seconds without saturating.
//
// The most threads is the count the process started with: the runtime's
// default (one per CPU it may use) or a GOMAXPROCS environment variable;
// after CONFIG SET workers 0, the runtime's default. Too little traffic to
// judge (under workersMinCommands a tick) moves nothing, except a
// saturated thread. The server keeps the most threads where the machine's
// idle time cannot be read (outside Linux: saturation could not be told)
// and under appendfsync always (workers.syncEach). The idle time counts
// the CPUs of the process's affinity mask (taskset, cpusets), not a
// container's CPU quota: under a quota a saturated thread may be judged
// too early or too late.

const (
	workersTick = 25 * time.Millisecond
	// workersWindow is the ticks the CPU figures are measured over (200
	// ms: the kernel counts idle time in 10 ms steps), and the ticks of
	// unpipelined traffic in a row it takes to move to one thread.
	workersWindow = 8
	// workersMinCommands is the fewest commands in a tick that say how
	// clients send them (10,000 a second).
	workersMinCommands = 250
	// workersHold is the first hold after one thread saturated (1 s),
	// workersMaxHold the longest (32 s), and workersSettled the ticks on
	// one thread without saturating (4 s) that reset it.
	workersHold    = 40
	workersMaxHold = 32 * workersHold
	workersSettled = 160
)

// startProcs is the thread count the process ran with when its first
// server opened, before any server changed it: the most threads of
// workers 0 at start. (A second server opened in the same process after
// the first ran on one thread starts from it too.)
var startProcs = sync.OnceValue(func() int { return runtime.GOMAXPROCS(0) })

// idleKnown says the machine's idle time can be read here.
var idleKnown = machineIdleTime() >= 0

// workersSample is what workersAuto decides from: the commands run and the
// reply flushes in the last tick, and, on one thread, the CPUs the process
// kept busy and the CPUs the machine left idle over the window.
type workersSample struct {
	commands, flushes int64
	busy, idle        float64
	// window says busy and idle cover a whole window, all of it on one
	// thread (the loop reads them only there).
	window bool
	behind bool // the engine's flushes or compactions are behind
}

// workersAuto decides the thread count of workers 0, tick by tick.
type workersAuto struct {
	cur, max int
	low      int // ticks in a row of unpipelined traffic
	hold     int // ticks left before one thread may be chosen again
	holdLen  int // the next hold after one thread saturates
	atOne    int // ticks on one thread since the last move to it
}

func newWorkersAuto(procs int) *workersAuto {
	return &workersAuto{cur: procs, max: procs, holdLen: workersHold}
}

// next returns the thread count for the next tick.
func (a *workersAuto) next(s workersSample) int {
	a.hold = max(a.hold-1, 0)
	if a.cur == 1 {
		if a.atOne++; a.atOne == workersSettled {
			a.holdLen = workersHold
		}
	}
	low := a.low // ticks of unpipelined traffic before this one
	a.low = 0
	switch {
	case s.behind:
		return a.max
	case a.cur == 1 && s.window && s.busy >= 0.9 && s.idle >= 0.5:
		a.hold, a.holdLen = a.holdLen, min(2*a.holdLen, workersMaxHold)
		return a.max
	case s.commands < workersMinCommands || s.flushes <= 0:
		return a.cur
	case s.commands >= 2*s.flushes:
		return a.max
	case a.cur == 1 || 2*s.commands >= 3*s.flushes:
		return a.cur
	}
	if a.low = low + 1; a.low >= workersWindow && a.hold == 0 {
		a.low, a.atOne = 0, 0
		return 1
	}
	return a.cur
}

// workers applies the workers setting; its mutex orders CONFIG SET against
// the automatic changes.
type workers struct {
	mu sync.Mutex
	// auto is nil unless the setting is 0, the most threads is above one,
	// the machine's idle time can be read and syncEach is false.
	auto *workersAuto
	// syncEach says every write waits for its WAL sync (appendfsync
	// always): then the most threads stay. A thread blocked in fsync keeps
	// its P until the runtime's monitor takes it back, up to milliseconds
	// later, so with one thread commands wait for the syncs of others
	// (SET -c 50 -P 1 ran 15-25% slower on one thread).
	syncEach bool
}

// set applies the setting n: GOMAXPROCS n, or for 0 the automatic choice.
// initial says the server is opening (Open calls it first): there 0
// starts from the thread count the process had when its first server
// opened (startProcs), elsewhere from the runtime's default.
func (w *workers) set(n int64, initial bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.auto = nil
	if n > 0 {
		runtime.GOMAXPROCS(int(n))
		return
	}
	if !initial {
		runtime.SetDefaultGOMAXPROCS()
	} else if procs := startProcs(); runtime.GOMAXPROCS(0) != procs {
		runtime.GOMAXPROCS(procs)
	}
	if procs := runtime.GOMAXPROCS(0); procs > 1 && idleKnown && !w.syncEach {
		w.auto = newWorkersAuto(procs)
	}
}

// mode reports whether the server chooses the thread count, and whether
// it runs on one thread now.
func (w *workers) mode() (auto, single bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.auto != nil, w.auto != nil && w.auto.cur == 1
}

// tick feeds the automatic choice one sample and applies it; it returns
// the new thread count, or 0 if it did not change.
func (w *workers) tick(s workersSample) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.auto == nil {
		return 0
	}
	n := w.auto.next(s)
	if n == w.auto.cur {
		return 0
	}
	w.auto.cur = n
	runtime.GOMAXPROCS(n)
	return n
}

// stop gives the process back its most threads when the server shuts down
// on one thread (another server, or the program embedding this one, may
// go on running).
func (w *workers) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.auto != nil && w.auto.cur != w.auto.max {
		runtime.GOMAXPROCS(w.auto.max)
	}
	w.auto = nil
}

// cpuReading is one tick's cumulative counters.
type cpuReading struct {
	at         time.Time
	busy, idle time.Duration // the process's CPU time; the machine's idle time (negative: unknown)
}

// cpuWindow holds the readings of the last workersWindow ticks, all taken
// on one thread (reset restarts it at each move there).
type cpuWindow struct {
	ring [workersWindow + 1]cpuReading
	n    int // readings since the reset
}

func (w *cpuWindow) reset() { w.n = 0 }

// add records r and returns the CPUs the process kept busy and the CPUs
// the machine left idle from the reading workersWindow ticks back to r;
// ok is false until the window holds that many, or if an idle time is
// unknown.
func (w *cpuWindow) add(r cpuReading) (busy, idle float64, ok bool) {
	w.ring[w.n%len(w.ring)] = r
	w.n++
	if w.n < len(w.ring) {
		return 0, 0, false
	}
	old := w.ring[w.n%len(w.ring)] // the oldest: workersWindow readings back
	wall := r.at.Sub(old.at).Seconds()
	if wall <= 0 || r.idle < 0 || old.idle < 0 {
		return 0, 0, false
	}
	return (r.busy - old.busy).Seconds() / wall, (r.idle - old.idle).Seconds() / wall, true
}

// workersLoop drives the automatic choice until shutdown. It reads the
// CPU figures only while the server runs on one thread, and nothing but
// two counters while the setting is fixed.
func (s *Server) workersLoop() {
	defer s.wg.Done()
	defer s.workers.stop()
	t := time.NewTicker(workersTick)
	defer t.Stop()
	var win cpuWindow
	commands, flushes := s.stats.commands.Load(), s.stats.flushes.Load()
	for {
		var now time.Time
		select {
		case <-s.shutdownCh:
			return
		case now = <-t.C:
		}
		c, f := s.stats.commands.Load(), s.stats.flushes.Load()
		sm := workersSample{commands: c - commands, flushes: f - flushes}
		commands, flushes = c, f
		auto, single := s.workers.mode()
		if !auto || !single {
			win.reset()
		}
		if !auto {
			continue
		}
		if single {
			sm.busy, sm.idle, sm.window = win.add(cpuReading{at: now, busy: processCPUTime(), idle: machineIdleTime()})
		}
		sm.behind = s.db.BackgroundBehind()
		if threads := s.workers.tick(sm); threads > 0 {
			s.logger.Debug("workers", "threads", threads, "commands", sm.commands, "flushes", sm.flushes,
				"busy", sm.busy, "idle", sm.idle, "behind", sm.behind)
		}
	}
}
