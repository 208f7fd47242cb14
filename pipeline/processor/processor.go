package processor

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/pipeline/stream"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/state"
)

// Config configures a Processor.
type Config struct {
	// Conn says how to reach Kafka (brokers, TLS, SASL). Required.
	Conn kafka.Conn
	// Topics names the public topics. Required.
	Topics schemas.Topics
	// Serde decodes inputs and encodes outputs. Required.
	Serde *schemas.Serde
	// Program holds the attribution rules. Default attribution.NewProgram().
	Program *attribution.Program
	// StateDir holds one Pebble store per stage. Required.
	StateDir string
	// InstanceID identifies this instance among the processors of one
	// group; stable across restarts (a host or pod name). Required.
	InstanceID string
	// GroupPrefix prefixes the stages' consumer groups. Default
	// "heldsway-processor".
	GroupPrefix string
	// MaxPollRecords bounds the records of one transaction. Default 10000.
	MaxPollRecords int
	// MemoryBytes is the memory budget the stages' caches and memtables
	// are sized from (see memoryPlan); the Go heap (open transactions,
	// decoding, Kafka buffers) takes what they leave. Default 1 GiB; at
	// least 256 MiB.
	MemoryBytes int64
	// GroupOpts are extra options for the stages' group clients
	// (session timeouts, static membership). Default none.
	GroupOpts []kgo.Opt
	// Logger receives logs. Default zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults (a nil Program
// becomes attribution.NewProgram(), a nil Logger zap.NewNop()).
func (c *Config) EnsureDefaults() {
	if c.Program == nil {
		c.Program = attribution.NewProgram()
	}
	if c.GroupPrefix == "" {
		c.GroupPrefix = "heldsway-processor"
	}
	if c.MemoryBytes == 0 {
		c.MemoryBytes = DefaultMemoryBytes
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c, with defaults applied, is usable. It does
// not change c.
func (c Config) Validate() error {
	c.EnsureDefaults()
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("processor: %w", err)
	}
	switch {
	case c.Topics.Orders == "" || c.Topics.Prefix == "":
		return errors.New("processor: topics are required")
	case c.Serde == nil:
		return errors.New("processor: serde is required")
	case c.StateDir == "":
		return errors.New("processor: state dir is required")
	case c.InstanceID == "":
		return errors.New("processor: instance id is required")
	}
	if err := c.Program.Validate(); err != nil {
		return fmt.Errorf("processor: %w", err)
	}
	if c.MemoryBytes < MinMemoryBytes {
		return fmt.Errorf("processor: memory budget %d bytes: at least %d (256 MiB)", c.MemoryBytes, MinMemoryBytes)
	}
	return nil
}

// Processor runs the three stages and the code table.
type Processor struct {
	cfg    Config
	log    *zap.Logger
	attr   *attribution.Attributor
	codes  *stream.Table
	stages []*stream.Stage
	// redemptions is the internal topic from attribute to redeem
	// (candidates, and redemptions for the leak detector); holds the one
	// from redeem back to attribute (leak holds, keyed by customer).
	redemptions, holds string
	// view is the decoded code registry the codes table fills.
	view *codeView
}

// New builds a processor; Run starts it.
func New(cfg Config) (*Processor, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Processor{
		cfg:         cfg,
		log:         cfg.Logger,
		attr:        attribution.New(cfg.Program),
		redemptions: cfg.Topics.Internal("redemptions"),
		holds:       cfg.Topics.Internal("holds"),
	}
	affs := attribution.NewAffiliateIndex(cfg.Serde)
	p.attr.SetAffiliates(affs.Lookup)
	p.view = newCodeView(cfg.Serde, affs, cfg.Logger.Named("codes"))
	codes, err := stream.NewTable(stream.TableConfig{Topic: cfg.Topics.Codes, Conn: cfg.Conn, Logger: cfg.Logger.Named("codes"),
		OnChange: p.view.change, NoValues: true})
	if err != nil {
		return nil, err
	}
	p.codes = codes
	plan := memoryPlan(cfg.MemoryBytes)
	for _, s := range []struct {
		name    string
		inputs  []string
		process stream.ProcessFunc
		align   bool
		follow  []string
	}{
		// A customer's clicks and orders are applied in the order they
		// reached Kafka, even when a backlog is fetched topic by topic.
		// Leak holds come back from redeem: they follow, never wait.
		{"attribute", []string{cfg.Topics.Clicks, cfg.Topics.Orders, p.holds}, p.attribute, true, []string{p.holds}},
		{"redeem", []string{p.redemptions}, p.redeem, false, nil},
		{"adjust", []string{cfg.Topics.Attributions, cfg.Topics.Refunds}, p.adjust, false, nil},
	} {
		group := cfg.GroupPrefix + "-" + s.name
		st, err := stream.New(stream.Config{
			Name:       s.name,
			Group:      group,
			Inputs:     s.inputs,
			Changelog:  cfg.Topics.Internal(s.name + "-changelog"),
			StateDir:   filepath.Join(cfg.StateDir, s.name),
			InstanceID: cfg.InstanceID,
			Conn:       cfg.Conn,
			// Static membership: a restarted instance (same InstanceID)
			// takes its partitions back at once instead of waiting for its
			// dead predecessor's session to time out and a rebalance.
			GroupOpts:       append([]kgo.Opt{kgo.InstanceID(cfg.InstanceID)}, cfg.GroupOpts...),
			MaxPollRecords:  cfg.MaxPollRecords,
			AlignInputs:     s.align,
			ValueCacheBytes: plan[s.name].valueCache,
			State: state.Config{
				CacheSize:    plan[s.name].blockCache,
				MemTableSize: plan[s.name].memTable,
				FilterBytes:  plan[s.name].keyFilter,
			},
			DeadLetter: p.deadLetter(s.name),
			Tables:     []*stream.Table{codes},
			Logger:     cfg.Logger.Named(s.name),
		}, s.process)
		if err != nil {
			return nil, fmt.Errorf("processor: stage %s: %w", s.name, err)
		}
		p.stages = append(p.stages, st)
	}
	return p, nil
}

// Run creates the internal topic, loads the code table and runs every
// stage until ctx ends or one fails.
func (p *Processor) Run(ctx context.Context) error {
	if err := p.ensureInternal(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && !errors.Is(err, context.Canceled) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				mu.Unlock()
			}
			cancel()
		}()
	}
	run("codes table", p.codes.Run)
	for _, s := range p.stages {
		run("stage", s.Run)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Ready reports whether every stage is processing (joined, restored).
func (p *Processor) Ready(context.Context) error {
	if !p.codes.CaughtUp() {
		return errors.New("processor: code registry not loaded yet")
	}
	for _, s := range p.stages {
		if !s.Ready() {
			return errors.New("processor: a stage is joining or restoring")
		}
	}
	return nil
}

// Stats returns each stage's counters, by stage name.
func (p *Processor) Stats() map[string]stream.Stats {
	out := map[string]stream.Stats{}
	for i, name := range []string{"attribute", "redeem", "adjust"} {
		out[name] = p.stages[i].Stats()
	}
	return out
}

// ensureInternal creates the internal topics (redemptions, holds) with
// the orders topic's partition count: holds are keyed by customer, like
// the orders and clicks stage 1 reads them beside.
func (p *Processor) ensureInternal(ctx context.Context) error {
	cl, err := p.cfg.Conn.NewClient()
	if err != nil {
		return fmt.Errorf("processor: %w", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	orders, err := kafka.Partitions(ctx, cl, p.cfg.Topics.Orders)
	if err != nil {
		return fmt.Errorf("processor: %w", err)
	}
	n := orders[p.cfg.Topics.Orders]
	have, err := kafka.CreateTopics(ctx, cl, kafka.Topic{Name: p.redemptions, Partitions: n}, kafka.Topic{Name: p.holds, Partitions: n})
	if err != nil {
		return fmt.Errorf("processor: %w", err)
	}
	if m := have[p.holds]; m != n {
		return fmt.Errorf("processor: topic %s has %d partitions, %s %d: they must match", p.holds, m, p.cfg.Topics.Orders, n)
	}
	return nil
}

// lookup reads a code from the decoded registry view.
func (p *Processor) lookup(code string) (schemas.Code, bool) { return p.view.lookup(code) }

// deadLetter routes records a stage rejects to the dead-letter topic as
// Avro DeadLetter records.
func (p *Processor) deadLetter(stage string) stream.DeadLetterFunc {
	return func(rec *kgo.Record, err error) (string, []byte, []byte) {
		part, off := rec.Partition, rec.Offset
		dl := &schemas.DeadLetter{
			EventID:    schemas.ID(rec.Topic, fmt.Sprint(rec.Partition), fmt.Sprint(rec.Offset)),
			Source:     rec.Topic,
			Stage:      "process:" + stage,
			Partition:  &part,
			Offset:     &off,
			Key:        rec.Key,
			Value:      rec.Value,
			Reason:     err.Error(),
			OccurredAt: rec.Timestamp.UTC().Truncate(time.Millisecond),
		}
		if dl.Value == nil {
			dl.Value = []byte{}
		}
		b, eerr := p.cfg.Serde.Encode(dl)
		if eerr != nil {
			p.log.Error("encoding dead letter", zap.Error(eerr))
			return "", nil, nil
		}
		return p.cfg.Topics.DeadLetter, []byte(rec.Topic), b
	}
}
