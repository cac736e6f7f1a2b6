package server

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// cmdFlag describes a command for COMMAND INFO and for the dispatcher.
type cmdFlag uint32

const (
	flagWrite cmdFlag = 1 << iota
	flagReadOnly
	flagAdmin
	flagNoAuth // allowed before AUTH
	flagFast
	flagPubSub
	flagLoading
	flagStale
	flagNoScript
	flagAllowBusy
	flagDenyOOM
	flagMovableKeys // key positions depend on the arguments (numkeys)
)

var flagNames = []struct {
	f    cmdFlag
	name string
}{
	{flagWrite, "write"}, {flagReadOnly, "readonly"}, {flagDenyOOM, "denyoom"}, {flagAdmin, "admin"},
	{flagPubSub, "pubsub"}, {flagNoScript, "noscript"}, {flagLoading, "loading"}, {flagStale, "stale"},
	{flagNoAuth, "no_auth"}, {flagFast, "fast"}, {flagAllowBusy, "allow_busy"}, {flagMovableKeys, "movablekeys"},
}

// command is one entry of the command table: the data COMMAND reports and
// the handler the dispatcher calls.
type command struct {
	name     string
	arity    int // > 0: exact argument count (name included); < 0: at least -arity
	flags    cmdFlag
	firstKey int // position of the first key (0 = no keys)
	lastKey  int // position of the last key (-1 = last argument)
	step     int
	group    string
	summary  string
	since    string
	handler  func(c *client, args [][]byte)
	// elemArg is the position of the element argument (a set member, a
	// hash field, a sorted set member) whose data key prefetchNext hints,
	// counted from the end when negative; 0: the key's metadata is hinted.
	elemArg int
	// coalesce, when set, runs the k commands of a run (coalesce.go) at
	// once, all of the command's coalesceArity form, writing k replies as
	// k runs of handler would. Batchable commands have one, and reads
	// whose run may span keys (coalesceKeys).
	coalesce      func(c *client, run *coalesced)
	coalesceArity int
	// coalesceKeys: a run of the command may name a key per command; it
	// runs outside batches, up to maxKeyedRun commands (keyedRun), and
	// coalesceOK, if set, must take the first command as well as the
	// others. GET, SET without options (whose run is an MSET), and INCR,
	// DECR, INCRBY and DECRBY (whose run is one codec.DB.IncrByEach,
	// which reads a key's earlier increment in the run) have it.
	coalesceKeys bool
	// coalesceOK, when set, tells whether a command's arguments after the
	// key are ones the handler takes: one it would refuse runs by itself.
	coalesceOK func(rest [][]byte) bool
	// coalesceFit, when set, returns how many of the command, at most
	// limit, may run as one with their replies within budget bytes.
	coalesceFit func(c *client, key []byte, limit, budget int) int
	// batchable: the command may run in a key batch (keybatch.go); set by
	// register from batchableCommands.
	batchable bool
	// logged: the command may commit writes whose replies must wait for
	// the WAL (client.flush): write commands and EXEC; set by register.
	logged bool
	// subcommands, keyed by lower-case name (CONFIG GET, CLIENT LIST, ...).
	subs   map[string]*command
	parent *command
}

// elem returns the argument elemArg names, if the command has one.
func (cmd *command) elem(args [][]byte) ([]byte, bool) {
	i := cmd.elemArg
	if i < 0 {
		i += len(args)
	}
	if cmd.elemArg == 0 || i < 2 || i >= len(args) {
		return nil, false
	}
	return args[i], true
}

// fullName is "config|get" for subcommands, as Redis names them.
func (cmd *command) fullName() string {
	if cmd.parent != nil {
		return cmd.parent.name + "|" + cmd.name
	}
	return cmd.name
}

// commandTable maps lower-case names to commands. It is filled by the
// register calls of the cmd_*.go files' init functions.
var commandTable = map[string]*command{}

