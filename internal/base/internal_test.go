package base

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestInternalKeyNotation(t *testing.T) {
	for _, s := range []string{"a#12,SET", "b#0,DEL", "c#inf,RANGEDEL", `"a b"#3,SET`, `"\x00\xff"#9,SET`} {
		k, err := ParseInternalKey(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got := k.String(); got != s {
			t.Errorf("round trip %q -> %q", s, got)
		}
	}
	for _, bad := range []string{"a", "a#x,SET", "a#1", "a#1,FOO", "a#72057594037927936,SET"} {
		if _, err := ParseInternalKey(bad); err == nil {
			t.Errorf("%q: expected error", bad)
		}
	}
}

func TestInternalKeyEncoding(t *testing.T) {
	for _, s := range []string{"a#12,SET", "#0,DEL", "zz#inf,RANGEDEL"} {
		k := MustParseInternalKey(s)
		enc := k.AppendEncoded(nil)
		if len(enc) != k.Size() {
			t.Fatalf("size %d != %d", len(enc), k.Size())
		}
		buf := make([]byte, k.Size())
		k.Encode(buf)
		if string(buf) != string(enc) {
			t.Fatalf("Encode and AppendEncoded differ")
		}
		if d := DecodeInternalKey(enc); InternalCompare(d, k) != 0 || d.String() != s {
			t.Errorf("decode %q -> %s", s, d)
		}
	}
	if DecodeInternalKey([]byte("short")).Valid() {
		t.Error("short key decoded as valid")
	}
}

func TestInternalCompare(t *testing.T) {
	ordered := []string{"a#inf,RANGEDEL", "a#10,SET", "a#10,DEL", "a#1,SET", "b#5,SET", "ba#9,SET"}
	for i := range ordered {
		for j := range ordered {
			a, b := MustParseInternalKey(ordered[i]), MustParseInternalKey(ordered[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := InternalCompare(a, b); got != want {
				t.Errorf("compare(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
	// A search key sorts before every version visible at its sequence number.
	if InternalCompare(MakeSearchKey([]byte("a"), 10), MustParseInternalKey("a#10,RANGEDEL")) > 0 {
		t.Error("search key sorts after a visible entry")
	}
}

func TestComparer(t *testing.T) {
	c := DefaultComparer
	for _, tc := range []struct{ a, b, want string }{
		{"abc", "abe", "abd"},
		{"abc", "abd", "abc"},
		{"ab", "abc", "ab"},
		{"a\xff", "b", "a\xff"},
		{"helloworld", "hellz", "hellp"},
		// Adjacent bytes at the first difference (consecutive counters).
		{"ab1xyz", "ab2", "ab1y"},
		{"ab1xyz", "ab2q", "ab2"},
		{"ab1\xff\xffz", "ab2", "ab1\xff\xff{"},
		{"ab1\xff", "ab2", "ab1\xff"},
		{"d\x00\x05" + strings.Repeat("m", 4096), "d\x00\x06" + strings.Repeat("n", 4096), "d\x00\x06"},
	} {
		got := string(c.Separator(nil, []byte(tc.a), []byte(tc.b)))
		if got != tc.want {
			t.Errorf("Separator(%q,%q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
		if c.Compare([]byte(tc.a), []byte(got)) > 0 || c.Compare([]byte(got), []byte(tc.b)) >= 0 {
			t.Errorf("Separator(%q,%q) = %q out of range", tc.a, tc.b, got)
		}
	}
	for _, tc := range []struct{ a, want string }{{"abc", "b"}, {"\xff\xffx", "\xff\xffy"}, {"\xff", "\xff"}, {"", ""}} {
		if got := string(c.Successor(nil, []byte(tc.a))); got != tc.want {
			t.Errorf("Successor(%q) = %q, want %q", tc.a, got, tc.want)
		}
	}
}

func TestFilenames(t *testing.T) {
	for _, tc := range []struct {
		t FileType
		n FileNum
	}{{FileTypeLog, 7}, {FileTypeTable, 123456789}, {FileTypeManifest, 1}, {FileTypeCurrent, 0}, {FileTypeLock, 0}, {FileTypeTemp, 4}, {FileTypeOptions, 5}} {
		name := MakeFilename(tc.t, tc.n)
		gt, gn, ok := ParseFilename(name)
		if !ok || gt != tc.t || gn != tc.n {
			t.Errorf("%s parsed as %v %v %v", name, gt, gn, ok)
		}
	}
	for _, name := range []string{"foo", "x.log", "MANIFEST-", "12.sstx"} {
		if _, _, ok := ParseFilename(name); ok {
			t.Errorf("%q parsed", name)
		}
	}
}

func TestCorruption(t *testing.T) {
	err := CorruptionErrorf("block %d", 3)
	if !errors.Is(err, ErrCorruption) || err.Error() != "strata: corruption: block 3" {
		t.Fatal(err)
	}
	inner := errors.New("bad")
	m := MarkCorruption(fmt.Errorf("reading: %w", inner))
	if !errors.Is(m, ErrCorruption) || !errors.Is(m, inner) {
		t.Fatal(m)
	}
	if MarkCorruption(nil) != nil {
		t.Fatal("nil")
	}
}
