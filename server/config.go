package server

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/server/resp"
)

// Config holds every setting of the server. The table in configTable is the
// only place that knows their names, types, bounds, defaults and whether
// CONFIG SET may change them at run time.
type Config struct {
	mu sync.RWMutex
	// values by setting name, in their canonical text form.
	values map[string]string
	// file is the config file the server was started with ("" for none).
	file string
	// engineFS, when set, is the filesystem under the engine instead of
	// the OS's: tests inject I/O errors through it (internal/vfs/errorfs).
	// No setting reaches it.
	engineFS vfs.FS
}

type settingKind int

const (
	kindString settingKind = iota
	kindBool
	kindInt
	kindMemory // bytes, with Redis's units (1k, 1kb, 1m, 1mb, 1g, 1gb)
	kindEnum
)

// setting describes one configuration parameter.
type setting struct {
	name     string
	kind     settingKind
	def      string
	min, max int64    // kindInt, kindMemory
	enum     []string // kindEnum
	mutable  bool
	// sensitive settings are not shown by CONFIG GET patterns other than
	// their exact name... (Redis shows requirepass to CONFIG GET; so do we.)
	doc string
	// merge, when set, replaces normalize: it applies a value to the
	// current one (client-output-buffer-limit sets some classes only).
	merge func(old, value string) (string, error)
}

// configTable lists every setting. Keep it sorted by name.
var configTable = []setting{
	{name: "appendfsync", kind: kindEnum, def: "everysec", enum: []string{"always", "everysec", "no"}, mutable: false,
		doc: "WAL sync policy: always (sync before acknowledging), everysec, no"},
	{name: "appendonly", kind: kindBool, def: "yes", mutable: false,
		doc: "yes: writes go to the WAL; no: the WAL is disabled and writes are durable after a flush (FLUSHMEMTABLE)"},
	{name: "bind", kind: kindString, def: "127.0.0.1", doc: "addresses to listen on, space-separated"},
	{name: "block-cache-size", kind: kindMemory, def: "256mb", min: 0, max: 1 << 40, mutable: true,
		doc: "byte budget of the engine's block cache (0 caches nothing); CONFIG SET resizes it at once"},
	{name: "bottommost-compression", kind: kindEnum, def: "fast", enum: []string{"fast", "zstd"},
		doc: "compression of the engine's bottommost level, which holds most of the data: fast (s2, as the levels above) or zstd (smaller, at several times the compaction CPU)"},
	{name: "client-output-buffer-limit", kind: kindString, def: defaultOutputLimits, mutable: true, merge: mergeOutputLimits,
		doc: "output buffer limits per client class: <class> <hard> <soft> <soft-seconds> ..."},
	{name: "client-query-buffer-limit", kind: kindMemory, def: "1gb", min: 1 << 20, max: math.MaxInt64, mutable: true,
		doc: "largest query buffer of one client"},
	{name: "databases", kind: kindInt, def: "16", min: 1, max: 256, doc: "number of logical databases"},
	{name: "dir", kind: kindString, def: "./data", doc: "data directory"},
	{name: "loglevel", kind: kindEnum, def: "notice", enum: []string{"debug", "verbose", "notice", "warning", "nothing"}, mutable: true},
	{name: "maxclients", kind: kindInt, def: "10000", min: 1, max: math.MaxInt32, mutable: true},
	{name: "memtable-size", kind: kindMemory, def: "64mb", min: 64 << 10, max: 4<<30 - 1, mutable: true,
		doc: "size of each engine memtable; CONFIG SET applies from the next memtable on"},
	{name: "port", kind: kindInt, def: "6379", min: 0, max: 65535},
	{name: "profile-dump-root", kind: kindString, def: "",
		doc: "directory KPROFILE MEMORY DUMP writes under (empty: the dir setting); not settable at run time"},
	{name: "protected-mode", kind: kindBool, def: "yes", mutable: true},
	{name: "proto-max-bulk-len", kind: kindMemory, def: "512mb", min: 1 << 20, max: math.MaxInt64, mutable: true},
	{name: "requirepass", kind: kindString, def: "", mutable: true},
	{name: "save", kind: kindString, def: "", mutable: true, merge: mergeSave,
		doc: "Redis's RDB snapshot schedule: always empty, since the data lives in the engine on disk (tools such as redis-benchmark read it)"},
	{name: "slowlog-log-slower-than", kind: kindInt, def: "10000", min: -1, max: math.MaxInt64, mutable: true,
		doc: "log commands slower than this many microseconds (-1 disables, 0 logs every command)"},
	{name: "slowlog-max-len", kind: kindInt, def: "128", min: 0, max: math.MaxInt32, mutable: true},
	{name: "status-addr", kind: kindString, def: "",
		doc: "host:port of the HTTP status server (/debug/pprof, /metrics, /healthz); empty: off; loopback unless requirepass is set"},
	{name: "timeout", kind: kindInt, def: "0", min: 0, max: math.MaxInt32, mutable: true,
		doc: "close a client after this many idle seconds (0 = never)"},
	{name: "workers", kind: kindInt, def: "0", min: 0, max: 1024, mutable: true,
		doc: "most threads running the server's Go code at once, commands and the engine's flushes and compactions alike (GOMAXPROCS); 0: chosen by the server, one thread while clients send one command at a time, one per CPU when they pipeline, the engine falls behind or one thread is saturated, and always under appendfsync always"},
}

