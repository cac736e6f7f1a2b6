package main

import (
	"fmt"
	"github.com/strata-db/strata/bench/internal/sysinfo"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// key names one measured configuration.
type key struct {
	mode     string // "everysec" or "always"
	test     string
	pipeline int
}

// results holds every sample, per configuration and server, in round order.
type results struct {
	samples map[key]map[string][]sample
	servers []string // in the order they were first seen
}

func newResults() *results { return &results{samples: map[key]map[string][]sample{}} }

func (r *results) add(k key, server string, s sample) {
	if r.samples[k] == nil {
		r.samples[k] = map[string][]sample{}
	}
	r.samples[k][server] = append(r.samples[k][server], s)
	if !slices.Contains(r.servers, server) {
		r.servers = append(r.servers, server)
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// summary is the medians of one server's samples and its ratios to Redis.
type summary struct {
	rps, p50, p99 float64
	cpu           float64 // us per request; 0 if unknown
	rpsRatio      float64 // median over rounds of rps / Redis's rps of the same round
	p99Ratio      float64 // median over rounds of p99 / Redis's p99
	cpuRatio      float64 // median over rounds of cpu / Redis's cpu; 0 if unknown
}

func summarize(own, ref []sample) summary {
	var s summary
	var rps, p50, p99, cpu, rr, pr, cr []float64
	for i, x := range own {
		rps, p50, p99 = append(rps, x.rps), append(p50, x.p50), append(p99, x.p99)
		if x.cpu > 0 {
			cpu = append(cpu, x.cpu)
		}
		if i < len(ref) {
			rr = append(rr, x.rps/ref[i].rps)
			if ref[i].p99 > 0 {
				pr = append(pr, x.p99/ref[i].p99)
			}
			if x.cpu > 0 && ref[i].cpu > 0 {
				cr = append(cr, x.cpu/ref[i].cpu)
			}
		}
	}
	s.rps, s.p50, s.p99, s.cpu = median(rps), median(p50), median(p99), median(cpu)
	s.rpsRatio, s.p99Ratio, s.cpuRatio = median(rr), median(pr), median(cr)
	return s
}

// verdict compares a ratio with the goals: at least 1.0x Redis's
// requests/s at -P 16 (0.9x at -P 1) with a p99 at most 2x Redis's; the
// bar is 0.7x.
func verdict(pipeline int, s summary) string {
	goal := 1.0
	if pipeline == 1 {
		goal = 0.9
	}
	switch {
	case s.rpsRatio >= goal && s.p99Ratio <= 2:
		return "goal"
	case s.rpsRatio >= goal:
		return "p99 > 2x"
	case s.rpsRatio >= 0.7:
		return "bar"
	}
	return "MISS"
}

// env describes the machine and the versions of a run.
type env struct {
	cpu, kernel, ram, goVersion, redis, commit string
	cores                                      int
	loadStart, loadEnd                         string
	started                                    time.Time
	elapsed                                    time.Duration
}

func collectEnv(root, redisBin string) env {
	e := env{cpu: sysinfo.CPUModel(), cores: runtime.NumCPU(), ram: sysinfo.MemTotal(), goVersion: "unknown",
		redis: "unknown", commit: "unknown"}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		e.kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		e.goVersion = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	}
	if out, err := exec.Command(redisBin, "--version").Output(); err == nil {
		e.redis = strings.TrimSpace(string(out))
	}
	git := exec.Command("git", "rev-parse", "--short", "HEAD")
	git.Dir = root
	if out, err := git.Output(); err == nil {
		e.commit = strings.TrimSpace(string(out))
		st := exec.Command("git", "status", "--porcelain", "--untracked-files=no")
		st.Dir = root
		if out, err := st.Output(); err == nil && len(out) > 0 {
			e.commit += " (with uncommitted changes)"
		}
	}
	return e
}

func formatReport(e env, r *results, tests []string, pipelines []int, dur *durability) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run of %s (%s), strata commit %s.\n\n", e.started.Format("2006-01-02 15:04"), e.elapsed.Round(time.Second), e.commit)
	fmt.Fprintf(&b, "- machine: %s, %d cores, %s RAM, Linux %s\n", e.cpu, e.cores, e.ram, e.kernel)
	fmt.Fprintf(&b, "- versions: %s; %s\n", e.goVersion, e.redis)
	fmt.Fprintf(&b, "- redis-benchmark -c %d -d %d -r %d -n %d --csv, %d rounds (every server in turn, the order rotating each round); load average %s at the start, %s at the end\n",
		*flagClients, *flagData, *flagKeyspace, *flagN, *flagRounds, e.loadStart, e.loadEnd)
	fmt.Fprintf(&b, "- both servers: appendonly yes, appendfsync everysec (Strata's defaults; Redis with save \"\")\n")
	if *flagBaseArgs != "" {
		base := "the same binary as strata"
		if *flagBaseline != "" {
			base = "-baseline"
		}
		fmt.Fprintf(&b, "- strata-base: %s, started with %s\n", base, *flagBaseArgs)
	}
	b.WriteString("\n")
	others := []string{}
	for _, s := range r.servers {
		if s != "redis" {
			others = append(others, s)
		}
	}
	fmt.Fprintf(&b, "rps = requests/s (median of rounds), p50/p99 in ms (median of rounds), cpu = the server's CPU time per request in us\n")
	fmt.Fprintf(&b, "(median of rounds; all its threads, background work included), ratio = median over rounds of Strata/Redis.\n")
	fmt.Fprintf(&b, "Goal: rps ratio >= 1.0 at -P 16, >= 0.9 at -P 1, p99 <= 2x Redis; bar: >= 0.7.\n\n")
	header := "| test | P | redis rps | redis p50 | redis p99 | redis cpu |"
	sep := "|---|--:|--:|--:|--:|--:|"
	for _, o := range others {
		header += fmt.Sprintf(" %s rps | %s p50 | %s p99 | %s cpu | rps ratio | p99 ratio | cpu ratio | verdict |", o, o, o, o)
		sep += "--:|--:|--:|--:|--:|--:|--:|---|"
	}
	b.WriteString(header + "\n" + sep + "\n")
	for _, p := range pipelines {
		for _, t := range tests {
			k := key{"everysec", t, p}
			ref := r.samples[k]["redis"]
			rs := summarize(ref, ref)
			fmt.Fprintf(&b, "| %s | %d | %.0f | %.3f | %.3f | %s |", strings.ToUpper(t), p, rs.rps, rs.p50, rs.p99, cpuCell(rs.cpu))
			for _, o := range others {
				s := summarize(r.samples[k][o], ref)
				fmt.Fprintf(&b, " %.0f | %.3f | %.3f | %s | %.2f | %.2f | %s | %s |", s.rps, s.p50, s.p99, cpuCell(s.cpu),
					s.rpsRatio, s.p99Ratio, cpuCell(s.cpuRatio), verdict(p, s))
			}
			b.WriteString("\n")
		}
	}
	if dur != nil {
		k := key{"always", "set", 1}
		ref := r.samples[k]["redis"]
		rs := summarize(ref, ref)
		fmt.Fprintf(&b, "\nDurability: both servers with appendfsync always, SET -c %d -P 1 -n %d, %d rounds. Goal: Strata >= 2x Redis.\n\n",
			*flagClients, *flagAlwaysN, *flagAlwaysR)
		b.WriteString("| server | rps | p50 | p99 | cpu | rps ratio | p99 ratio | cpu ratio | WAL records | WAL writes | WAL syncs | records per sync |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		fmt.Fprintf(&b, "| redis | %.0f | %.3f | %.3f | %s | 1.00 | 1.00 | 1.00 | | | | |\n", rs.rps, rs.p50, rs.p99, cpuCell(rs.cpu))
		for _, o := range others {
			s := summarize(r.samples[k][o], ref)
			w := dur.wal[o]
			per := 0.0
			if w[2] > 0 {
				per = float64(w[0]) / float64(w[2])
			}
			fmt.Fprintf(&b, "| %s | %.0f | %.3f | %.3f | %s | %.2f | %.2f | %s | %d | %d | %d | %.1f |\n",
				o, s.rps, s.p50, s.p99, cpuCell(s.cpu), s.rpsRatio, s.p99Ratio, cpuCell(s.cpuRatio), w[0], w[1], w[2], per)
		}
	}
	return b.String()
}

// cpuCell formats a CPU figure or its ratio to Redis's: "-" where the CPU
// time could not be read (summarize leaves 0).
func cpuCell(v float64) string {
	if v <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

const (
	beginMarker = "<!-- serverbench:begin (generated by make bench; edits inside are overwritten) -->"
	endMarker   = "<!-- serverbench:end -->"
)

// writeSection replaces the generated section of the Markdown file at path
// (creating the file, or appending the section, when it has none).
func writeSection(path, report string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	section := beginMarker + "\n" + report + endMarker + "\n"
	text := string(old)
	i, j := strings.Index(text, beginMarker), strings.Index(text, endMarker)
	switch {
	case i >= 0 && j > i:
		text = text[:i] + section + strings.TrimPrefix(text[j+len(endMarker):], "\n")
	case len(text) == 0:
		text = "# Benchmarks\n\n" + section
	default:
		text += "\n" + section
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
