package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/strata-db/strata/jemallocprof"
)

// disableProfilingAfter leaves heap profiling off when the test ends
// (the switch is process-wide).
func disableProfilingAfter(t *testing.T) {
	t.Cleanup(func() {
		if err := jemallocprof.DisableProfiling(); err != nil {
			t.Error(err)
		}
	})
}

// parseProfile reads a heap profile file and requires samples in it.
func parseProfile(t *testing.T, path string) *profile.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("%s does not parse as a profile: %v", path, err)
	}
	if len(p.Sample) == 0 {
		t.Fatalf("%s has no samples", path)
	}
	return p
}

func TestKProfile(t *testing.T) {
	disableProfilingAfter(t)
	data := t.TempDir()
	root := t.TempDir()
	outside := t.TempDir()
	ts := startServer(t, data, "--profile-dump-root", root)
	c := dialRaw(t, ts.addr)

	c.expectDo(t, `"disabled"`, "KPROFILE", "MEMORY", "STATUS")
	c.expectDo(t, "-"+errKProfileDisabled, "KPROFILE", "MEMORY", "DUMP", ".")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"KPROFILE"}, "-ERR wrong number of arguments for 'kprofile' command"},
		{[]string{"KPROFILE", "MEMORY"}, "-ERR wrong number of arguments for 'kprofile' command"},
		{[]string{"KPROFILE", "CPU", "ENABLE"}, "-" + errKProfileComponent},
		{[]string{"KPROFILE", "MEMORY", "START"}, "-" + errKProfileOp},
		{[]string{"KPROFILE", "MEMORY", "ENABLE", "now"}, "-ERR wrong number of arguments for 'kprofile' command"},
		{[]string{"KPROFILE", "MEMORY", "STATUS", "x"}, "-ERR wrong number of arguments for 'kprofile' command"},
		{[]string{"KPROFILE", "MEMORY", "DUMP"}, "-ERR wrong number of arguments for 'kprofile' command"},
		{[]string{"KPROFILE", "MEMORY", "DUMP", "a", "b"}, "-ERR wrong number of arguments for 'kprofile' command"},
		{[]string{"CONFIG", "SET", "profile-dump-root", outside}, "-ERR CONFIG SET failed (possibly related to argument 'profile-dump-root') - can't set immutable config"},
		// Nothing writes files elsewhere at run time: the data dir is fixed too.
		{[]string{"CONFIG", "SET", "dir", outside}, "-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set immutable config"},
	} {
		c.expectDo(t, tc.want, tc.args...)
	}

	c.expectDo(t, "+OK", "kprofile", "memory", "enable")
	c.expectDo(t, "+OK", "KPROFILE", "MEMORY", "ENABLE") // twice is harmless
	c.expectDo(t, `"enabled"`, "KPROFILE", "MEMORY", "STATUS")
	if !strings.Contains(c.mustDo(t, "INFO", "memory").Str, "heap_profiling:yes\r\n") {
		t.Fatal("INFO memory does not say heap_profiling:yes")
	}

	// Where a dump may go: the root itself, a directory under it, by a
	// relative or an absolute path.
	realRoot, _ := filepath.EvalSymlinks(root)
	sub := filepath.Join(root, "profiles")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{".", "profiles", "./profiles/", sub, root} {
		v := c.mustDo(t, "KPROFILE", "MEMORY", "DUMP", arg)
		if v.Kind != '$' || !strings.HasPrefix(v.Str, realRoot+string(filepath.Separator)) {
			t.Fatalf("DUMP %s: %v", arg, v)
		}
		parseProfile(t, v.Str)
	}

	// Where it may not.
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	realOutside, _ := filepath.EvalSymlinks(outside)
	for _, tc := range []struct{ arg, want string }{
		{"..", fmt.Sprintf(errDumpDotDot, "..")},
		{"../x", fmt.Sprintf(errDumpDotDot, "../x")},
		{"profiles/../..", fmt.Sprintf(errDumpDotDot, "profiles/../..")},
		{sub + "/../profiles", fmt.Sprintf(errDumpDotDot, sub+"/../profiles")},
		{outside, fmt.Sprintf(errDumpOutside, outside, root)},
		{"/", fmt.Sprintf(errDumpOutside, "/", root)},
		{"escape", fmt.Sprintf(errDumpSymlink, "escape", realOutside, root)},
		{filepath.Join(root, "escape"), fmt.Sprintf(errDumpSymlink, filepath.Join(root, "escape"), realOutside, root)},
		{"missing", fmt.Sprintf(errDumpMissing, "missing")},
		{"file", fmt.Sprintf(errDumpNotDir, "file")},
		{"", fmt.Sprintf(errDumpBadDir, "", "empty or NUL in the path")},
	} {
		c.expectDo(t, "-"+tc.want, "KPROFILE", "MEMORY", "DUMP", tc.arg)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("files were written outside the root: %v", entries)
	}

	// A failed write is an error reply, never OK.
	if os.Geteuid() != 0 {
		ro := filepath.Join(root, "readonly")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		if v := c.mustDo(t, "KPROFILE", "MEMORY", "DUMP", "readonly"); v.Kind != '-' || !strings.HasPrefix(v.Str, "ERR failed to dump the heap profile: ") {
			t.Fatalf("DUMP into a read-only directory: %v", v)
		}
	}
	saved := dumpHeapProfile
	dumpHeapProfile = func(string) (string, error) { return "", errors.New("no space left on device") }
	c.expectDo(t, "-ERR failed to dump the heap profile: no space left on device", "KPROFILE", "MEMORY", "DUMP", ".")
	dumpHeapProfile = saved

	c.expectDo(t, "+OK", "KPROFILE", "MEMORY", "DISABLE")
	c.expectDo(t, `"disabled"`, "KPROFILE", "MEMORY", "STATUS")
	c.expectDo(t, "-"+errKProfileDisabled, "KPROFILE", "MEMORY", "DUMP", ".")
}

