package server

import (
	"strings"
)

// COMMAND and its subcommands: the command table as data, so redis-cli can
// show hints and clients can discover key positions.

func init() {
	register(&command{name: "command", arity: -1, flags: flagLoading | flagStale, group: "server",
		summary: "Returns detailed information about all commands.", handler: cmdCommand,
		subs: map[string]*command{
			"count": {name: "count", arity: 2, summary: "Returns a count of commands.", handler: cmdCommandCount},
			"info":  {name: "info", arity: -2, summary: "Returns information about one, multiple or all commands.", handler: cmdCommandInfo},
			"docs":  {name: "docs", arity: -2, summary: "Returns documentary information about one, multiple or all commands.", handler: cmdCommandDocs},
			"list":  {name: "list", arity: -2, summary: "Returns a list of command names.", handler: cmdCommandList},
			"help":  {name: "help", arity: 2, summary: "Returns helpful text about the different subcommands.", handler: cmdCommandHelp},
		}})
}

func cmdCommand(c *client, args [][]byte) {
	cmds := sortedCommands()
	c.w.ArrayHeader(len(cmds))
	for _, cmd := range cmds {
		writeCommandInfo(c, cmd)
	}
}

// writeCommandInfo writes one COMMAND INFO entry (Redis 7 layout: name,
// arity, flags, first key, last key, step, ACL categories, tips, key specs,
// subcommands).
func writeCommandInfo(c *client, cmd *command) {
	c.w.ArrayHeader(10)
	c.w.BulkString(cmd.fullName())
	c.w.Integer(int64(cmd.arity))
	flags := cmd.flagList()
	c.w.SetHeader(len(flags))
	for _, f := range flags {
		c.w.SimpleString(f)
	}
	c.w.Integer(int64(cmd.firstKey))
	c.w.Integer(int64(cmd.lastKey))
	c.w.Integer(int64(cmd.step))
	cats := []string{"@" + categoryOf(cmd)}
	c.w.SetHeader(len(cats))
	for _, cat := range cats {
		c.w.SimpleString(cat)
	}
	c.w.SetHeader(0)   // tips
	c.w.ArrayHeader(0) // key specs
	subs := sortedSubs(cmd)
	c.w.ArrayHeader(len(subs))
	for _, sub := range subs {
		writeCommandInfo(c, sub)
	}
}

func categoryOf(cmd *command) string {
	if cmd.parent != nil {
		cmd = cmd.parent
	}
	switch cmd.group {
	case "connection":
		return "connection"
	case "server":
		return "admin"
	case "string":
		return "string"
	case "generic":
		return "keyspace"
	case "sorted-set":
		return "sortedset"
	}
	return cmd.group
}

func sortedSubs(cmd *command) []*command {
	var out []*command
	for _, s := range cmd.subs {
		out = append(out, s)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].name < out[j-1].name; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func cmdCommandCount(c *client, args [][]byte) { c.w.Integer(int64(len(commandTable))) }

// findCommand resolves "get" or "config|get".
func findCommand(name string) *command {
	name = strings.ToLower(name)
	top, sub, hasSub := strings.Cut(name, "|")
	cmd := commandTable[top]
	if cmd == nil || !hasSub {
		return cmd
	}
	return cmd.subs[sub]
}

func cmdCommandInfo(c *client, args [][]byte) {
	if len(args) == 2 {
		cmdCommand(c, args)
		return
	}
	c.w.ArrayHeader(len(args) - 2)
	for _, a := range args[2:] {
		if cmd := findCommand(string(a)); cmd != nil {
			writeCommandInfo(c, cmd)
		} else {
			c.w.NullArray()
		}
	}
}

func cmdCommandDocs(c *client, args [][]byte) {
	var cmds []*command
	if len(args) == 2 {
		cmds = sortedCommands()
	} else {
		for _, a := range args[2:] {
			if cmd := findCommand(string(a)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.w.MapHeader(len(cmds))
	for _, cmd := range cmds {
		writeCommandDoc(c, cmd)
	}
}

func writeCommandDoc(c *client, cmd *command) {
	c.w.BulkString(cmd.fullName())
	subs := sortedSubs(cmd)
	n := 3
	if len(subs) > 0 {
		n++
	}
	c.w.MapHeader(n)
	c.w.BulkString("summary")
	c.w.BulkString(cmd.summary)
	c.w.BulkString("since")
	since := cmd.since
	if since == "" {
		since = "1.0.0"
	}
	c.w.BulkString(since)
	c.w.BulkString("group")
	group := cmd.group
	if cmd.parent != nil {
		group = cmd.parent.group
	}
	c.w.BulkString(group)
	if len(subs) > 0 {
		c.w.BulkString("subcommands")
		c.w.MapHeader(len(subs))
		for _, s := range subs {
			writeCommandDoc(c, s)
		}
	}
}

func cmdCommandList(c *client, args [][]byte) {
	var pattern string
	if len(args) > 2 {
		if len(args) != 5 || !strings.EqualFold(string(args[2]), "filterby") {
			c.w.Error(errSyntax)
			return
		}
		switch strings.ToLower(string(args[3])) {
		case "pattern":
			pattern = strings.ToLower(string(args[4]))
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	var names []string
	for _, cmd := range sortedCommands() {
		if pattern == "" || globMatch(pattern, cmd.name) {
			names = append(names, cmd.name)
		}
	}
	c.w.ArrayHeader(len(names))
	for _, n := range names {
		c.w.BulkString(n)
	}
}

func cmdCommandHelp(c *client, args [][]byte) {
	replyHelp(c, "COMMAND", []string{
		"(no subcommand)", "    Return details about all commands.",
		"COUNT", "    Return the total number of commands in this server.",
		"LIST", "    Return a list of all commands in this server.",
		"INFO [<command-name> ...]", "    Return details about multiple commands.",
		"DOCS [<command-name> ...]", "    Return documentation details about multiple commands.",
	})
}
