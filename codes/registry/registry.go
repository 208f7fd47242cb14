package registry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// VersionHeader is the record header carrying the version a tombstone
// deletes, so a code deleted and created again continues its version
// sequence (and its event ids stay unique) while the tombstone is kept.
const VersionHeader = "heldsway-version"

// ErrClosed is returned by waits on a closed Registry.
var ErrClosed = errors.New("registry: closed")

// RegistryConfig configures a Registry.
type RegistryConfig struct {
	// Topic is the compacted codes topic (schemas.Topics.Codes). Required.
	Topic string
	// Serde decodes the records. Required.
	Serde *schemas.Serde
	// Conn says how to reach Kafka (seed brokers, TLS, SASL). Required.
	Conn kafka.Conn
	// Logger receives the registry's logs. Default zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults.
func (c *RegistryConfig) EnsureDefaults() {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate checks c.
func (c *RegistryConfig) Validate() error {
	if c.Topic == "" {
		return errors.New("registry: topic is required")
	}
	if c.Serde == nil {
		return errors.New("registry: serde is required")
	}
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return nil
}

// Registry is the code registry materialised from its compacted topic:
// every partition read from the start with read_committed, the last record
// per key winning (as compaction keeps it), a null value deleting. Every
// process reading the topic converges on the same registry. Lookups are
// safe for concurrent use and return copies.
//
// Lock order: Writer.mu before Registry.mu.
type Registry struct {
	cfg  RegistryConfig
	log  *zap.Logger
	cl   *kgo.Client
	stop context.CancelFunc
	done chan struct{}

	mu struct {
		sync.RWMutex
		x       *index
		pos     map[int32]int64 // next offset to read per partition
		changed chan struct{}   // closed and replaced on every advance
		bad     int             // records that failed to decode
	}
}

var _ Lookup = (*Registry)(nil)

// NewRegistry starts materialising the registry in the background. Call
// WaitCaughtUp before trusting lookups, and Close when done.
func NewRegistry(cfg RegistryConfig) (*Registry, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cl, err := cfg.Conn.NewClient(
		kgo.ConsumeTopics(cfg.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(), // transaction markers advance the position too
	)
	if err != nil {
		return nil, fmt.Errorf("registry: creating registry consumer: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &Registry{cfg: cfg, log: cfg.Logger, cl: cl, stop: stop, done: make(chan struct{})}
	r.mu.x = newIndex()
	r.mu.pos = map[int32]int64{}
	r.mu.changed = make(chan struct{})
	go r.run(ctx)
	return r, nil
}

// Close stops reading and releases the client. Lookups keep answering from
// the last state.
func (r *Registry) Close() {
	r.stop()
	<-r.done
	r.cl.Close()
}

// entry is one decoded record, applied under the lock.
type entry struct {
	key     string
	code    *schemas.Code // nil: tombstone
	version int64         // of a tombstone
}

func (r *Registry) run(ctx context.Context) {
	defer close(r.done)
	var batch []entry
	for {
		fs := r.cl.PollFetches(ctx)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return
		}
		fs.EachError(func(t string, p int32, err error) {
			r.log.Warn("reading code registry", zap.String("topic", t), zap.Int32("partition", p), zap.Error(err))
		})
		type advance struct {
			p   int32
			off int64
		}
		var adv []advance
		batch = batch[:0]
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			if len(fp.Records) == 0 {
				return
			}
			for _, rec := range fp.Records {
				if !rec.Attrs.IsControl() {
					batch = append(batch, r.decode(rec))
				}
			}
			adv = append(adv, advance{fp.Partition, fp.Records[len(fp.Records)-1].Offset + 1})
		})
		if len(adv) == 0 {
			continue
		}
		r.mu.Lock()
		for _, e := range batch {
			switch {
			case e.key == "":
				r.mu.bad++
			case e.code == nil:
				r.mu.x.del(e.key, e.version)
			default:
				r.mu.x.put(e.key, e.code)
			}
		}
		for _, a := range adv {
			r.mu.pos[a.p] = a.off
		}
		close(r.mu.changed)
		r.mu.changed = make(chan struct{})
		r.mu.Unlock()
	}
}

// decode turns a record into an entry; an undecodable record gives an
// entry with an empty key, counted and logged (rate-limited).
func (r *Registry) decode(rec *kgo.Record) entry {
	key := string(rec.Key)
	if rec.Value == nil {
		e := entry{key: key}
		for _, h := range rec.Headers {
			if h.Key == VersionHeader {
				e.version, _ = strconv.ParseInt(string(h.Value), 10, 64)
			}
		}
		return e
	}
	var c schemas.Code
	if err := r.cfg.Serde.Decode(rec.Value, &c); err != nil {
		r.mu.RLock()
		n := r.mu.bad
		r.mu.RUnlock()
		if n < 10 || n%1000 == 0 {
			r.log.Warn("skipping undecodable code record", zap.Int32("partition", rec.Partition), zap.Int64("offset", rec.Offset), zap.Int("skipped_so_far", n), zap.Error(err))
		}
		return entry{}
	}
	if key == "" {
		key = c.Code
	}
	return entry{key: key, code: &c}
}

// WaitCaughtUp returns once the registry holds every record committed to
// the topic when it was called, or with ctx's error.
func (r *Registry) WaitCaughtUp(ctx context.Context) error {
	offs, err := kadm.NewClient(r.cl).ListCommittedOffsets(ctx, r.cfg.Topic)
	if err != nil {
		return fmt.Errorf("registry: listing registry end offsets: %w", err)
	}
	if err := offs.Error(); err != nil {
		return fmt.Errorf("registry: listing registry end offsets of %s: %w", r.cfg.Topic, err)
	}
	target := map[int32]int64{}
	offs.Each(func(o kadm.ListedOffset) { target[o.Partition] = o.Offset })
	if len(target) == 0 {
		return fmt.Errorf("registry: topic %s does not exist", r.cfg.Topic)
	}
	return r.waitUntil(ctx, func(pos map[int32]int64) bool {
		for p, t := range target {
			if pos[p] < t {
				return false
			}
		}
		return true
	})
}

// waitFor returns once the registry has read past offsets (the last
// offset written per partition).
func (r *Registry) waitFor(ctx context.Context, offsets map[int32]int64) error {
	return r.waitUntil(ctx, func(pos map[int32]int64) bool {
		for p, o := range offsets {
			if pos[p] <= o {
				return false
			}
		}
		return true
	})
}

func (r *Registry) waitUntil(ctx context.Context, done func(pos map[int32]int64) bool) error {
	for {
		r.mu.RLock()
		ok, ch := done(r.mu.pos), r.mu.changed
		r.mu.RUnlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-r.done:
			return ErrClosed
		case <-ctx.Done():
			return fmt.Errorf("registry: waiting for the registry to catch up: %w", ctx.Err())
		}
	}
}

// Get returns the code whose normalised form is code.
func (r *Registry) Get(code string) (schemas.Code, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.x.get(code)
}

// ByAffiliate returns the codes affiliate owns, sorted by code.
func (r *Registry) ByAffiliate(affiliate string) []schemas.Code {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.x.set(r.mu.x.byAffiliate, affiliate)
}

// ByCoupon returns the codes of coupon, sorted by code.
func (r *Registry) ByCoupon(coupon string) []schemas.Code {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.x.set(r.mu.x.byCoupon, coupon)
}

// All returns every code, sorted by code.
func (r *Registry) All() []schemas.Code {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.x.all()
}

// ByRemoteID returns the code synced to platform's store under remoteID
// (e.g. a Stripe promotion code id "promo_..."), as recorded in the code's
// Platforms.
func (r *Registry) ByRemoteID(platform, store, remoteID string) (schemas.Code, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.x.byRemoteID(platform, store, remoteID)
}

// Len returns the number of codes.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.mu.x.byCode)
}

// Skipped returns how many records could not be decoded.
func (r *Registry) Skipped() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.bad
}

// state returns the current version of code, whether it exists, and the
// last version it had (also after deletion).
func (r *Registry) state(code string) (version int64, exists bool, last int64) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.mu.x.byCode[code]
	if ok {
		return c.Version, true, c.Version
	}
	return 0, false, r.mu.x.deleted[code]
}
