package main

import (
	"strings"
	"testing"
)

// TestSummarizeCPU: a server's CPU per request is the median of its rounds
// and its ratio the median of the per-round ratios to Redis's, both
// leaving out rounds whose CPU time could not be read (0); with none read
// the cells say "-".
func TestSummarizeCPU(t *testing.T) {
	ref := []sample{{rps: 100, p99: 1, cpu: 10}, {rps: 100, p99: 1, cpu: 0}, {rps: 100, p99: 1, cpu: 20}}
	own := []sample{{rps: 50, p99: 2, cpu: 30}, {rps: 80, p99: 2, cpu: 25}, {rps: 70, p99: 2, cpu: 20}}
	s := summarize(own, ref)
	// CPU 30, 25, 20: median 25. Ratios 3 and 1 (round 2's Redis figure
	// is unknown): median 2. rps ratios 0.5, 0.8, 0.7: median 0.7.
	if s.cpu != 25 || s.cpuRatio != 2 || s.rpsRatio != 0.7 || s.p99Ratio != 2 {
		t.Fatalf("summary %+v, want cpu 25, cpu ratio 2, rps ratio 0.7, p99 ratio 2", s)
	}
	if got := cpuCell(s.cpu) + " " + cpuCell(s.cpuRatio); got != "25.00 2.00" {
		t.Fatalf("cells %q", got)
	}
	unknown := summarize([]sample{{rps: 1, p99: 1}}, []sample{{rps: 1, p99: 1, cpu: 5}})
	if unknown.cpu != 0 || unknown.cpuRatio != 0 || cpuCell(unknown.cpu) != "-" || cpuCell(unknown.cpuRatio) != "-" {
		t.Fatalf("no CPU read: %+v, cells %q %q", unknown, cpuCell(unknown.cpu), cpuCell(unknown.cpuRatio))
	}
	// The report prints the columns for each server.
	r := newResults()
	k := key{"everysec", "set", 1}
	for i := range ref {
		r.add(k, "redis", ref[i])
		r.add(k, "strata", own[i])
	}
	text := formatReport(env{}, r, []string{"set"}, []int{1}, nil)
	if !strings.Contains(text, "| redis cpu |") || !strings.Contains(text, "| strata cpu |") ||
		!strings.Contains(text, "| 25.00 | 0.70 | 2.00 | 2.00 | bar |") {
		t.Fatalf("report:\n%s", text)
	}
}