func lookupSetting(name string) *setting {
	name = strings.ToLower(name)
	for i := range configTable {
		if configTable[i].name == name {
			return &configTable[i]
		}
	}
	return nil
}

// NewConfig returns the default configuration.
func NewConfig() *Config {
	c := &Config{values: make(map[string]string)}
	for _, s := range configTable {
		c.values[s.name] = s.defaultValue()
	}
	return c
}

// defaultValue is the setting's default in canonical form, like any value
// set later: Int reads a memory default of "64mb" as 67108864, and CONFIG
// GET shows bytes, as Redis does.
func (s *setting) defaultValue() string {
	v, err := s.normalize(s.def)
	if err != nil {
		panic(fmt.Sprintf("server: default of %s: %v", s.name, err))
	}
	return v
}

// normalize checks value against the setting and returns its canonical
// form, or the reason it is invalid (worded as Redis words it).
func (s *setting) normalize(value string) (string, error) {
	switch s.kind {
	case kindBool:
		switch strings.ToLower(value) {
		case "yes":
			return "yes", nil
		case "no":
			return "no", nil
		}
		return "", fmt.Errorf("argument must be 'yes' or 'no'")
	case kindInt:
		v, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return "", fmt.Errorf("argument couldn't be parsed into an integer")
		}
		if v < s.min || v > s.max {
			return "", fmt.Errorf("argument must be between %d and %d inclusive", s.min, s.max)
		}
		return strconv.FormatInt(v, 10), nil
	case kindMemory:
		v, ok := parseMemory(value)
		if !ok {
			return "", fmt.Errorf("argument must be a memory value")
		}
		if v < s.min || v > s.max {
			return "", fmt.Errorf("argument must be between %d and %d inclusive", s.min, s.max)
		}
		return strconv.FormatInt(v, 10), nil
	case kindEnum:
		for _, e := range s.enum {
			if strings.EqualFold(e, value) {
				return e, nil
			}
		}
		return "", fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(s.enum, ", "))
	}
	return value, nil
}

// normalize is s.normalize, or s.merge with the current value.
func (c *Config) normalize(s *setting, value string) (string, error) {
	if s.merge != nil {
		return s.merge(c.Get(s.name), value)
	}
	return s.normalize(value)
}

// parseMemory parses a byte count with Redis's units: k=1000, kb=1024,
// m=1000^2, mb=1024^2, g=1000^3, gb=1024^3 (case-insensitive).
func parseMemory(s string) (int64, bool) {
	l := strings.ToLower(s)
	mul := int64(1)
	for _, u := range []struct {
		suffix string
		mul    int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}, {"b", 1}} {
		if strings.HasSuffix(l, u.suffix) {
			l, mul = strings.TrimSuffix(l, u.suffix), u.mul
			break
		}
	}
	v, err := strconv.ParseInt(l, 10, 64)
	if err != nil || v < 0 || (v > 0 && v > math.MaxInt64/mul) {
		return 0, false
	}
	return v * mul, true
}

// Get returns a setting's value.
func (c *Config) Get(name string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.values[name]
}

// Int returns an integer or memory setting.
func (c *Config) Int(name string) int64 {
	v, _ := strconv.ParseInt(c.Get(name), 10, 64)
	return v
}

// Bool returns a yes/no setting.
func (c *Config) Bool(name string) bool { return c.Get(name) == "yes" }

// set validates and stores one value; atRuntime enforces mutability.
func (c *Config) set(name, value string, atRuntime bool) error {
	s := lookupSetting(name)
	if s == nil {
		return errUnknownSetting
	}
	if atRuntime && !s.mutable {
		return fmt.Errorf("can't set immutable config")
	}
	v, err := c.normalize(s, value)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.values[s.name] = v
	c.mu.Unlock()
	return nil
}

var errUnknownSetting = fmt.Errorf("Bad directive or wrong number of arguments")

// LoadFile reads a redis.conf-style file: one directive per line, "name
// arg ...", '#' comments, quoting as in Redis.
func (c *Config) LoadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config file %s: %w", path, err)
	}
	c.file = path
	return c.loadString(string(data), path)
}

