package publish

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/schemas"
)

// ErrUnavailable means Kafka did not acknowledge in time; the caller should
// answer 503 so the sender retries.
var ErrUnavailable = errors.New("publish: kafka unavailable")

// Event is one record to publish.
type Event struct {
	Topic string
	Key   string
	// Value is a *schemas.Click, *schemas.Order, *schemas.Refund, ... .
	Value any
}

// Encoder turns a typed record into framed Avro bytes.
type Encoder interface {
	Encode(v any) ([]byte, error)
}

// Config configures a Publisher.
type Config struct {
	// Timeout bounds how long Publish waits for Kafka to acknowledge.
	// Default 10s.
	Timeout time.Duration
	// Logger receives the publisher's logs. Default zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults.
func (c *Config) EnsureDefaults() {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Publisher produces events and waits for their acknowledgement.
type Publisher struct {
	cl      *kgo.Client
	enc     Encoder
	timeout time.Duration
	log     *zap.Logger
}

// ClientOpts are the producer settings a Publisher's client needs: acks=all
// with the idempotent producer (franz-go's default), a bounded delivery
// timeout so an unreachable broker becomes ErrUnavailable rather than a hung
// request, and a bounded buffer so a slow broker pushes back on the edge.
func ClientOpts(timeout time.Duration) []kgo.Opt {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return []kgo.Opt{
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordDeliveryTimeout(timeout),
		kgo.ProducerLinger(0),
		kgo.MaxBufferedRecords(100_000),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
	}
}

// New returns a Publisher producing through cl, which should be built with
// ClientOpts.
func New(cl *kgo.Client, enc Encoder, cfg Config) *Publisher {
	cfg.EnsureDefaults()
	return &Publisher{cl: cl, enc: enc, timeout: cfg.Timeout, log: cfg.Logger}
}

// Publish encodes and produces events and returns once Kafka acknowledged
// all of them. Encoding errors are returned before anything is produced.
// On a Kafka failure the error wraps ErrUnavailable; some of the events may
// have been written, which is safe because their ids are deterministic.
func (p *Publisher) Publish(ctx context.Context, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	recs := make([]*kgo.Record, len(events))
	for i, ev := range events {
		b, err := p.enc.Encode(ev.Value)
		if err != nil {
			return fmt.Errorf("publish: encoding %s record: %w", ev.Topic, err)
		}
		recs[i] = &kgo.Record{Topic: ev.Topic, Key: []byte(ev.Key), Value: b}
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	res := p.cl.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		p.log.Warn("kafka did not acknowledge", zap.Int("records", len(recs)), zap.Error(err))
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// Ping reports whether the cluster answers a metadata request.
func (p *Publisher) Ping(ctx context.Context) error {
	if err := p.cl.Ping(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

var _ Encoder = (*schemas.Serde)(nil)
