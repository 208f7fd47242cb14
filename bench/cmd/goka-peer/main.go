// Command goka-peer runs the benchmark's Goka baseline job (package
// bench/goka): the processor's own attribution code inside three Goka
// processors. `heldsway bench` starts it as a child process when the Goka
// phase runs; it is a separate binary so that Goka and what it brings
// (Sarama, LevelDB) stay out of the heldsway binary. `make build` puts it
// next to bin/heldsway as bin/heldsway-goka-peer.
//
// It runs until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	gokajob "github.com/heldsway/heldsway/bench/goka"
	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

func main() {
	// As heldsway's own main: the job's state is private to its user.
	syscall.Umask(0o077)
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "goka-peer:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("goka-peer", flag.ContinueOnError)
	listen := fs.String("kafka-listen", "127.0.0.1:9092", "broker address")
	prefix := fs.String("topic-prefix", "bench-goka", "prefix of the input topics (clicks, orders, refunds)")
	codes := fs.String("codes-topic", "", "code registry topic (default <topic-prefix>.codes.v1)")
	outPrefix := fs.String("output-prefix", "bench-goka-out", "prefix of the topics the job writes (attributions, flags, adjustments, dead letters, its internal redemptions)")
	group := fs.String("group", "bench-goka", "Goka group prefix: <group> (by customer), <group>-redeem (by code), <group>-adjust (by order)")
	state := fs.String("state", "", "Goka local storage directory (required)")
	program := fs.String("program", "", "program YAML file (the processor's --program; default the built-in defaults)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *state == "" {
		return errors.New("--state is required")
	}
	in, err := schemas.NewTopics(*prefix)
	if err != nil {
		return err
	}
	if *codes != "" {
		in.Codes = *codes
	}
	out, err := schemas.NewTopics(*outPrefix)
	if err != nil {
		return err
	}
	prog := attribution.NewProgram()
	if *program != "" {
		if prog, err = attribution.Load(*program); err != nil {
			return err
		}
	}
	lvl, err := zapcore.ParseLevel(*logLevel)
	if err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	zcfg := zap.NewProductionConfig()
	zcfg.Level = zap.NewAtomicLevelAt(lvl)
	zcfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	zcfg.OutputPaths = []string{"stderr"}
	log, err := zcfg.Build()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return gokajob.Run(ctx, gokajob.Config{
		Conn: kafka.Conn{Brokers: []string{*listen}, ClientID: "heldsway-goka-peer"}, Inputs: in, Outputs: out, Group: *group, StateDir: filepath.Clean(*state),
		Program: prog, Logger: log.Named("goka"),
	})
}
