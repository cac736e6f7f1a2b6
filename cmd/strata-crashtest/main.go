// Command strata-crashtest kills a real strata-server at random moments and
// checks that every restart shows what the persistence mode promises (see
// package internal/crashtest).
//
//	strata-crashtest [-bin bin/strata-server] [-cycles 20] [-modes always,everysec,appendonly-no]
//
// It prints one line of figures per mode and exits with status 1 if any
// guarantee was broken, keeping that mode's data directory for inspection.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/strata-db/strata/internal/crashtest"
)

func main() {
	bin := flag.String("bin", "", "strata-server binary (default: go build one)")
	cycles := flag.Int("cycles", 20, "kill-and-restart cycles per mode")
	modes := flag.String("modes", "always,everysec,appendonly-no", "comma-separated modes")
	writers := flag.Int("writers", 4, "concurrent writer connections")
	seed := flag.Uint64("seed", 0, "random seed (0: from the clock)")
	minRun := flag.Duration("min-run", 100*time.Millisecond, "shortest run before a kill")
	maxRun := flag.Duration("max-run", 1500*time.Millisecond, "longest run before a kill")
	dir := flag.String("dir", "", "parent of the data directories (default: the system's temporary directory)")
	extra := flag.String("args", "", `extra server arguments, e.g. "--memtable-size 64kb"`)
	verbose := flag.Bool("v", false, "print a line per cycle")
	flag.Parse()

	if *bin == "" {
		tmp, err := os.MkdirTemp("", "strata-crashtest-bin-")
		if err != nil {
			fatal(err)
		}
		defer os.RemoveAll(tmp)
		if *bin, err = crashtest.Binary(tmp, ""); err != nil {
			fatal(err)
		}
	}
	logf := func(string, ...any) {}
	if *verbose {
		logf = func(format string, args ...any) { fmt.Printf(format+"\n", args...) }
	}
	failed := false
	for _, m := range strings.Split(*modes, ",") {
		mode := crashtest.Mode(strings.TrimSpace(m))
		if !validMode(mode) {
			fatal(fmt.Errorf("unknown mode %q (want one of %v)", mode, crashtest.Modes))
		}
		res, err := crashtest.Run(crashtest.Options{
			Binary: *bin, Mode: mode, Cycles: *cycles, Writers: *writers, Seed: *seed,
			MinRun: *minRun, MaxRun: *maxRun, Dir: *dir, ExtraArgs: strings.Fields(*extra), Logf: logf,
		})
		if err != nil {
			fatal(err)
		}
		fmt.Println(res)
		if len(res.Failures) > 0 {
			failed = true
			for _, f := range res.Failures {
				fmt.Println("  FAILURE:", f)
			}
			fmt.Println("  data directory kept:", res.Dir)
		}
	}
	if failed {
		os.Exit(1)
	}
}

func validMode(m crashtest.Mode) bool {
	for _, v := range crashtest.Modes {
		if v == m {
			return true
		}
	}
	return false
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "strata-crashtest:", err)
	os.Exit(2)
}
