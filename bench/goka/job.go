package goka

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// Config configures the Goka job.
type Config struct {
	// Conn says how to reach Kafka, as for every other service. Required.
	// Goka connects through Sarama with the same seed brokers, client id,
	// TLS and SASL PLAIN; SCRAM is refused (see Validate).
	Conn kafka.Conn
	// Inputs names the input topics (Clicks, Orders, Refunds) and the code
	// registry (Codes). Required.
	Inputs schemas.Topics
	// Outputs names the topics the job writes: Attributions, Flags,
	// Adjustments, DeadLetter and the internal redemptions topic
	// (Outputs.Internal("redemptions")). Run creates them with the orders
	// topic's partition count. Required.
	Outputs schemas.Topics
	// Group prefixes the three Goka groups: Group (keyed by customer),
	// Group-redeem (by code) and Group-adjust (by order); each keeps its
	// table in <group>-table. Required.
	Group string
	// StateDir holds Goka's local storage. Required.
	StateDir string
	// Program holds the attribution rules. Default
	// attribution.NewProgram().
	Program *attribution.Program
	// Logger receives logs, Goka's own included. Default zap.NewNop().
	Logger *zap.Logger
}

// Groups returns the Goka groups a job with this group prefix runs.
func Groups(group string) []string {
	return []string{group, group + "-redeem", group + "-adjust"}
}

// EnsureDefaults sets c's zero fields to their defaults (a nil Program
// becomes attribution.NewProgram(), a nil Logger zap.NewNop()) and the
// program's own.
func (c *Config) EnsureDefaults() {
	if c.Program == nil {
		c.Program = attribution.NewProgram()
	}
	c.Program.EnsureDefaults()
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	c.Conn.EnsureDefaults()
}

// Validate reports whether c is usable. Call EnsureDefaults first: it
// checks the program EnsureDefaults completed.
func (c Config) Validate() error {
	if _, _, err := saramaConfig(c.Conn); err != nil {
		return fmt.Errorf("goka: %w", err)
	}
	if c.Group == "" || c.StateDir == "" || c.Inputs.Orders == "" || c.Inputs.Codes == "" || c.Outputs.Attributions == "" {
		return errors.New("goka: input and output topics, group and state dir are required")
	}
	if c.Program == nil {
		return errors.New("goka: program is required")
	}
	if err := c.Program.Validate(); err != nil {
		return fmt.Errorf("goka: %w", err)
	}
	return nil
}

// job holds what the three processors share.
type job struct {
	cfg   Config
	log   *zap.Logger
	attr  *attribution.Attributor
	serde *schemas.Serde
	// redemptions carries candidates and redemptions to the code-keyed
	// processor; holds carries leak holds back to the customer-keyed one.
	redemptions, holds string
	// codes is the view of the code registry.
	codes *goka.View
	// decoded caches registry entries decoded by lookup, as the
	// processor's does. The lock is a leaf.
	decoded struct {
		mu sync.Mutex
		m  map[string]decodedCode
	}
}

type decodedCode struct {
	raw  []byte
	code schemas.Code
}

// maxDecodedCodes bounds job.decoded; past it the cache starts over.
const maxDecodedCodes = 1 << 20

