// Command gcbench measures Strata's in-engine garbage collection on the
// windowed-data workload that motivates the keyspace design: sets of one
// large member, written in waves, each wave expiring while later waves
// arrive. It runs an in-process strata-server twice on fresh directories:
// once with the TTLs (expiry deletes each key's uuid range and compactions
// reclaim it) and once without (nothing is ever reclaimed), each time with
// a foreground GET/SET load whose latencies are compared.
//
// Usage:
//
//	go run ./gcbench [-n 500000] [-waves 10] [-window 3] [-member 4096]
//	    [-period 4s] [-fg 4] [-dir /tmp] [-compactions FILE] [-gc-only]
//
// Reported: bytes on disk against live bytes over time, the time from a
// wave's expiry until compactions have reclaimed its bytes, the data keys of
// dead uuids the engine still holds after a final COMPACT (counted with
// lsm.DB.ScanInternal, which sees entries that tombstones hide), the
// engine's write amplification and compactions before that COMPACT, and
// the foreground p50/p99 with and without GC. -compactions writes every
// compaction of the run with GC to a file, one line each.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/lsm"
	"github.com/strata-db/strata/server"
	"github.com/strata-db/strata/server/resp"
)

var (
	flagN      = flag.Int("n", 500000, "sets written in total")
	flagWaves  = flag.Int("waves", 10, "waves the sets are written in")
	flagWindow = flag.Int("window", 3, "waves alive at once: a wave expires window periods after it starts")
	flagMember = flag.Int("member", 4096, "bytes of each set's one member")
	flagPeriod = flag.Duration("period", 4*time.Second, "time between the starts of two waves")
	flagFG     = flag.Int("fg", 4, "foreground clients running GET/SET")
	flagDir    = flag.String("dir", os.TempDir(), "where the data directories go")
	flagLog    = flag.String("compactions", "", "write each compaction of the run with GC to this file, one line each")
	flagGCOnly = flag.Bool("gc-only", false, "skip the run without GC")
)

func main() {
	flag.Parse()
	gc := run(true)
	nogc := result{engine: &lsm.Metrics{}}
	if !*flagGCOnly {
		nogc = run(false)
	}
	fmt.Println()
	fmt.Printf("windowed sets: %d sets of one %d-byte member in %d waves, %d alive at once, a wave every %v\n",
		*flagN, *flagMember, *flagWaves, *flagWindow, *flagPeriod)
	fmt.Printf("%-34s %14s %14s\n", "", "with GC", "without GC")
	fmt.Printf("%-34s %14s %14s\n", "write rate (sets/s)", fmt.Sprintf("%.0f", gc.writeRate), fmt.Sprintf("%.0f", nogc.writeRate))
	fmt.Printf("%-34s %14.2f %14.2f\n", "disk/live, steady state (median)", gc.steadyRatio, nogc.steadyRatio)
	fmt.Printf("%-34s %14.2f %14.2f\n", "disk/live, steady state (max)", gc.steadyMax, nogc.steadyMax)
	fmt.Printf("%-34s %14s %14s\n", "expiry to reclaim (median/max)", gc.reclaim, "-")
	fmt.Printf("%-34s %14d %14s\n", "dead-uuid data keys after COMPACT", gc.leftovers, "-")
	fmt.Printf("%-34s %14s %14s\n", "GET p50/p99 (µs)", gc.get, nogc.get)
	fmt.Printf("%-34s %14s %14s\n", "SET p50/p99 (µs)", gc.set, nogc.set)
	fmt.Printf("%-34s %14.2f %14.2f\n", "write amplification", gc.engine.WriteAmp, nogc.engine.WriteAmp)
	fmt.Printf("%-34s %14s %14s\n", "compactions (moves, delete-only)", compactions(gc.engine), compactions(nogc.engine))
	fmt.Printf("%-34s %14s %14s\n", "compactions read/wrote (GB)", compactionBytes(gc.engine), compactionBytes(nogc.engine))
	if *flagGCOnly {
		fmt.Println("(the run without GC was skipped)")
		return
	}
	fmt.Printf("%-34s %14.2f\n", "GET p99 with/without GC", gc.getP99/nogc.getP99)
	fmt.Printf("%-34s %14.2f\n", "SET p99 with/without GC", gc.setP99/nogc.setP99)
}

