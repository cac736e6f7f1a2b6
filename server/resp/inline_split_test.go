package resp

import (
	"reflect"
	"testing"
)

func TestSplitArgsKeepsEmptyQuoted(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{`requirepass ""`, []string{"requirepass", ""}, true},
		{`dir "/tmp/a b"`, []string{"dir", "/tmp/a b"}, true},
		{`x 'it\'s'`, []string{"x", "it's"}, true},
		{`x "\x41\n"`, []string{"x", "A\n"}, true},
		{`x "open`, nil, false},
		{`  bind 127.0.0.1 ::1  `, []string{"bind", "127.0.0.1", "::1"}, true},
	} {
		got, ok := SplitArgs(tc.in)
		if ok != tc.ok || (ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
