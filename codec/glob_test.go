package codec

import (
	"strings"
	"testing"
	"time"
)

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, str string
		want         bool
	}{
		// Literals, '?', '*' (the KEYS and SCAN MATCH cases of Redis's
		// keyspace and scan tests).
		{"foo*", "foo_a", true},
		{"foo*", "foo_b", true},
		{"foo*", "key_x", false},
		{"key*", "key_x", true},
		{"*", "anything", true},
		{"*", "", false}, // the matcher itself; KEYS/SCAN special-case "*"
		{"", "", true},
		{"", "a", false},
		{"a", "", false},
		{"*foo*", "barfoobaz", true},
		{"*foo*", "barfobaz", false},
		{"h?llo", "hello", true},
		{"h?llo", "hallo", true},
		{"h?llo", "hllo", false},
		{"h*llo", "hllo", true},
		{"h*llo", "heeeello", true},
		{"h*llo", "heeeellox", false},
		{"a**b", "ab", true},
		{"a*b*", "ab", true},
		{"a*b*c", "abbbc", true},
		{"a*b*c", "abbbcd", false},
		{"*a", "aaa", true},
		{"*a", "aab", false},
		// Classes.
		{"h[ae]llo", "hello", true},
		{"h[ae]llo", "hallo", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hallo", true},
		{"h[a-b]llo", "hbllo", true},
		{"h[a-b]llo", "hcllo", false},
		{"h[b-a]llo", "hallo", true}, // reversed bounds are swapped
		{"[0-9]*", "7up", true},
		{"[^0-9]*", "7up", false},
		{"[\\]]", "]", true},
		{"[\\-]", "-", true},
		{"[a\\-z]", "b", false},
		{"[]", "]", false},   // ']' right after '[' closes an empty set
		{"[]a]", "a", false}, // ... so "[]a]" is an empty set then "a]"
		{"[]a]", "]", false},
		{"[abc", "b", true}, // unterminated: the set runs to the end
		{"[abc", "d", false},
		{"[a-]", "a", true}, // "a-]" is the range a..']' (swapped: ']'..'a')
		{"[a-]", "^", true},
		{"[a-]", "-", false},
		{"[a-]x", "x", true}, // ... and the set continues past the ']'
		{"[^]", "a", true},   // an empty set, negated
		// Escapes.
		{"\\*", "*", true},
		{"\\*", "a", false},
		{"a\\?", "a?", true},
		{"a\\?", "ab", false},
		{"\\[a]", "[a]", true},
		{"a\\", "a\\", true}, // a trailing backslash is literal
		{"\\\\", "\\", true},
		// Binary bytes.
		{"\x00*\xff", "\x00abc\xff", true},
		{"?", "\x80", true},
	} {
		if got := Match(b(tc.pattern), b(tc.str)); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.str, got, tc.want)
		}
		if got := refMatch(b(tc.pattern), b(tc.str)); got != tc.want {
			t.Errorf("refMatch(%q, %q) = %v, want %v (table is wrong?)", tc.pattern, tc.str, got, tc.want)
		}
	}
}

// Redis's "Regression for pattern matching long nested loops" and "very long
// nested loops": many stars against a long string that cannot match must
// finish quickly.
func TestMatchPathological(t *testing.T) {
	start := time.Now()
	pattern := b(strings.Repeat("a*", 10000) + "b")
	str := b(strings.Repeat("a", 50000))
	if Match(pattern, str) {
		t.Fatal("pathological pattern matched")
	}
	if Match(b(strings.Repeat("*", 100000)+"b"), str) {
		t.Fatal("stars-then-b matched")
	}
	if !Match(b(strings.Repeat("a*", 1000)), str) {
		t.Fatal("a* x1000 did not match")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("pathological patterns took %v", d)
	}
}

func TestLiteralPrefix(t *testing.T) {
	for p, want := range map[string]string{
		"": "", "*": "", "user:*": "user:", "abc": "abc", "a?c": "a", "a[b]": "a", "a\\*": "a",
	} {
		if got := string(literalPrefix(b(p))); got != want {
			t.Errorf("literalPrefix(%q) = %q, want %q", p, got, want)
		}
	}
}

// refMatch is a direct transcription of the structure of Redis's recursive
// stringmatchlen (with its skipLongerMatches pruning), used as the oracle for
// Match in the table and fuzz tests. It is only run on short inputs.
func refMatch(pattern, str []byte) bool {
	skip := false
	return refMatchImpl(pattern, str, &skip)
}

func refMatchImpl(p, s []byte, skipLonger *bool) bool {
	// at returns p[i] or 0 past the end (C strings are NUL-terminated).
	at := func(i int) byte {
		if i < len(p) {
			return p[i]
		}
		return 0
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && at(1) == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if refMatchImpl(p[1:], s, skipLonger) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := at(0) == '^'
			if not {
				p = p[1:]
			}
			match := false
			for {
				if at(0) == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						match = true
					}
				} else if at(0) == ']' {
					break
				} else if len(p) == 0 {
					p = p[:0:0]
					p = append(p, 0) // stands for "pattern--": one step back to the end
					p = p[:1]
					break
				} else if len(p) >= 3 && p[1] == '-' {
					lo, hi := p[0], p[2]
					if lo > hi {
						lo, hi = hi, lo
					}
					p = p[2:]
					if s[0] >= lo && s[0] <= hi {
						match = true
					}
				} else if p[0] == s[0] {
					match = true
				}
				p = p[1:]
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if p[0] != s[0] {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}

func FuzzGlob(f *testing.F) {
	for _, seed := range [][2]string{
		{"*", "abc"}, {"h[a-z]llo", "hello"}, {"[^a", "b"}, {"a*b*c*", "aabbcc"},
		{"\\", "\\"}, {"[a-]x", "x"}, {strings.Repeat("a*", 30) + "b", strings.Repeat("a", 60)},
	} {
		f.Add(b(seed[0]), b(seed[1]))
	}
	f.Fuzz(func(t *testing.T, pattern, str []byte) {
		got := Match(pattern, str)
		// The oracle prunes like Redis but is still only fast on small
		// inputs; Match must agree with it wherever it is run.
		if len(pattern) <= 64 && len(str) <= 64 {
			if want := refMatch(pattern, str); got != want {
				t.Fatalf("Match(%q, %q) = %v, reference %v", pattern, str, got, want)
			}
		}
	})
}
