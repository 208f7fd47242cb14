package secretstore

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"
)

// Read returns the secret in file, trimmed, when file is named, else the
// value of the environment variable env ("" when unset).
func Read(env, file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading secret file for %s: %w", env, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return os.Getenv(env), nil
}

// Config says where a generated secret comes from.
type Config struct {
	// Env is the environment variable holding it. Required.
	Env string
	// File, when set, is a file holding it; it wins over Env.
	File string
	// Dir is where a generated secret is stored. Required.
	Dir string
	// Name is its file name under Dir. Required.
	Name string
	// Logger warns when a secret is generated. Default zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults.
func (c *Config) EnsureDefaults() {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c is usable. It does not change c.
func (c *Config) Validate() error {
	if c.Env == "" || c.Dir == "" || c.Name == "" {
		return errors.New("secretstore: env, dir and name are required")
	}
	return nil
}

// Generated returns the secret from cfg.File or cfg.Env, else the one
// stored at cfg.Dir/cfg.Name, generating and storing it first when there
// is none.
func Generated(cfg Config) (string, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	s, err := Read(cfg.Env, cfg.File)
	if err != nil || s != "" {
		return s, err
	}
	p := filepath.Join(cfg.Dir, cfg.Name)
	if b, err := os.ReadFile(p); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return "", fmt.Errorf("creating secrets dir: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generating %s: %w", cfg.Name, err)
	}
	s = hex.EncodeToString(raw)
	if err := os.WriteFile(p, []byte(s+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("storing generated %s: %w", cfg.Name, err)
	}
	cfg.Logger.Warn("no "+cfg.Env+" configured: generated one and stored it under the data directory", zap.String("file", p))
	return s, nil
}
