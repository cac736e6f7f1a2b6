package server

import (
	"strings"
	"testing"
)

// The per-client command cache answers exactly as lookupCommand: a hit
// still checks the arity, and other names, cases and subcommands miss.
func TestCmdCache(t *testing.T) {
	var cc cmdCache
	for _, line := range []string{
		"GET k", "GET k", "GET", "GET a b", "get k", "GET k", "GETX k",
		"CONFIG GET port", "CONFIG GET port", "CONFIG NOPE", "SET k v", "SET k", "SET k v EX 1",
	} {
		var args [][]byte
		for _, a := range strings.Fields(line) {
			args = append(args, []byte(a))
		}
		gotCmd, gotErr := cc.lookup(args)
		wantCmd, wantErr := lookupCommand(args)
		if gotCmd != wantCmd || gotErr != wantErr {
			t.Errorf("%q: cached lookup %v %q, want %v %q", line, gotCmd, gotErr, wantCmd, wantErr)
		}
	}
}