// TestKProfileDefaultRoot: without profile-dump-root, dumps go under dir.
func TestKProfileDefaultRoot(t *testing.T) {
	disableProfilingAfter(t)
	data := t.TempDir()
	ts := startServer(t, data)
	c := dialRaw(t, ts.addr)
	c.expectDo(t, "+OK", "KPROFILE", "MEMORY", "ENABLE")
	realData, _ := filepath.EvalSymlinks(data)
	if v := c.mustDo(t, "KPROFILE", "MEMORY", "DUMP", "."); filepath.Dir(v.Str) != realData {
		t.Fatalf("DUMP . wrote %v, want a file in %s", v, realData)
	}
	c.expectDo(t, "-"+fmt.Sprintf(errDumpOutside, "/tmp", data), "KPROFILE", "MEMORY", "DUMP", "/tmp")
}

// TestKProfileDumpUnderLoad: DUMP while 50 clients write returns a path
// whose file parses as a profile with samples.
func TestKProfileDumpUnderLoad(t *testing.T) {
	disableProfilingAfter(t)
	ts := startServer(t, t.TempDir())
	admin := dialRaw(t, ts.addr)
	admin.expectDo(t, "+OK", "KPROFILE", "MEMORY", "ENABLE")

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var writes atomic.Int64
	errs := make(chan error, 50)
	for i := range 50 {
		cl := ts.client(t, 2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			val := strings.Repeat("v", 512)
			for n := 0; ctx.Err() == nil; n++ {
				if err := cl.Set(ctx, fmt.Sprintf("load:%d:%d", i, n%200), val, 0).Err(); err != nil {
					if ctx.Err() == nil {
						errs <- err
					}
					return
				}
				writes.Add(1)
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()
	waitUntil(t, 30*time.Second, "writes from every client", func() bool { return writes.Load() >= 2000 })
	for range 3 {
		v := admin.mustDo(t, "KPROFILE", "MEMORY", "DUMP", ".")
		if v.Kind != '$' {
			t.Fatalf("DUMP under load: %v", v)
		}
		p := parseProfile(t, v.Str)
		if len(p.SampleType) == 0 || p.SampleType[0].Type != "alloc_objects" {
			t.Fatalf("not a heap profile: %v", p.SampleType)
		}
	}
	cancel()
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("a writer failed: %v", err)
	default:
	}
}
