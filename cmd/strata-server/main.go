// Command strata-server runs the Strata server.
//
//	strata-server [strata.conf] [--name value ...] [--profile cpu|mem|mutex|block [--profile-dir dir]]
//
// like redis-server: settings come from the optional config file (redis.conf
// syntax), then from command-line overrides. SIGTERM and SIGINT shut down
// gracefully (the engine flushes according to its WAL mode).
//
// --profile runs the whole process under one Go profile (github.com/pkg/profile)
// and writes it on graceful shutdown (SIGTERM, SIGINT or SHUTDOWN) as
// cpu.pprof, mem.pprof, mutex.pprof or block.pprof in --profile-dir (default:
// the data directory, the dir setting). A process killed otherwise writes none.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/pkg/profile"

	"github.com/strata-db/strata/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

const usage = "Usage: strata-server [/path/to/strata.conf] [--name value ...] [--profile cpu|mem|mutex|block [--profile-dir dir]]"

// profileModes maps --profile's values to pkg/profile's modes and files.
var profileModes = map[string]struct {
	mode func(*profile.Profile)
	file string
}{
	"cpu":   {profile.CPUProfile, "cpu.pprof"},
	"mem":   {profile.MemProfile, "mem.pprof"},
	"mutex": {profile.MutexProfile, "mutex.pprof"},
	"block": {profile.BlockProfile, "block.pprof"},
}

// profileFlags takes --profile and --profile-dir out of args; the rest are
// config overrides.
func profileFlags(args []string) (mode, dir string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--profile", "--profile-dir":
			if i+1 >= len(args) || strings.HasPrefix(args[i+1], "--") {
				return "", "", nil, fmt.Errorf("%s needs a value\n%s", args[i], usage)
			}
			if args[i] == "--profile" {
				mode = args[i+1]
			} else {
				dir = args[i+1]
			}
			i++
		default:
			rest = append(rest, args[i])
		}
	}
	if _, ok := profileModes[mode]; mode != "" && !ok {
		return "", "", nil, fmt.Errorf("--profile %q: want cpu, mem, mutex or block", mode)
	}
	if dir != "" && mode == "" {
		return "", "", nil, fmt.Errorf("--profile-dir needs --profile")
	}
	return mode, dir, rest, nil
}

func run(args []string) error {
	cfg := server.NewConfig()
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Println(usage)
		return nil
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		if err := cfg.LoadFile(args[0]); err != nil {
			return err
		}
		args = args[1:]
	}
	profMode, profDir, args, err := profileFlags(args)
	if err != nil {
		return err
	}
	if err := cfg.ApplyArgs(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	switch cfg.Get("loglevel") {
	case "debug", "verbose":
		level = slog.LevelDebug
	case "warning":
		level = slog.LevelWarn
	case "nothing":
		level = slog.LevelError + 1
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if profMode != "" {
		if profDir == "" {
			profDir = cfg.Get("dir")
		}
		if err := os.MkdirAll(profDir, 0o755); err != nil {
			return fmt.Errorf("--profile-dir: %w", err)
		}
		m := profileModes[profMode]
		// The server's own shutdown stops the profile (NoShutdownHook):
		// the file is written after the engine has closed.
		p := profile.Start(m.mode, profile.ProfilePath(profDir), profile.NoShutdownHook, profile.Quiet)
		path := filepath.Join(profDir, m.file)
		logger.Info("profiling", "mode", profMode, "path", path)
		defer func() {
			p.Stop()
			logger.Info("profile written", "path", path)
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := server.Run(ctx, cfg, logger); err != nil {
		return err
	}
	logger.Info("Strata is now ready to exit, bye bye...")
	return nil
}
