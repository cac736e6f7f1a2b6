package crashtest

import (
	"testing"
	"time"

	// The test builds and runs cmd/strata-server, which go test cannot
	// see: importing the server links its packages into the test binary,
	// so that a change to any of them invalidates the cached result.
	_ "github.com/strata-db/strata/server"
)

// TestCrashShort is the short version of `make crashtest`: a few
// kill-and-restart cycles per mode.
func TestCrashShort(t *testing.T) {
	bin, err := Binary(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	cycles := 4
	if testing.Short() {
		cycles = 2
	}
	for _, mode := range Modes {
		t.Run(string(mode), func(t *testing.T) {
			res, err := Run(Options{Binary: bin, Mode: mode, Cycles: cycles, Dir: t.TempDir(),
				MaxRun: 800 * time.Millisecond, Logf: t.Logf})
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res)
			for _, f := range res.Failures {
				t.Error(f)
			}
			if res.Acked == 0 {
				t.Error("no write was acknowledged")
			}
		})
	}
}
