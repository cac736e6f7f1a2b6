package resp

import (
	"io"
	"strings"
	"testing"
)

func TestReadCommandInline(t *testing.T) {
	in := "PING\r\nSET k v\n\r\n   \r\nECHO \"a b\"\r\n"
	cmds, err := readAll(NewReader(strings.NewReader(in), Limits{}))
	want := [][]string{{"PING"}, {"SET", "k", "v"}, {"ECHO", "a b"}}
	if err != io.EOF || !equalCmds(cmds, want) {
		t.Fatalf("got %q, %v; want %q", cmds, err, want)
	}
}

func TestInlineQuoting(t *testing.T) {
	tests := []struct {
		line string
		want []string // nil: unbalanced quotes
	}{
		{`SET k v`, []string{"SET", "k", "v"}},
		{"  SET\t k \t v  ", []string{"SET", "k", "v"}},
		{`SET "a b" c`, []string{"SET", "a b", "c"}},
		{`"\x41\x4a\x6b\x00z"`, []string{"AJk\x00z"}},
		{`"\n\r\t\b\a\\\"\q"`, []string{"\n\r\t\b\a\\\"q"}},
		{`"\x4"`, []string{"x4"}},
		{`"\xZZ"`, []string{"xZZ"}},
		{`'it\'s' 'a\nb' 'a\\b'`, []string{"it's", `a\nb`, `a\\b`}},
		{`'\\'`, nil}, // the second backslash escapes the closing quote
		{`'a "b" c'`, []string{`a "b" c`}},
		{`"a 'b' c"`, []string{`a 'b' c`}},
		{`a"b c"`, []string{"ab c"}},
		{`a'b c'`, []string{"ab c"}},
		{`"a"` + "\t" + `"b"`, []string{"a", "b"}},
		{`"a"` + "\v" + `b`, []string{"a", "b"}},
		{"a\vb\fc", []string{"a\vb\fc"}},
		{"\v\fa", []string{"a"}},
		{`SET k ""`, []string{"SET", "k"}},
		{`"" ''`, []string{}},
		{"SET a b\x00c d", []string{"SET", "a", "b"}},
		{"\x00SET", []string{}},
		{"\xff\xfe \x80", []string{"\xff\xfe", "\x80"}},
		{`"abc`, nil},
		{`'abc`, nil},
		{`"abc"def`, nil},
		{`'abc'def`, nil},
		{`"a\"`, nil},
		{`"a\`, nil},
		{"\"a\x00\"", nil},
		{`'a\'`, nil},
	}
	for _, tc := range tests {
		line := []byte(tc.line)
		got, ok := splitInline(nil, line)
		if tc.want == nil {
			if ok {
				t.Errorf("%q: got %q, want unbalanced quotes", tc.line, got)
			}
			continue
		}
		if !ok {
			t.Errorf("%q: unbalanced quotes, want %q", tc.line, tc.want)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%q: got %q, want %q", tc.line, got, tc.want)
			continue
		}
		for i := range got {
			if string(got[i]) != tc.want[i] {
				t.Errorf("%q: got %q, want %q", tc.line, got, tc.want)
				break
			}
		}
	}
}