func compactions(m *lsm.Metrics) string {
	return fmt.Sprintf("%d (%d, %d)", m.Compact.Count, m.Compact.Moves, m.Compact.DeleteOnly)
}

func compactionBytes(m *lsm.Metrics) string {
	return fmt.Sprintf("%.2f/%.2f", float64(m.Compact.BytesRead)/1e9, float64(m.Compact.BytesWritten)/1e9)
}

type result struct {
	writeRate              float64
	steadyRatio, steadyMax float64
	reclaim                string
	leftovers              int
	get, set               string
	getP99, setP99         float64
	// engine is the engine's metrics once the waves are written (and,
	// with GC, expired), before the final COMPACT.
	engine *lsm.Metrics
}

func run(withGC bool) result {
	dir, err := os.MkdirTemp(*flagDir, "gcbench-")
	check(err)
	defer os.RemoveAll(dir)
	cfg := server.NewConfig()
	check(cfg.ApplyArgs([]string{"--port", "0", "--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec"}))
	var logger *slog.Logger
	if withGC && *flagLog != "" {
		f, err := os.Create(*flagLog)
		check(err)
		defer f.Close()
		logger = slog.New(&compactionLog{w: f, start: time.Now()})
	}
	s, err := server.Open(cfg, logger)
	check(err)
	check(s.Listen())
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	addr := s.Addr().String()
	mode := map[bool]string{true: "with GC", false: "without GC"}[withGC]
	fmt.Printf("== %s (%s)\n", mode, dir)

	// Foreground load.
	var stop atomic.Bool
	var wg sync.WaitGroup
	lat := make([][2][]time.Duration, *flagFG)
	for g := range *flagFG {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(addr)
			r := rand.New(rand.NewPCG(uint64(g), 7))
			val := strings.Repeat("v", 100)
			for !stop.Load() {
				k := "fg:" + strconv.Itoa(r.IntN(10000))
				op := r.IntN(2)
				start := time.Now()
				if op == 0 {
					c.do("GET", k)
				} else {
					c.do("SET", k, val)
				}
				lat[g][op] = append(lat[g][op], time.Since(start))
			}
		}()
	}

	// Waves.
	perWave := *flagN / *flagWaves
	period := *flagPeriod
	t0 := time.Now()
	expiry := func(w int) time.Time { return t0.Add(time.Duration(w+*flagWindow) * period) }
	var written atomic.Int64 // sets written so far
	var wavesDone atomic.Int64
	type sample struct {
		at         time.Duration
		disk, live int64
		reclaimed  int64
	}
	var samples []sample
	var smu sync.Mutex
	sampleStop := make(chan struct{})
	sampleDone := make(chan struct{})
	info := dial(addr)
	liveBytes := func(now time.Time) int64 {
		n := written.Load()
		if withGC {
			for w := 0; w < *flagWaves; w++ {
				if !now.Before(expiry(w)) {
					n -= int64(min(perWave, int(max(0, written.Load()-int64(w*perWave)))))
				}
			}
		}
		return max(n, 0) * int64(*flagMember)
	}
	go func() {
		defer close(sampleDone)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-sampleStop:
				return
			case now := <-t.C:
				sm := sample{at: now.Sub(t0), disk: diskBytes(dir), live: liveBytes(now), reclaimed: infoInt(info, "gc_reclaimed_bytes")}
				smu.Lock()
				samples = append(samples, sm)
				smu.Unlock()
			}
		}
	}()
	member := make([]byte, *flagMember)
	wc := dial(addr)
	writeStart := time.Now()
	for w := 0; w < *flagWaves; w++ {
		time.Sleep(time.Until(t0.Add(time.Duration(w) * period)))
		at := strconv.FormatInt(expiry(w).UnixMilli(), 10)
		for j := 0; j < perWave; j += 64 {
			var cmds [][]string
			for i := j; i < min(j+64, perWave); i++ {
				fillRandom(member)
				k := fmt.Sprintf("w%d:%d", w, i)
				cmds = append(cmds, []string{"SADD", k, string(member)})
				if withGC {
					cmds = append(cmds, []string{"PEXPIREAT", k, at})
				}
			}
			wc.pipeline(cmds)
			written.Add(int64(min(64, perWave-j)))
		}
		wavesDone.Add(1)
		fmt.Printf("  wave %d written at %.1fs (disk %s, live %s)\n", w, time.Since(t0).Seconds(),
			mib(diskBytes(dir)), mib(liveBytes(time.Now())))
	}
	writeRate := float64(perWave**flagWaves) / time.Since(writeStart).Seconds()
	// With GC, let the last waves expire and their space be reclaimed.
	if withGC {
		time.Sleep(time.Until(expiry(*flagWaves - 1).Add(period)))
	}
	stop.Store(true)
	wg.Wait()
	close(sampleStop)
	<-sampleDone

	res := result{writeRate: writeRate, engine: s.Engine().Metrics()}
	// Steady state: from the moment the window is full (and, with GC,
	// waves expire) to the end of writing.
	var ratios []float64
	steadyFrom := time.Duration(*flagWindow) * period
	steadyTo := time.Duration(*flagWaves) * period
	for _, sm := range samples {
		if sm.at >= steadyFrom && sm.at <= steadyTo && sm.live > 0 {
			ratios = append(ratios, float64(sm.disk)/float64(sm.live))
		}
	}
	slices.Sort(ratios)
	if len(ratios) > 0 {
		res.steadyRatio, res.steadyMax = ratios[len(ratios)/2], ratios[len(ratios)-1]
	}
	fmt.Println("  t(s)   disk MiB   live MiB   reclaimed MiB")
	for i, sm := range samples {
		if i%4 == 0 {
			fmt.Printf("  %5.1f %10s %10s %15s\n", sm.at.Seconds(), mib(sm.disk), mib(sm.live), mib(sm.reclaimed))
		}
	}
	if withGC {
		// Time from a wave's expiry until the reclaimed bytes cover it (95%
		// of its members; the reclaimed count includes keys and overhead).
		var delays []time.Duration
		for w := 0; w < *flagWaves; w++ {
			need := int64(w+1) * int64(perWave) * int64(*flagMember) * 95 / 100
			e := expiry(w).Sub(t0)
			for _, sm := range samples {
				if sm.at >= e && sm.reclaimed >= need {
					delays = append(delays, sm.at-e)
					break
				}
			}
		}
		slices.Sort(delays)
		if len(delays) > 0 {
			res.reclaim = fmt.Sprintf("%.1fs/%.1fs", delays[len(delays)/2].Seconds(), delays[len(delays)-1].Seconds())
		}
		if len(delays) < *flagWaves {
			res.reclaim += fmt.Sprintf(" (%d of %d)", len(delays), *flagWaves)
		}
		// Everything has expired: delete what is due, compact, and count
		// the data entries whose uuid no metadata names.
		for infoInt(info, "expired_keys_pending") > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		info.do("COMPACT")
		res.leftovers = deadDataKeys(s.Engine())
	}
	get, set := merge(lat, 0), merge(lat, 1)
	res.get = fmt.Sprintf("%d/%d", pct(get, 50).Microseconds(), pct(get, 99).Microseconds())
	res.set = fmt.Sprintf("%d/%d", pct(set, 50).Microseconds(), pct(set, 99).Microseconds())
	res.getP99, res.setP99 = float64(pct(get, 99)), float64(pct(set, 99))
	fmt.Printf("  engine at the end:\n%s\n", indent(s.Engine().Metrics().String()))
	s.Shutdown()
	check(<-done)
	return res
}