func register(cmds ...*command) {
	for _, c := range cmds {
		if _, dup := commandTable[c.name]; dup {
			panic("server: command registered twice: " + c.name)
		}
		if c.step == 0 && c.firstKey > 0 {
			c.step = 1
		}
		for _, sub := range c.subs {
			sub.parent = c
			if sub.step == 0 && sub.firstKey > 0 {
				sub.step = 1
			}
		}
		c.batchable = batchableCommands[c.name]
		c.logged = c.flags&flagWrite != 0 || c.name == "exec"
		commandTable[c.name] = c
	}
}

// lookupCommand finds the command (and subcommand) for args, or returns the
// error reply to send.
func lookupCommand(args [][]byte) (*command, string) {
	cmd := lookupName(commandTable, args[0])
	if cmd == nil {
		return nil, unknownCommandError(args)
	}
	if !arityOK(cmd.arity, len(args)) {
		return nil, fmt.Sprintf(errWrongArity, cmd.name)
	}
	if cmd.subs != nil && len(args) >= 2 {
		sub := lookupName(cmd.subs, args[1])
		if sub == nil {
			return nil, fmt.Sprintf(errUnknownSubcmd, truncate(string(args[1]), 128), strings.ToUpper(cmd.name))
		}
		if !arityOK(sub.arity, len(args)) {
			return nil, fmt.Sprintf(errWrongArity, sub.fullName())
		}
		return sub, ""
	}
	return cmd, ""
}

// cmdCache remembers a client's last top-level command and the name it
// was sent as, so that a pipeline of one command (or a client repeating
// it) skips the case-folding map lookup.
type cmdCache struct {
	name []byte
	cmd  *command
}

// lookup is lookupCommand through the cache. Only commands without
// subcommands are cached: the table is fixed, so a name that matched
// once names the same command for good.
func (cc *cmdCache) lookup(args [][]byte) (*command, string) {
	if cmd := cc.cached(args); cmd != nil && arityOK(cmd.arity, len(args)) {
		return cmd, ""
	}
	cmd, errMsg := lookupCommand(args)
	if errMsg == "" && cmd.subs == nil && cmd.parent == nil && len(args[0]) <= 32 {
		cc.name = append(cc.name[:0], args[0]...)
		cc.cmd = cmd
	}
	return cmd, errMsg
}

// cached returns the cached command if args names it exactly as it was
// named when cached (no case folding, no arity check), else nil.
func (cc *cmdCache) cached(args [][]byte) *command {
	if cc.cmd != nil && string(args[0]) == string(cc.name) {
		return cc.cmd
	}
	return nil
}

// lookupName looks name up in table case-insensitively, without
// allocating: names are lowered into a buffer on the stack (no command name
// is longer than it).
func lookupName(table map[string]*command, name []byte) *command {
	var buf [32]byte
	if len(name) > len(buf) {
		return nil
	}
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	return table[string(buf[:len(name)])]
}

func arityOK(arity, n int) bool {
	return (arity > 0 && n == arity) || (arity < 0 && n >= -arity)
}

// unknownCommandError formats Redis's unknown-command error as
// processCommand does: arguments are added while the list is shorter than
// 128 bytes, each cut to what is left of those 128 (quotes and spaces
// count), and every name and argument ends at its first NUL byte, since
// Redis formats them with %s.
func unknownCommandError(args [][]byte) string {
	var b strings.Builder
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		fmt.Fprintf(&b, "'%s' ", truncate(cString(a), 128-b.Len()))
	}
	return fmt.Sprintf(errUnknownCommand, truncate(cString(args[0]), 128), b.String())
}

// cString returns b up to its first NUL byte, as C's %s prints it.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// keyPositions returns the indexes of the key arguments of a call.
func (cmd *command) keyPositions(n int) []int {
	if cmd.firstKey <= 0 || cmd.firstKey >= n {
		return nil
	}
	last := cmd.lastKey
	if last < 0 {
		last = n + last
	}
	var out []int
	for i := cmd.firstKey; i <= last && i < n; i += cmd.step {
		out = append(out, i)
	}
	return out
}

func (cmd *command) flagList() []string {
	var out []string
	for _, f := range flagNames {
		if cmd.flags&f.f != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// sortedCommands returns every top-level command, by name.
func sortedCommands() []*command {
	out := make([]*command, 0, len(commandTable))
	for _, c := range commandTable {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
