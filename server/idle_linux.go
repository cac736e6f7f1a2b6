package server

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

// machineIdleTime returns the machine's idle time over all CPUs since boot
// (idle and iowait in /proc/stat), or -1 if it cannot be read.
func machineIdleTime() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 6 || string(f[0]) != "cpu" {
		return -1
	}
	var ticks int64
	for _, v := range f[4:6] { // idle, iowait
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return -1
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ
}

// userHZ is the unit of /proc/stat's times (USER_HZ, 100 on every Linux
// architecture Go supports).
const userHZ = 100
