package goka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/schemas"
)

// Config configures the Goka job.
type Config struct {
	// Brokers to connect to. Required.
	Brokers []string
	// Topics names the inputs (Orders, Clicks) and the code registry
	// (Codes). Required.
	Topics schemas.Topics
	// Group is the Goka group; its table topic is <Group>-table. Required.
	Group string
	// Output is the topic the job emits to. Required.
	Output string
	// StateDir holds Goka's local storage. Required.
	StateDir string
	// Window is the attribution window. Default 720h.
	Window time.Duration
	// DefaultCommission applies when the credited affiliate does not own
	// the order's code. Default percent 0.
	DefaultCommission schemas.CommissionRule
}

// Output is what the job emits per order.
type Output struct {
	OrderID    string   `json:"order_id"`
	Affiliate  string   `json:"affiliate,omitempty"`
	Method     string   `json:"method"`
	Commission int64    `json:"commission"`
	Flags      []string `json:"flags,omitempty"`
	// InputTimestamp is the order record's Kafka timestamp (unix ms), for
	// latency.
	InputTimestamp int64 `json:"in_ts"`
}

type touch struct {
	At   int64  `json:"t"`
	Aff  string `json:"a"`
	Code string `json:"k,omitempty"` // the link's code
}

// customer is the persisted per-customer state.
type customer struct {
	Clicks []touch  `json:"c,omitempty"`
	Orders []string `json:"o,omitempty"` // recent order ids, for duplicates
	// Subs maps a subscription id to who earned its first payment.
	Subs map[string]touch `json:"s,omitempty"`
}

type jsonCodec[T any] struct{}

func (jsonCodec[T]) Encode(v any) ([]byte, error) { return json.Marshal(v) }
func (jsonCodec[T]) Decode(b []byte) (any, error) {
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	return v, nil
}

type avroCodec struct{ serde *schemas.Serde }

func (c avroCodec) Encode(any) ([]byte, error) {
	return nil, errors.New("goka: inputs are not encoded here")
}
func (c avroCodec) Decode(b []byte) (any, error) { return c.serde.DecodeAny(b) }

type code struct {
	owner         string
	rule          *schemas.CommissionRule
	requiresClick bool
	active        bool
	validUntil    int64 // unix ms, 0 for none
}

// usable reports whether the code is active and valid at t (unix ms).
func (c code) usable(t int64) bool { return c.active && (c.validUntil == 0 || t <= c.validUntil) }

// loadCodes reads the registry topic to its end.
func loadCodes(ctx context.Context, cfg Config, serde *schemas.Serde) (map[string]code, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.ConsumeTopics(cfg.Topics.Codes),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	out := map[string]code{}
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			var c schemas.Code
			if r.Value != nil && serde.Decode(r.Value, &c) == nil {
				cc := code{owner: c.AffiliateID, rule: c.Commission, requiresClick: c.RequiresClick, active: c.Status == "active"}
				if c.ValidUntil != nil {
					cc.validUntil = c.ValidUntil.UnixMilli()
				}
				out[c.Code] = cc
			}
		})
		if n == 0 {
			return out, ctx.Err()
		}
	}
}

// Run runs the job until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	if len(cfg.Brokers) == 0 || cfg.Group == "" || cfg.Output == "" || cfg.StateDir == "" || cfg.Topics.Orders == "" {
		return errors.New("goka: brokers, topics, group, output and state dir are required")
	}
	if cfg.Window == 0 {
		cfg.Window = 720 * time.Hour
	}
	if cfg.DefaultCommission.Type == "" {
		cfg.DefaultCommission.Type = "percent"
	}
	serde := schemas.NewSerde(schemas.WithTopics(cfg.Topics))
	codes, err := loadCodes(ctx, cfg, serde)
	if err != nil {
		return fmt.Errorf("goka: loading codes: %w", err)
	}
	sc := goka.DefaultConfig()
	sc.Version = sarama.V2_8_0_0
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	tm := goka.NewTopicManagerConfig()
	tm.Table.Replication = 1
	tm.Stream.Replication = 1
	j := &job{cfg: cfg, codes: codes, affs: map[string]bool{}}
	for _, c := range codes {
		j.affs[c.owner] = j.affs[c.owner] || c.active
	}
	g := goka.DefineGroup(goka.Group(cfg.Group),
		goka.Inputs(goka.Streams{goka.Stream(cfg.Topics.Clicks), goka.Stream(cfg.Topics.Orders)}, avroCodec{serde}, j.process),
		goka.Persist(jsonCodec[customer]{}),
		goka.Output(goka.Stream(cfg.Output), jsonCodec[Output]{}),
	)
	p, err := goka.NewProcessor(cfg.Brokers, g,
		goka.WithConsumerGroupBuilder(goka.ConsumerGroupBuilderWithConfig(sc)),
		goka.WithProducerBuilder(goka.ProducerBuilderWithConfig(sc)),
		goka.WithTopicManagerBuilder(goka.TopicManagerBuilderWithConfig(sc, tm)),
		goka.WithStorageBuilder(storage.DefaultBuilder(cfg.StateDir)),
	)
	if err != nil {
		return fmt.Errorf("goka: building processor: %w", err)
	}
	if err := p.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("goka: %w", err)
	}
	return nil
}

