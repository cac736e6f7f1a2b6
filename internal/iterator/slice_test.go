package iterator

import (
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/strata-db/strata/internal/itertest"
)

func TestSliceIter(t *testing.T) {
	var src source
	datadriven.RunTest(t, "testdata/slice_iter", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "define":
			var err error
			if src, err = parseSource(d.Input); err != nil {
				return err.Error()
			}
			return ""
		case "iter":
			lower, upper := scanBounds(t, d)
			it := src.iter(lower, upper)
			defer it.Close()
			return itertest.RunIterOps(it, d.Input)
		}
		t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
		return ""
	})
}