// Run runs the three Goka processors until ctx ends or one fails.
func Run(ctx context.Context, cfg Config) error {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	j := &job{
		cfg:         cfg,
		log:         cfg.Logger,
		attr:        attribution.New(cfg.Program),
		serde:       schemas.NewSerde(schemas.WithTopics(cfg.Outputs)),
		redemptions: cfg.Outputs.Internal("redemptions"),
		holds:       cfg.Outputs.Internal("holds"),
	}
	j.decoded.m = make(map[string]decodedCode)
	if err := j.ensureTopics(ctx); err != nil {
		return err
	}
	brokers, sc, err := saramaConfig(cfg.Conn)
	if err != nil {
		return fmt.Errorf("goka: %w", err)
	}
	tm := goka.NewTopicManagerConfig()
	tm.Table.Replication = 1
	tm.Stream.Replication = 1
	conns := clients{sc: sc, tm: tm}
	in, out := cfg.Inputs, cfg.Outputs
	// The registry: a Goka view over the codes topic, which also keeps the
	// affiliate index the processor derives from its codes table.
	affs := attribution.NewAffiliateIndex(j.serde)
	j.attr.SetAffiliates(affs.Lookup)
	codes, err := goka.NewView(brokers, goka.Table(in.Codes), rawCodec{}, append(conns.viewOptions(),
		goka.WithViewLogger(zap.NewStdLog(j.log.Named("codes-view"))),
		goka.WithViewHasher(kafkaHasher),
		goka.WithViewStorageBuilder(storage.DefaultBuilder(filepath.Join(cfg.StateDir, "codes"))),
		goka.WithViewCallback(func(ctx goka.UpdateContext, s storage.Storage, key string, value []byte) error {
			old, err := s.Get(key)
			if err != nil {
				return err
			}
			affs.Change([]byte(key), old, value)
			return goka.DefaultUpdate(ctx, s, key, value)
		}))...)
	if err != nil {
		return fmt.Errorf("goka: building the codes view: %w", err)
	}
	j.codes = codes
	groups := Groups(cfg.Group)
	graphs := []*goka.GroupGraph{
		goka.DefineGroup(goka.Group(groups[0]),
			goka.Inputs(goka.Streams{goka.Stream(in.Clicks), goka.Stream(in.Orders), goka.Stream(j.holds)}, rawCodec{}, j.attribute),
			goka.Persist(customerCodec{}),
			goka.Output(goka.Stream(j.redemptions), rawCodec{}),
			goka.Output(goka.Stream(out.Attributions), rawCodec{}),
			goka.Output(goka.Stream(out.Flags), rawCodec{}),
			goka.Output(goka.Stream(out.DeadLetter), rawCodec{}),
		),
		goka.DefineGroup(goka.Group(groups[1]),
			goka.Input(goka.Stream(j.redemptions), rawCodec{}, j.redeem),
			goka.Persist(codeCodec{}),
			goka.Output(goka.Stream(j.holds), rawCodec{}),
			goka.Output(goka.Stream(out.Attributions), rawCodec{}),
			goka.Output(goka.Stream(out.Flags), rawCodec{}),
			goka.Output(goka.Stream(out.DeadLetter), rawCodec{}),
		),
		goka.DefineGroup(goka.Group(groups[2]),
			goka.Inputs(goka.Streams{goka.Stream(out.Attributions), goka.Stream(in.Refunds)}, rawCodec{}, j.adjust),
			goka.Persist(ledgerCodec{}),
			goka.Output(goka.Stream(out.Adjustments), rawCodec{}),
			goka.Output(goka.Stream(out.DeadLetter), rawCodec{}),
		),
	}
	procs := make([]*goka.Processor, len(graphs))
	for i, gg := range graphs {
		p, err := goka.NewProcessor(brokers, gg, append(conns.processorOptions(),
			goka.WithLogger(zap.NewStdLog(j.log.Named(groups[i]))),
			goka.WithStorageBuilder(storage.DefaultBuilder(filepath.Join(cfg.StateDir, groups[i]))),
			goka.WithHasher(kafkaHasher),
		)...)
		if err != nil {
			return fmt.Errorf("goka: building processor %s: %w", groups[i], err)
		}
		procs[i] = p
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		if err != nil && !errors.Is(err, context.Canceled) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer cancel()
		if err := codes.Run(ctx); err != nil {
			fail(fmt.Errorf("goka: codes view: %w", err))
		}
	}()
	// Decide nothing before the registry is loaded, as the processor.
	for !codes.Recovered() && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	for i, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer cancel() // one processor stopping stops the job
			if err := p.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("goka: %s: %w", groups[i], err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ensureTopics creates the output and internal topics with the orders
// topic's partition count (Goka's inputs of one group must be
// co-partitioned).
func (j *job) ensureTopics(ctx context.Context) error {
	cl, err := j.cfg.Conn.NewClient()
	if err != nil {
		return fmt.Errorf("goka: %w", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	orders, err := kafka.Partitions(ctx, cl, j.cfg.Inputs.Orders)
	if err != nil {
		return fmt.Errorf("goka: %w", err)
	}
	n, out := orders[j.cfg.Inputs.Orders], j.cfg.Outputs
	var want []kafka.Topic
	for _, t := range []string{j.redemptions, j.holds, out.Attributions, out.Flags, out.Adjustments, out.DeadLetter} {
		want = append(want, kafka.Topic{Name: t, Partitions: n})
	}
	if _, err := kafka.CreateTopics(ctx, cl, want...); err != nil {
		return fmt.Errorf("goka: %w", err)
	}
	return nil
}

// tsHeader carries the processing time (unix ms) of the input a record
// was derived from, so that every hop decides with the time the processor
// would: the input record's Kafka timestamp. (Goka's producer stamps its
// records with the wall clock.)
const tsHeader = "hs-ts"

// now is the deterministic processing time of the message at hand.
func now(ctx goka.Context) time.Time {
	if b, ok := ctx.Headers()[tsHeader]; ok && len(b) == 8 {
		return time.UnixMilli(int64(binary.BigEndian.Uint64(b))).UTC()
	}
	return ctx.Timestamp().UTC().Truncate(time.Millisecond)
}

func tsOption(at time.Time) goka.ContextOption {
	return goka.WithCtxEmitHeaders(goka.Headers{tsHeader: binary.BigEndian.AppendUint64(nil, uint64(at.UnixMilli()))})
}

// emit encodes v as Avro and emits it.
func (j *job) emit(ctx goka.Context, topic, key string, v any, at time.Time) error {
	b, err := j.serde.Encode(v)
	if err != nil {
		return fmt.Errorf("encoding %s record: %w", topic, err)
	}
	ctx.Emit(goka.Stream(topic), key, b, tsOption(at))
	return nil
}

// publish emits a final decision: the attribution and its flags, keyed
// by order.
func (j *job) publish(ctx goka.Context, d attribution.Decision, at time.Time) error {
	a := d.Attribution
	key := schemas.OrderRef(a.Platform, a.StoreID, a.OrderID)
	if err := j.emit(ctx, j.cfg.Outputs.Attributions, key, &a, at); err != nil {
		return err
	}
	for i := range d.Flags {
		if err := j.emit(ctx, j.cfg.Outputs.Flags, key, &d.Flags[i], at); err != nil {
			return err
		}
	}
	return nil
}

// deadLetter emits the message that stage could not process to the
// dead-letter topic, as the processor does.
func (j *job) deadLetter(ctx goka.Context, stage string, value []byte, at time.Time, err error) {
	part, off := ctx.Partition(), ctx.Offset()
	topic := string(ctx.Topic())
	dl := &schemas.DeadLetter{
		EventID:    schemas.ID(topic, fmt.Sprint(part), fmt.Sprint(off)),
		Source:     topic,
		Stage:      "goka:" + stage,
		Partition:  &part,
		Offset:     &off,
		Key:        []byte(ctx.Key()),
		Value:      value,
		Reason:     err.Error(),
		OccurredAt: at,
	}
	if dl.Value == nil {
		dl.Value = []byte{}
	}
	if eerr := j.emit(ctx, j.cfg.Outputs.DeadLetter, topic, dl, at); eerr != nil {
		// Nothing else can carry it: stop rather than lose it.
		ctx.Fail(fmt.Errorf("dead-lettering %s record: %w (reason: %w)", topic, eerr, err))
	}
}

// lookup reads a code from the Goka view over the registry
// topic, decoding Avro only after the code changed.
func (j *job) lookup(ctx goka.Context) attribution.CodeLookup {
	return func(code string) (schemas.Code, bool) {
		v, err := j.codes.Get(code)
		b, _ := v.([]byte)
		if err != nil || b == nil {
			return schemas.Code{}, false
		}
		j.decoded.mu.Lock()
		d, hit := j.decoded.m[code]
		j.decoded.mu.Unlock()
		if hit && string(d.raw) == string(b) {
			return d.code, true
		}
		var c schemas.Code
		if err := j.serde.Decode(b, &c); err != nil {
			j.log.Warn("undecodable registry entry", zap.String("code", code), zap.Error(err))
			return schemas.Code{}, false
		}
		j.decoded.mu.Lock()
		if len(j.decoded.m) >= maxDecodedCodes {
			clear(j.decoded.m)
		}
		j.decoded.m[code] = decodedCode{raw: b, code: c}
		j.decoded.mu.Unlock()
		return c, true
	}
}
