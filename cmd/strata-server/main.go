// Command strata-server runs the Strata server.
//
//	strata-server [strata.conf] [--name value ...]
//
// like redis-server: settings come from the optional config file (redis.conf
// syntax), then from command-line overrides. SIGTERM and SIGINT shut down
// gracefully (the engine flushes according to its WAL mode).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/strata-db/strata/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg := server.NewConfig()
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Println("Usage: strata-server [/path/to/strata.conf] [--name value ...]")
		return nil
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		if err := cfg.LoadFile(args[0]); err != nil {
			return err
		}
		args = args[1:]
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
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := server.Run(ctx, cfg, logger); err != nil {
		return err
	}
	logger.Info("Strata is now ready to exit, bye bye...")
	return nil
}
