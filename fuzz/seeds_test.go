package fuzz

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the generated seed corpora under testdata/fuzz")

// seed is one named input of a fuzz target: its arguments, in the order of
// the target's parameters.
type seed struct {
	name string
	args []any
}

// seedCorpora lists, per target, the function generating its seeds.
var seedCorpora = map[string]func(testing.TB) []seed{
	"FuzzRESPRequest":   respRequestSeeds,
	"FuzzRESPReply":     respReplySeeds,
	"FuzzWALReader":     walSeeds,
	"FuzzCodecKeys":     codecKeySeeds,
	"FuzzCodecMetadata": codecMetadataSeeds,
	"FuzzParseScore":    parseScoreSeeds,
	"FuzzBatch":         batchSeeds,
	"FuzzEngine":        engineSeeds,
	"FuzzSSTableReader": sstableSeeds,
}

// timeDependent lists the targets whose generated seeds embed the time they
// were written (tables record their creation time): TestSeedCorpus checks
// only that their files exist, and -update-seeds writes only missing ones.
var timeDependent = map[string]bool{"FuzzSSTableReader": true}

// marshalSeed encodes args in the "go test fuzz v1" corpus format for the
// argument types the targets use.
func marshalSeed(args ...any) []byte {
	b := []byte("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			b = fmt.Appendf(b, "[]byte(%q)\n", v)
		case string:
			b = fmt.Appendf(b, "string(%q)\n", v)
		case bool, int64, uint64:
			b = fmt.Appendf(b, "%T(%v)\n", v, v)
		default:
			panic(fmt.Sprintf("marshalSeed: unsupported %T", a))
		}
	}
	return b
}

// TestSeedCorpus checks that each generated seed is committed, byte for
// byte, under testdata/fuzz/<Target>/<name>; with -update-seeds it writes
// them instead.
func TestSeedCorpus(t *testing.T) {
	for _, target := range slices.Sorted(maps.Keys(seedCorpora)) {
		seen := map[string]bool{}
		for _, s := range seedCorpora[target](t) {
			if seen[s.name] {
				t.Fatalf("%s: seed %q generated twice", target, s.name)
			}
			seen[s.name] = true
			path := filepath.Join("testdata", "fuzz", target, s.name)
			want := marshalSeed(s.args...)
			if *updateSeeds {
				if _, err := os.Stat(path); err == nil && timeDependent[target] {
					continue // rewriting would only change the time
				}
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || (!bytes.Equal(got, want) && !timeDependent[target]) {
				t.Errorf("%s is missing or stale (%v): run go test ./fuzz -run TestSeedCorpus -update-seeds", path, err)
			}
		}
	}
}

// seedInput returns the first argument of the seed named name, for targets
// that build on another's seeds.
func seedInput(seeds []seed, name string) []byte {
	for _, s := range seeds {
		if s.name == name {
			return s.args[0].([]byte)
		}
	}
	panic("no seed " + name)
}
