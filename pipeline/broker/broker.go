package broker

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/state"
)

// DefaultListen is the address the embedded broker listens on by default.
const DefaultListen = "127.0.0.1:9092"

// Config configures the embedded broker.
type Config struct {
	// Listen is the host:port to listen on and advertise to clients.
	// Default DefaultListen. Port 0 picks a free port.
	Listen string
	// DataDir is where topic data and group offsets persist. Required:
	// an embedded broker without persistence would lose accepted events.
	DataDir string
	// DefaultPartitions is the partition count of auto-created topics.
	// Default 1; HeldSway creates its own topics explicitly.
	DefaultPartitions int
	// NoSyncWrites turns off the per-batch fsync. Faster, but records
	// acknowledged shortly before a machine crash may be lost. Default false.
	NoSyncWrites bool
	// SlowTxnWarn is how long ending a transaction (EndTxn) may take
	// before the broker warns about it; at most one such warning per
	// slowTxnWarnEvery, with the count of the others. Faster ends are
	// logged at debug level. Default 1s.
	SlowTxnWarn time.Duration
	// Logger receives the broker's logs, and the embedded cluster's under
	// the name "kfake". Default zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults (a nil Logger
// becomes zap.NewNop()).
func (c *Config) EnsureDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.DefaultPartitions == 0 {
		c.DefaultPartitions = 1
	}
	if c.SlowTxnWarn <= 0 {
		c.SlowTxnWarn = DefaultSlowTxnWarn
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c, with defaults applied, is usable. It does
// not change c.
func (c Config) Validate() error {
	c.EnsureDefaults()
	if c.DataDir == "" {
		return errors.New("broker: data dir is required")
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("broker: listen address %q: %w", c.Listen, err)
	}
	if host == "" || net.ParseIP(host) == nil && host != "localhost" {
		return fmt.Errorf("broker: listen address %q: host must be an IP address or localhost (it is advertised to clients)", c.Listen)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("broker: listen address %q: an unspecified address cannot be advertised to clients; name the interface's IP", c.Listen)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("broker: listen address %q: bad port", c.Listen)
	}
	if c.DefaultPartitions < 1 {
		return fmt.Errorf("broker: default partitions %d: must be at least 1", c.DefaultPartitions)
	}
	return nil
}

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
	journal *journal
	addr    string
	dir     string
	log     *zap.Logger

	closeOnce sync.Once
}

// Start opens the data directory, reloads whatever it holds and starts
// listening. It logs to cfg.Logger. Close must be called to flush state
// to disk.
func Start(cfg Config) (*Broker, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	dir := filepath.Join(cfg.DataDir)
	if err := state.MakePrivate(dir); err != nil {
		return nil, fmt.Errorf("broker: creating data dir: %w", err)
	}
	listen := cfg.Listen
	base := clusterOpts(cfg, dir, log)
	running := filepath.Join(dir, runningFile)
	jpath := filepath.Join(dir, journalFile)
	if _, err := os.Stat(running); err == nil {
		// The last broker on this directory did not stop cleanly.
		res, err := repair(base, dir, !cfg.NoSyncWrites, log)
		if err != nil {
			return nil, fmt.Errorf("broker: repairing transactions a crash left open: %w", err)
		}
		log.Warn("the broker did not stop cleanly last time; transactions it left open are aborted", zap.Int("aborted", res.aborted),
			zap.Bool("interrupted_commit_completed", res.markers+res.offsets > 0))
	} else if err := clearJournal(jpath, !cfg.NoSyncWrites); err != nil {
		return nil, fmt.Errorf("broker: clearing the commit journal: %w", err)
	}
	if err := os.WriteFile(running, nil, state.PrivateFileMode); err != nil {
		return nil, fmt.Errorf("broker: marking the data dir in use: %w", err)
	}
	j, err := openJournal(jpath, !cfg.NoSyncWrites)
	if err != nil {
		return nil, fmt.Errorf("broker: opening the commit journal: %w", err)
	}
	// No client may reach the cluster before the journal's control
	// function is in place.
	gate := make(chan struct{})
	opts := append(base, kfake.ListenFn(func(network, _ string) (net.Listener, error) {
		ln, err := net.Listen(network, listen)
		if err != nil {
			return nil, err
		}
		return &gatedListener{Listener: ln, open: gate, closed: make(chan struct{})}, nil
	}))
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		j.close()
		return nil, fmt.Errorf("broker: starting on %s: %w", listen, err)
	}
	j.c = c
	c.Control(j.control)
	close(gate)
	addrs := c.ListenAddrs()
	if len(addrs) != 1 {
		c.Close()
		j.close()
		return nil, fmt.Errorf("broker: expected one listener, got %v", addrs)
	}
	b := &Broker{cluster: c, journal: j, addr: addrs[0], dir: dir, log: log}
	log.Info("embedded kafka broker started", zap.String("addr", b.addr), zap.String("data_dir", dir), zap.Bool("sync_writes", !cfg.NoSyncWrites))
	return b, nil
}

// clusterOpts are the options of a cluster on dir, but where it listens.
func clusterOpts(cfg Config, dir string, log *zap.Logger) []kfake.Opt {
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.DataDir(dir),
		kfake.ClusterID("heldsway-embedded"),
		kfake.DefaultNumPartitions(cfg.DefaultPartitions),
		kfake.AllowAutoTopicCreation(),
		kfake.WithLogger(newKfakeLogger(log.Named("kfake"), cfg.SlowTxnWarn, time.Now)),
	}
	if !cfg.NoSyncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	return opts
}

// Addr is the host:port clients connect to.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker and persists its state. It is safe to call twice.
func (b *Broker) Close() {
	b.closeOnce.Do(b.close)
}

func (b *Broker) close() {
	b.cluster.Close()
	if err := b.journal.close(); err != nil {
		// The running marker stays: the next start repairs.
		b.log.Error("closing the commit journal", zap.Error(err))
		return
	}
	// kfake creates its files 0644 (less under the heldsway binary's umask
	// 077); what it wrote is made private before the broker stops.
	if err := state.MakePrivate(b.dir); err != nil {
		b.log.Warn("making the data dir private", zap.Error(err))
	}
	if err := os.Remove(filepath.Join(b.dir, runningFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		b.log.Warn("unmarking the data dir", zap.Error(err))
	}
	b.log.Info("embedded kafka broker stopped", zap.String("addr", b.addr))
}

// gatedListener accepts no connection before open is closed.
type gatedListener struct {
	net.Listener
	open      <-chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

func (l *gatedListener) Accept() (net.Conn, error) {
	select {
	case <-l.open:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	return l.Listener.Accept()
}

func (l *gatedListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}