// deadDataKeys counts the data entries the engine physically holds whose
// uuid belongs to no metadata record.
func deadDataKeys(db *lsm.DB) int {
	live := map[uint64]bool{}
	it, err := db.NewIter(&lsm.IterOptions{LowerBound: []byte{codec.FamilyMeta}, UpperBound: []byte{codec.FamilyMeta + 1}})
	check(err)
	for ok := it.First(); ok; ok = it.Next() {
		if m, err := codec.DecodeMetadata(it.Value()); err == nil && m.Type.IsComplex() {
			live[m.UUID] = true
		}
	}
	check(it.Close())
	n := 0
	check(db.ScanInternal([]byte{codec.FamilyData}, []byte{codec.FamilyData + 1}, func(k []byte, _ uint64, _ lsm.EntryKind, _ []byte) error {
		if len(k) >= 10 && !live[binary.BigEndian.Uint64(k[2:10])] {
			n++
		}
		return nil
	}))
	return n
}

func merge(lat [][2][]time.Duration, op int) []time.Duration {
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l[op]...)
	}
	slices.Sort(all)
	return all
}

func pct(xs []time.Duration, p int) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	return xs[min(len(xs)-1, len(xs)*p/100)]
}

func diskBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

func mib(n int64) string { return fmt.Sprintf("%.1f", float64(n)/(1<<20)) }