type job struct {
	cfg   Config
	codes map[string]code
	affs  map[string]bool // affiliate -> has an active code
}

func (j *job) process(ctx goka.Context, msg any) {
	st, _ := ctx.Value().(*customer)
	if st == nil {
		st = &customer{}
	}
	switch x := msg.(type) {
	case *schemas.Click:
		if x.IsBot || x.AffiliateID == nil {
			return
		}
		at := x.OccurredAt.UnixMilli()
		t := touch{At: at, Aff: *x.AffiliateID}
		if x.Code != nil {
			if c, ok := j.codes[*x.Code]; ok {
				if !c.usable(at) {
					return // a link of a restricted code does not qualify
				}
				t.Code = *x.Code
			}
		}
		if !j.affiliateActive(t.Aff) {
			return // an affiliate that left the program
		}
		horizon := at - (j.cfg.Window + 24*time.Hour).Milliseconds()
		st.Clicks = slices.DeleteFunc(st.Clicks, func(t touch) bool { return t.At < horizon })
		st.Clicks = append(st.Clicks, t)
		if len(st.Clicks) > 50 {
			st.Clicks = st.Clicks[len(st.Clicks)-50:]
		}
	case *schemas.Order:
		if slices.Contains(st.Orders, x.OrderID) {
			return // a redelivery
		}
		st.Orders = append(st.Orders, x.OrderID)
		if len(st.Orders) > 50 {
			st.Orders = st.Orders[1:]
		}
		ctx.Emit(goka.Stream(j.cfg.Output), x.OrderID, j.decide(st, x, ctx.Timestamp()))
	default:
		return
	}
	ctx.SetValue(st)
}

// decide applies coupon_priority: a known code wins, else the last click
// in the window; a click-required code without a click from its owner is
// flagged code_without_click.
func (j *job) decide(st *customer, o *schemas.Order, ts time.Time) *Output {
	out := &Output{OrderID: o.OrderID, Method: "none", InputTimestamp: ts.UnixMilli()}
	at, window := o.OccurredAt.UnixMilli(), j.cfg.Window.Milliseconds()
	var last *touch
	clicked := map[string]bool{}
	for i := range st.Clicks {
		c := &st.Clicks[i]
		if c.At <= at && at-c.At <= window {
			clicked[c.Aff] = true
			if last == nil || c.At >= last.At {
				last = c
			}
		}
	}
	net := max(0, o.Subtotal-o.Discount)
	rule := j.cfg.DefaultCommission
	credit := touch{}
	if len(o.Codes) > 0 {
		if c, ok := j.codes[o.Codes[0].Code]; ok && c.usable(at) {
			out.Affiliate, out.Method = c.owner, "code"
			credit = touch{Aff: c.owner, Code: o.Codes[0].Code}
			if c.requiresClick && !clicked[c.owner] {
				out.Flags = append(out.Flags, "code_without_click")
			}
		}
	}
	if s := o.Subscription; s != nil && len(o.Codes) == 0 {
		// A renewal without the code: whoever earned the first payment.
		if first, ok := st.Subs[s.ID]; ok {
			out.Affiliate, out.Method, credit = first.Aff, "subscription", first
		}
	}
	if out.Method == "none" && last != nil {
		out.Affiliate, out.Method, credit = last.Aff, "click", *last
	}
	if c, ok := j.codes[credit.Code]; ok && c.owner == credit.Aff && c.rule != nil {
		rule = *c.rule // the code's rule, through the code or its link
	}
	if out.Method != "none" {
		out.Commission = commission(rule, net, o.Subscription)
	}
	if s := o.Subscription; s != nil && s.Cycle == 1 && out.Method != "none" {
		if st.Subs == nil {
			st.Subs = map[string]touch{}
		}
		st.Subs[s.ID] = credit
	}
	return out
}

// affiliateActive reports whether the affiliate has an active code, or
// owns none (unknown to the registry).
func (j *job) affiliateActive(aff string) bool {
	active, known := j.affs[aff]
	return active || !known
}

func commission(rule schemas.CommissionRule, net int64, sub *schemas.Subscription) int64 {
	if sub != nil && sub.Cycle > 0 {
		if rule.RecurringMonths <= 0 && sub.Cycle != 1 || rule.RecurringMonths > 0 && sub.Cycle > rule.RecurringMonths {
			return 0
		}
	}
	if rule.Type != "percent" {
		return rule.Value
	}
	q, r := net*rule.Value/10000, net*rule.Value%10000
	if 2*r > 10000 || 2*r == 10000 && q%2 == 1 {
		q++
	}
	return q
}
