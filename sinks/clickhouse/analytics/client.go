package analytics

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/sinks/clickhouse"
)

// ErrConfig is wrapped by every Config.Validate error.
var ErrConfig = errors.New("analytics: invalid config")

// Config configures a Client.
type Config struct {
	// DSN is the ClickHouse native-protocol DSN, as for the sink, e.g.
	// clickhouse://127.0.0.1:9000/heldsway. Required.
	DSN string
	// Logger receives the refresh logs. Default zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults: a nil Logger
// becomes zap.NewNop().
func (c *Config) EnsureDefaults() {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c can make a Client.
func (c Config) Validate() error {
	if c.DSN == "" {
		return fmt.Errorf("%w: no DSN", ErrConfig)
	}
	return nil
}

// Client reads and refreshes the rollups. It connects on first use (and
// again after a failed connection), so it can be built while ClickHouse is
// still down; connecting applies the migrations. It is safe for concurrent
// use.
type Client struct {
	cfg Config
	log *zap.Logger

	mu struct {
		sync.Mutex
		w *clickhouse.Writer // nil until connected
	}
}

// New returns a Client for cfg without connecting.
func New(cfg Config) (*Client, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, log: cfg.Logger}, nil
}

// conn returns the connection, connecting first if needed.
func (c *Client) conn(ctx context.Context) (driver.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.w == nil {
		w, err := clickhouse.Open(ctx, clickhouse.WriterConfig{DSN: c.cfg.DSN, Logger: c.log})
		if err != nil {
			return nil, fmt.Errorf("connecting to clickhouse: %w", err)
		}
		c.mu.w = w
	}
	return c.mu.w.Conn(), nil
}

// Ping connects if needed and checks that the server answers.
func (c *Client) Ping(ctx context.Context) error {
	conn, err := c.conn(ctx)
	if err != nil {
		return err
	}
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("pinging clickhouse: %w", err)
	}
	return nil
}

// Close closes the connection, if any.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.w == nil {
		return nil
	}
	err := c.mu.w.Close()
	c.mu.w = nil
	return err
}

// ErrQuery is wrapped by errors in a Query.
var ErrQuery = errors.New("analytics: invalid query")
