package kafkaenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TailConfig says what Tail reads.
type TailConfig struct {
	// Topic is a full topic name or a short one (orders, clicks, ...) that
	// gets the environment's prefix and ".v1". Required.
	Topic string
	// FromStart starts at the oldest record instead of the newest.
	// Default false.
	FromStart bool
	// Max stops after this many records. Default 0 (or less): no limit.
	Max int
	// Timeout stops after this long. Default 0 (or less): until ctx ends.
	Timeout time.Duration
}

// EnsureDefaults sets c's fields to their defaults: a negative Max or
// Timeout becomes 0 (no limit).
func (c *TailConfig) EnsureDefaults() {
	if c.Max < 0 {
		c.Max = 0
	}
	if c.Timeout < 0 {
		c.Timeout = 0
	}
}

// Validate reports whether c names a topic; its errors are *ConfigError.
// Whether the topic is one of the environment's is checked by Tail. It
// does not change c.
func (c TailConfig) Validate() error {
	if strings.TrimSpace(c.Topic) == "" {
		return &ConfigError{errors.New("tail: no topic given: name one of HeldSway's (orders, clicks, ...) or a full topic name")}
	}
	return nil
}

// topic is the full name of c.Topic in e, or a *ConfigError when it is
// not one of e's topics.
func (e *Env) topic(name string) (string, error) {
	topic := name
	if !strings.Contains(topic, ".") {
		topic = e.Topics.Prefix + "." + topic + ".v1"
	}
	for _, t := range e.Topics.All() {
		if t == topic {
			return topic, nil
		}
	}
	return "", &ConfigError{fmt.Errorf("topic %q is not one of HeldSway's: %s", name, strings.Join(e.Topics.All(), ", "))}
}

// Tail writes cfg.Topic's committed records (read_committed) to w, one
// JSON object per line with the record's partition, offset and key and
// its decoded value, or the decoding error. It returns nil when ctx ends,
// the timeout passes or Max records were written.
func (e *Env) Tail(ctx context.Context, cfg TailConfig, w io.Writer) error {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	topic, err := e.topic(cfg.Topic)
	if err != nil {
		return err
	}
	reset := kgo.NewOffset().AtEnd()
	if cfg.FromStart {
		reset = kgo.NewOffset().AtStart()
	}
	cl, err := e.Conn.NewClient(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(reset), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return err
	}
	defer cl.Close()
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	enc := json.NewEncoder(w)
	n := 0
	for cfg.Max == 0 || n < cfg.Max {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		for _, fe := range fs.Errors() {
			return fmt.Errorf("fetching %s[%d]: %w", fe.Topic, fe.Partition, fe.Err)
		}
		for _, r := range fs.Records() {
			if err := enc.Encode(e.tailLine(r)); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
			n++
			if cfg.Max > 0 && n >= cfg.Max {
				return nil
			}
		}
	}
	return nil
}

// tailLine is the JSON object Tail writes for r.
func (e *Env) tailLine(r *kgo.Record) map[string]any {
	out := map[string]any{"partition": r.Partition, "offset": r.Offset, "key": string(r.Key)}
	if r.Value == nil {
		out["value"] = nil
	} else if v, err := e.Serde.DecodeAny(r.Value); err != nil {
		out["error"] = err.Error()
	} else {
		out["value"] = v
	}
	return out
}
