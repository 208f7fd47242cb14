package harness

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/heldsway/heldsway/bench/world"
)

// Config configures a benchmark run.
type Config struct {
	// Binary is the heldsway executable the children run. Required.
	Binary string
	// WorkDir holds the brokers' and processors' data. Required.
	WorkDir string
	// Sizes are the event counts of the throughput runs, each on a fresh
	// broker and processor (e.g. 1M and 10M to see how cost grows).
	// Default [100000].
	Sizes []int
	// Customers per run; 0 lets the world pick (events/8).
	Customers int
	// Rate is the offered rate of the latency phase, events/s. Default
	// 20000.
	Rate int
	// LatencySeconds is how long the latency phase offers Rate. Default 5.
	LatencySeconds int
	// Rules: the first is the rule of the throughput runs; the others get
	// an accuracy-only run of AccuracyEvents each. Default
	// coupon_priority, click_priority, last_touch, first_touch.
	Rules []string
	// AccuracyEvents is the size of the accuracy-only runs. Default 20000.
	AccuracyEvents int
	// Partitions of every topic. Default 4.
	Partitions int32
	// Seed of the world. Default 1.
	Seed uint64
	// SkipGoka leaves out the Goka baseline.
	SkipGoka bool
	// GokaBinary is the Goka peer executable (bench/cmd/goka-peer) the
	// Goka baseline runs as a child. Required unless SkipGoka.
	GokaBinary string
	// NoSyncWrites runs the embedded broker without fsync per batch.
	// Default false (as heldsway up and heldsway broker run).
	NoSyncWrites bool
	// CeilingRecords bounds the broker ceiling's record count. Default
	// min(largest size, 300000).
	CeilingRecords int
	// Progress receives one line per step. Default io.Discard.
	Progress io.Writer
	// ChildLog receives the children's stderr. Default io.Discard.
	ChildLog io.Writer
	// Command is the command line recorded in the report.
	Command string

	// Feed is how the world reaches Kafka: FeedAvro (default) produces
	// it straight to the input topics; FeedWebhooks starts heldsway ingest
	// and posts it there as signed platform webhooks, click batches and
	// conversion API calls (see webhooks.go).
	Feed string
	// Clients is the number of concurrent HTTP clients of the webhook
	// feed. Default 64.
	Clients int
	// ClickBatch is the most clicks per POST /v1/clicks. Default 100.
	ClickBatch int
	// IngestMaxInFlight is heldsway ingest's --max-inflight; 0 keeps its
	// default. Below Clients it makes the ingest answer 503, which the
	// feed retries after Retry-After.
	IngestMaxInFlight int
	// Repeat runs every configuration this many times and reports the
	// median of each figure, with min and max of throughput and latency.
	// Default 1.
	Repeat int
}

// Feeds.
const (
	FeedAvro     = "avro"
	FeedWebhooks = "webhooks"
)

// EnsureDefaults sets c's zero fields to their defaults.
func (c *Config) EnsureDefaults() {
	if len(c.Sizes) == 0 {
		c.Sizes = []int{100_000}
	}
	if c.Rate == 0 {
		c.Rate = 20_000
	}
	if c.LatencySeconds == 0 {
		c.LatencySeconds = 5
	}
	if len(c.Rules) == 0 {
		c.Rules = slices.Clone(world.Rules)
	}
	if c.AccuracyEvents == 0 {
		c.AccuracyEvents = 20_000
	}
	if c.Partitions == 0 {
		c.Partitions = 4
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.CeilingRecords == 0 {
		c.CeilingRecords = min(slices.Max(c.Sizes), 300_000)
	}
	if c.Feed == "" {
		c.Feed = FeedAvro
	}
	if c.Clients == 0 {
		c.Clients = 64
	}
	if c.ClickBatch == 0 {
		c.ClickBatch = 100
	}
	if c.Repeat == 0 {
		c.Repeat = 1
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	if c.ChildLog == nil {
		c.ChildLog = io.Discard
	}
}

// Validate reports whether c, with defaults applied, can run. It does not
// change c.
func (c Config) Validate() error {
	c.EnsureDefaults()
	if c.Binary == "" || c.WorkDir == "" {
		return errors.New("harness: binary and work dir are required")
	}
	if !c.SkipGoka && c.GokaBinary == "" {
		return errors.New("harness: the Goka peer binary is required unless the Goka baseline is skipped")
	}
	for _, n := range c.Sizes {
		if n < 1000 {
			return fmt.Errorf("harness: events %d: at least 1000", n)
		}
	}
	for _, r := range c.Rules {
		if world.RuleIndex(r) < 0 {
			return fmt.Errorf("harness: rule %q: the oracle knows %v", r, world.Rules)
		}
	}
	switch c.Feed {
	case FeedAvro, FeedWebhooks:
	default:
		return fmt.Errorf("harness: feed %q: want %s or %s", c.Feed, FeedAvro, FeedWebhooks)
	}
	switch {
	case c.Clients < 1 || c.Clients > 4096:
		return fmt.Errorf("harness: clients %d: want 1 to 4096", c.Clients)
	case c.ClickBatch < 1 || c.ClickBatch > 1000:
		return fmt.Errorf("harness: click batch %d: want 1 to 1000 (the ingest's limit)", c.ClickBatch)
	case c.IngestMaxInFlight < 0:
		return fmt.Errorf("harness: ingest max in-flight %d: must not be negative", c.IngestMaxInFlight)
	case c.Repeat < 1 || c.Repeat > 100:
		return fmt.Errorf("harness: repeat %d: want 1 to 100", c.Repeat)
	}
	return nil
}

// Targets of issue 7, on a 2-core machine with the embedded broker.
const (
	TargetEventsPerSec = 100_000
	TargetP99          = 250 * time.Millisecond
	TargetRate         = 20_000
	TargetRSSEvents    = 10_000_000
	TargetRSS          = 1 << 30
	// TargetGokaRatio is issue 13's bar for ours ÷ Goka throughput, both
	// running the same attribution code.
	TargetGokaRatio = 1.5
)
