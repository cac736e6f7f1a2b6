package server

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// machineIdleTime returns the idle time since boot of the CPUs the process
// may run on (its affinity mask, as taskset or a cpuset sets it; every CPU
// if the mask cannot be read), from /proc/stat, or -1 if it cannot be
// read. A container's CPU quota is not seen.
func machineIdleTime() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	var set unix.CPUSet
	allowed := func(int) bool { return true }
	if unix.SchedGetaffinity(0, &set) == nil {
		allowed = set.IsSet
	}
	d, ok := idleOfCPUs(b, allowed)
	if !ok {
		return -1
	}
	return d
}

// idleOfCPUs sums the idle and iowait times of the per-CPU lines of a
// /proc/stat text ("cpuN user nice system idle iowait ...") whose CPU
// allowed accepts; ok is false if no such line parses.
func idleOfCPUs(stat []byte, allowed func(cpu int) bool) (d time.Duration, ok bool) {
	var ticks int64
	for line := range bytes.Lines(stat) {
		f := bytes.Fields(line)
		if len(f) < 6 || !bytes.HasPrefix(f[0], []byte("cpu")) || len(f[0]) == 3 {
			continue // the all-CPU line, or another counter
		}
		cpu, err := strconv.Atoi(string(f[0][3:]))
		if err != nil || !allowed(cpu) {
			continue
		}
		idle, err1 := strconv.ParseInt(string(f[4]), 10, 64)
		iowait, err2 := strconv.ParseInt(string(f[5]), 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		ticks += idle + iowait
		ok = true
	}
	return time.Duration(ticks) * time.Second / userHZ, ok
}

// userHZ is the unit of /proc/stat's times (USER_HZ, 100 on every Linux
// architecture Go supports).
const userHZ = 100