func fillRandom(b []byte) {
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rand.Uint64())
	}
}

// client is a minimal RESP client: one connection, replies read in order.
type client struct {
	conn net.Conn
	br   *bufio.Reader
	buf  []byte
}

func dial(addr string) *client {
	c, err := net.Dial("tcp", addr)
	check(err)
	return &client{conn: c, br: bufio.NewReaderSize(c, 64<<10)}
}

// appendCmd appends a command as a multibulk request.
func appendCmd(dst []byte, args ...string) []byte {
	dst = resp.AppendArrayHeader(dst, len(args))
	for _, a := range args {
		dst = resp.AppendBulkString(dst, a)
	}
	return dst
}

func (c *client) do(args ...string) resp.Value {
	c.buf = appendCmd(c.buf[:0], args...)
	_, err := c.conn.Write(c.buf)
	check(err)
	v, err := resp.ReadReply(c.br)
	check(err)
	if v.Kind == resp.KindError {
		check(fmt.Errorf("%s: %s", args[0], v.Str))
	}
	return v
}

func (c *client) pipeline(cmds [][]string) {
	c.buf = c.buf[:0]
	for _, a := range cmds {
		c.buf = appendCmd(c.buf, a...)
	}
	_, err := c.conn.Write(c.buf)
	check(err)
	for range cmds {
		v, err := resp.ReadReply(c.br)
		check(err)
		if v.Kind == resp.KindError {
			check(fmt.Errorf("pipeline: %s", v.Str))
		}
	}
}

func infoInt(c *client, field string) int64 {
	v := c.do("INFO", "all")
	for _, line := range bytes.Split([]byte(v.Str), []byte("\r\n")) {
		if f, ok := bytes.CutPrefix(line, []byte(field+":")); ok {
			n, _ := strconv.ParseInt(string(f), 10, 64)
			return n
		}
	}
	return 0
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gcbench:", err)
		os.Exit(1)
	}
}

// compactionLog is a slog.Handler that writes the engine's compaction
// records (lsm logs them at debug level) one line each: seconds since the
// start, kind, levels, bytes read and written, and each table as
// number:KiB[first-last], keys shown by family and, for element data, uuid
// ("+rd" marks a table that ends with a range tombstone). Other records are
// dropped.
type compactionLog struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func (h *compactionLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *compactionLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *compactionLog) WithGroup(string) slog.Handler            { return h }

func (h *compactionLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "compaction" {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%7.1f", time.Since(h.start).Seconds())
	r.Attrs(func(a slog.Attr) bool {
		switch fs := a.Value.Any().(type) {
		case []*lsm.FileMetadata:
			fmt.Fprintf(&b, " %s={", a.Key)
			for i, f := range fs {
				if i > 0 {
					b.WriteByte(' ')
				}
				rd := ""
				if f.Largest.Kind().String() == "RANGEDEL" || f.Smallest.Kind().String() == "RANGEDEL" {
					rd = "+rd"
				}
				fmt.Fprintf(&b, "%d:%dK[%s-%s]%s", f.FileNum, f.Size>>10, keyName(f.Smallest.UserKey), keyName(f.Largest.UserKey), rd)
			}
			b.WriteByte('}')
		default:
			if a.Key != "duration" {
				fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
			}
		}
		return true
	})
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

// keyName shows a key by its family, and an element data key by its uuid.
func keyName(k []byte) string {
	if len(k) >= 10 && k[0] == codec.FamilyData {
		return fmt.Sprintf("d%d", binary.BigEndian.Uint64(k[2:10]))
	}
	if len(k) > 0 {
		return string(k[:1])
	}
	return "''"
}
