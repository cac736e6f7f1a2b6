package memtable

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
)

// TestMemTable runs the datadriven files in testdata. Commands:
//
//	build [size=N]          new memtable with the entries of the input added
//	add                     add the entries of the input to the current one
//	iter [lower=k] [upper=k] run itertest operations on a point iterator
//	get <key> seq=N         Get
//	rangedel-iter           list the range tombstones (or run ops on them)
func TestMemTable(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var m *MemTable
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			switch td.Cmd {
			case "build", "add":
				if td.Cmd == "build" {
					size := 1 << 20
					td.MaybeScanArgs(t, "size", &size)
					m = New(make([]byte, size))
				}
				entries, err := itertest.ParseEntries(td.Input)
				if err != nil {
					return err.Error()
				}
				var b strings.Builder
				for _, e := range entries {
					if err := m.Add(e.Key, e.Value); err != nil {
						fmt.Fprintf(&b, "%s: %v\n", e.Key, err)
					}
				}
				fmt.Fprintf(&b, "count=%d empty=%t\n", m.Count(), m.Empty())
				return b.String()

			case "iter":
				var lower, upper []byte
				if arg, ok := td.Arg("lower"); ok {
					lower = []byte(arg.SingleVal(t))
				}
				if arg, ok := td.Arg("upper"); ok {
					upper = []byte(arg.SingleVal(t))
				}
				it := m.NewIter(lower, upper)
				defer func() {
					if err := it.Close(); err != nil {
						t.Fatal(err)
					}
				}()
				return itertest.RunIterOps(it, td.Input)

			case "get":
				if len(td.CmdArgs) != 2 {
					t.Fatalf("usage: get <key> seq=N")
				}
				var seq string
				td.ScanArgs(t, "seq", &seq)
				s := base.SeqNumMax
				if seq != "inf" {
					v, err := strconv.ParseUint(seq, 10, 64)
					if err != nil {
						t.Fatal(err)
					}
					s = base.SeqNum(v)
				}
				value, kind, ok := m.Get([]byte(td.CmdArgs[0].Key), s)
				if !ok {
					return "not found\n"
				}
				if kind == base.InternalKeyKindDelete {
					return "DEL\n"
				}
				return fmt.Sprintf("%s:%s\n", kind, value)

			case "rangedel-iter":
				it := m.NewRangeDelIter()
				if it == nil {
					return "<nil>\n"
				}
				defer func() {
					if err := it.Close(); err != nil {
						t.Fatal(err)
					}
				}()
				if strings.TrimSpace(td.Input) != "" {
					return itertest.RunIterOps(it, td.Input)
				}
				entries, err := itertest.Collect(it)
				if err != nil {
					return err.Error()
				}
				var b strings.Builder
				for _, e := range entries {
					fmt.Fprintf(&b, "%s:%s\n", e.Key, e.Value)
				}
				return b.String()
			}
			t.Fatalf("unknown command %q", td.Cmd)
			return ""
		})
	})
}