// loadString applies config text; errors name the line as Redis does.
func (c *Config) loadString(text, source string) error {
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		args, err := splitConfigArgs(line)
		if err != nil || len(args) == 0 {
			return configFileError(source, i+1, line, "Unbalanced quotes in configuration line")
		}
		if len(args) != 2 {
			if lookupSetting(args[0]) == nil || len(args) < 2 {
				return configFileError(source, i+1, line, "Bad directive or wrong number of arguments")
			}
			// Multi-argument values (bind) are joined with spaces.
			args = []string{args[0], strings.Join(args[1:], " ")}
		}
		if err := c.set(args[0], args[1], false); err != nil {
			return configFileError(source, i+1, line, err.Error())
		}
	}
	return nil
}

func configFileError(source string, line int, text, reason string) error {
	return fmt.Errorf("*** FATAL CONFIG FILE ERROR ***\nReading the configuration file %s, at line %d\n>>> '%s'\n%s", source, line, text, reason)
}

// ApplyArgs applies command-line overrides: "--name value ...", as
// redis-server accepts them after the config file.
func (c *Config) ApplyArgs(args []string) error {
	var lines []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			return fmt.Errorf("invalid argument %q: expected --name value", a)
		}
		line := []string{a[2:]}
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			i++
			line = append(line, quoteConfigArg(args[i]))
		}
		lines = append(lines, strings.Join(line, " "))
	}
	return c.loadString(strings.Join(lines, "\n"), "(command line)")
}

// quoteConfigArg writes a value so that splitConfigArgs reads it back:
// as is when plain, else double-quoted with Redis's escapes (sdscatrepr).
func quoteConfigArg(s string) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '\\'
	}
	if plain {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c < ' ' || c >= 0x7f {
				fmt.Fprintf(&b, `\x%02x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// splitConfigArgs splits a config line with Redis's quoting rules.
func splitConfigArgs(line string) ([]string, error) {
	args, ok := resp.SplitArgs(line)
	if !ok {
		return nil, fmt.Errorf("unbalanced quotes")
	}
	return args, nil
}

// ConfigSet applies CONFIG SET name value [name value ...] atomically: every
// pair is validated before any is applied. It returns the Redis error
// message on failure.
func (c *Config) ConfigSet(pairs []string) (changed []string, errMsg string) {
	seen := map[string]bool{}
	type kv struct {
		s *setting
		v string
	}
	var todo []kv
	for i := 0; i+1 < len(pairs); i += 2 {
		s := lookupSetting(pairs[i])
		if s == nil {
			return nil, fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", pairs[i])
		}
		if seen[s.name] {
			return nil, fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - duplicate parameter", pairs[i])
		}
		seen[s.name] = true
		if !s.mutable {
			return nil, fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - can't set immutable config", pairs[i])
		}
		v, err := c.normalize(s, pairs[i+1])
		if err != nil {
			return nil, fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", pairs[i], err)
		}
		todo = append(todo, kv{s, v})
	}
	c.mu.Lock()
	for _, t := range todo {
		c.values[t.s.name] = t.v
		changed = append(changed, t.s.name)
	}
	c.mu.Unlock()
	return changed, ""
}

// ConfigGet returns name/value pairs of the settings matching any pattern
// (Redis glob rules), each setting once.
func (c *Config) ConfigGet(patterns []string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	for _, s := range configTable {
		for _, p := range patterns {
			if globMatch(strings.ToLower(p), s.name) {
				out = append(out, s.name, c.values[s.name])
				break
			}
		}
	}
	return out
}

// Rewrite rewrites the config file: lines of known settings are replaced by
// their current value (once), other lines and comments are kept, settings
// that differ from their default and are missing are appended.
func (c *Config) Rewrite() error {
	if c.file == "" {
		return fmt.Errorf("The server is running without a config file")
	}
	data, err := os.ReadFile(c.file)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("Rewriting config file: %v", err)
	}
	c.mu.RLock()
	done := map[string]bool{}
	var out []string
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			out = append(out, line)
			continue
		}
		args, err := splitConfigArgs(t)
		if err != nil || len(args) == 0 {
			out = append(out, line)
			continue
		}
		s := lookupSetting(args[0])
		if s == nil {
			out = append(out, line)
			continue
		}
		if done[s.name] {
			continue
		}
		done[s.name] = true
		out = append(out, s.name+" "+quoteConfigArg(c.values[s.name]))
	}
	for _, s := range configTable {
		if !done[s.name] && c.values[s.name] != s.defaultValue() {
			out = append(out, s.name+" "+quoteConfigArg(c.values[s.name]))
		}
	}
	c.mu.RUnlock()
	tmp := c.file + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("Rewriting config file: %v", err)
	}
	_, err = f.WriteString(strings.Join(out, "\n") + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, c.file)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("Rewriting config file: %v", err)
	}
	return nil
}

// mergeSave accepts only an empty schedule: Strata writes no RDB snapshots
// (its data is on disk already), and a schedule would silently do nothing.
func mergeSave(_, value string) (string, error) {
	if strings.TrimSpace(value) != "" {
		return "", fmt.Errorf("Strata keeps its data in its storage engine and writes no RDB snapshots; only an empty save schedule is accepted")
	}
	return "", nil
}
