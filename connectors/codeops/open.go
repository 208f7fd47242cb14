package codeops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/codesync"
	"github.com/heldsway/heldsway/connectors/ingest"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// Config says which registry Open loads and whether it writes.
type Config struct {
	// Conn reaches Kafka. Required.
	Conn kafka.Conn
	// Topic is the compacted codes topic. Required.
	Topic string
	// Serde decodes and encodes the codes. Required.
	Serde *schemas.Serde
	// WaitTimeout bounds loading the registry. Default one minute.
	WaitTimeout time.Duration
	// Write prepares a writer. Default false: read only.
	Write bool
	// Sync pushes the writer's changes to the stores. Default off.
	Sync Sync
	// Logger receives the registry's, the writer's and the sync's logs.
	// Default zap.NewNop().
	Logger *zap.Logger
}

// Sync turns on pushing a writer's changes to the stores of a stores file
// that have a sync block.
type Sync struct {
	// Enabled turns sync on. Default false.
	Enabled bool
	// StoresFile is the YAML stores file (connectors/ingest). Required
	// when Enabled.
	StoresFile string
	// Attempts of one code on one store before its state is failed.
	// Default codesync's.
	Attempts int
}

// EnsureDefaults sets c's zero fields to their defaults.
func (c *Config) EnsureDefaults() {
	if c.WaitTimeout <= 0 {
		c.WaitTimeout = time.Minute
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c can be opened. It does not change c.
func (c *Config) Validate() error {
	if c.Topic == "" {
		return &ConfigError{errors.New("codeops: no codes topic")}
	}
	if c.Serde == nil {
		return &ConfigError{errors.New("codeops: no serde")}
	}
	return nil
}

// Codes is a loaded registry and, when Config.Write was set, its writer.
type Codes struct {
	Registry *registry.Registry
	// Writer is nil unless Config.Write was set.
	Writer *registry.Writer
	Logger *zap.Logger

	stopSync func()
}

// Close flushes the store sync and closes the writer and the registry.
func (c *Codes) Close() {
	if c.stopSync != nil {
		c.stopSync()
	}
	if c.Writer != nil {
		c.Writer.Close()
	}
	if c.Registry != nil {
		c.Registry.Close()
	}
}

// Open loads the registry from cfg.Topic, waits until it is current and,
// with cfg.Write, prepares a writer.
func Open(ctx context.Context, cfg Config) (*Codes, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	c := &Codes{Logger: log}
	var err error
	c.Registry, err = registry.NewRegistry(registry.RegistryConfig{Topic: cfg.Topic, Serde: cfg.Serde, Conn: cfg.Conn, Logger: log.Named("codes")})
	if err != nil {
		c.Close()
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, cfg.WaitTimeout)
	defer cancel()
	if err := c.Registry.WaitCaughtUp(wctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("loading the code registry from %s: %w", cfg.Topic, err)
	}
	if cfg.Write {
		c.Writer, c.stopSync, err = newWriter(c.Registry, registry.WriterConfig{Conn: cfg.Conn}, cfg.Sync, log)
		if err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// newWriter returns the registry's writer and, with sync enabled, the
// stores of the stores file that get its changes; stop ends the sync (a
// no-op without it).
func newWriter(reg *registry.Registry, cfg registry.WriterConfig, sf Sync, log *zap.Logger) (w *registry.Writer, stop func(), err error) {
	stop = func() {}
	cfg.Logger = log.Named("codes")
	if !sf.Enabled {
		w, err = registry.NewWriter(reg, cfg)
		return w, stop, err
	}
	if sf.StoresFile == "" {
		return nil, stop, &ConfigError{errors.New("--sync needs --stores-file")}
	}
	stores, err := ingest.LoadStores(sf.StoresFile)
	if err != nil {
		return nil, stop, &ConfigError{err}
	}
	remotes, err := ingest.SyncRemotes(stores)
	if err != nil {
		return nil, stop, &ConfigError{fmt.Errorf("--sync: %w", err)}
	}
	w, s, err := codesync.NewWriter(reg, cfg, codesync.Config{Remotes: remotes, Retry: codesync.RetryPolicy{Attempts: sf.Attempts}, Logger: log.Named("sync")})
	if err != nil {
		return nil, stop, &ConfigError{err}
	}
	log.Info("syncing code changes to stores", zap.Int("stores", len(remotes)))
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			log.Warn("stopping code sync; `heldsway codes sync` catches up", zap.Error(err))
		}
	}
	return w, stop, nil
}

// OpenInput opens the named file, or standard input for "-"; a file that
// cannot be opened is a *ConfigError.
func OpenInput(name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(os.Stdin), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, &ConfigError{err}
	}
	return f, nil
}
