package harness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/bench/world"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// inputs are a world's events, Avro-encoded into one arena so that
// millions of them cost little more than their bytes.
type inputs struct {
	arena []byte
	refs  []inputRef
}

type inputRef struct {
	kind       world.Kind
	order      bool // the first delivery of an order
	koff, klen int64
	voff, vlen int64
}

func (in *inputs) add(serde *schemas.Serde, e *world.Event, firstDelivery bool) error {
	ref := inputRef{kind: e.Kind, order: e.Kind == world.KindOrder && firstDelivery, koff: int64(len(in.arena)), klen: int64(len(e.Key))}
	in.arena = append(in.arena, e.Key...)
	ref.voff = int64(len(in.arena))
	var err error
	if in.arena, err = serde.AppendEncode(in.arena, e.Value()); err != nil {
		return fmt.Errorf("encoding %T: %w", e.Value(), err)
	}
	ref.vlen = int64(len(in.arena)) - ref.voff
	in.refs = append(in.refs, ref)
	return nil
}

func (in *inputs) record(i int, topics schemas.Topics) *kgo.Record {
	r := in.refs[i]
	topic := topics.Clicks
	switch r.kind {
	case world.KindOrder:
		topic = topics.Orders
	case world.KindRefund:
		topic = topics.Refunds
	}
	return &kgo.Record{Topic: topic, Key: in.arena[r.koff : r.koff+r.klen], Value: in.arena[r.voff : r.voff+r.vlen]}
}

// orders counts the distinct orders among refs[from:to].
func (in *inputs) orders(from, to int) int {
	n := 0
	for _, r := range in.refs[from:to] {
		if r.order {
			n++
		}
	}
	return n
}

func (in *inputs) avgValue() int {
	if len(in.refs) == 0 {
		return 0
	}
	var n int64
	for _, r := range in.refs {
		n += r.vlen
	}
	return int(n / int64(len(in.refs)))
}

// producer produces asynchronously and remembers the first error.
type producer struct {
	cl     *kgo.Client
	wg     sync.WaitGroup
	failed atomic.Pointer[error]
}

func (p *producer) produce(ctx context.Context, r *kgo.Record) {
	p.wg.Add(1)
	p.cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
		if err != nil {
			p.failed.CompareAndSwap(nil, &err)
		}
		p.wg.Done()
	})
}

func (p *producer) wait() error {
	p.wg.Wait()
	if e := p.failed.Load(); e != nil {
		return fmt.Errorf("producing inputs: %w", *e)
	}
	return nil
}

// produceAll produces in.refs[from:to] as fast as the client goes, each
// record stamped with the time it was handed to the client.
func produceAll(ctx context.Context, cl *kgo.Client, in *inputs, from, to int, topics schemas.Topics) error {
	p := &producer{cl: cl}
	for i := from; i < to; i++ {
		r := in.record(i, topics)
		r.Timestamp = time.Now()
		p.produce(ctx, r)
	}
	return p.wait()
}

// produceAt produces in.refs[from:to] at rate events per second, in
// millisecond ticks.
func produceAt(ctx context.Context, cl *kgo.Client, in *inputs, from, to int, rate int, topics schemas.Topics) error {
	p := &producer{cl: cl}
	start := time.Now()
	for i := from; i < to; {
		due := from + int(time.Since(start).Seconds()*float64(rate))
		for ; i < to && i <= due; i++ {
			r := in.record(i, topics)
			r.Timestamp = time.Now()
			p.produce(ctx, r)
		}
		if ctx.Err() != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return p.wait()
}

// waitIdleFunc waits until every group has consumed everything: lag 0, or
// at most 1 on an input written in transactions (it ends with a commit
// marker the group never commits past) and no committed offset moving between
// checks. drained, when set, gets the time the final offsets were first
// seen.
func waitIdleFunc(ctx context.Context, adm *kadm.Client, groups []string, poll time.Duration, drained func(time.Time)) error {
	idle, last := 0, ""
	var since time.Time
	for {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		lags, err := adm.Lag(lctx, slices.Clone(groups)...) // Lag reuses its argument as scratch space
		cancel()
		now := time.Now()
		ok := err == nil && len(lags) == len(groups)
		var snap []string
		for _, g := range groups {
			l, found := lags[g]
			if !found || l.Error() != nil || len(l.Lag) == 0 {
				ok = false
				break
			}
			for topic, ps := range l.Lag {
				for p, ml := range ps {
					// Only topics the processor writes in transactions end with
					// a commit marker; on the others lag 1 is a record.
					// Goka writes none: its topics must have no lag.
					allowed := int64(0)
					if !strings.HasPrefix(topic, gokaPrefix) && (strings.Contains(topic, ".internal.") || strings.HasSuffix(topic, ".attributions.v1")) {
						allowed = 1
					}
					if ml.Err != nil || ml.Lag > allowed || ml.Commit.At < 0 && ml.End.Offset > 0 {
						ok = false
					}
					snap = append(snap, fmt.Sprintf("%s/%s/%d=%d", g, topic, p, ml.Commit.At))
				}
			}
		}
		slices.Sort(snap)
		cur := strings.Join(snap, ",")
		if cur != last {
			since = now
		}
		if ok && cur == last {
			if idle++; idle == 3 {
				if drained != nil {
					drained(since)
				}
				return nil
			}
		} else {
			idle = 0
		}
		last = cur
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for groups %v to drain: %w", groups, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// groupsStable waits until every group has a member and is Stable.
func groupsStable(ctx context.Context, adm *kadm.Client, groups []string) error {
	return waitFor(ctx, 100*time.Millisecond, func() bool {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ds, err := adm.DescribeGroups(dctx, groups...)
		if err != nil || len(ds) != len(groups) {
			return false
		}
		for _, d := range ds {
			if d.Err != nil || d.State != "Stable" || len(d.Members) == 0 {
				return false
			}
		}
		return true
	})
}

// endOffsets returns the end offset of every partition of topics.
func endOffsets(ctx context.Context, adm *kadm.Client, topics ...string) (map[string]map[int32]kgo.Offset, error) {
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("listing end offsets: %w", err)
	}
	out := map[string]map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]kgo.Offset{}
		}
		out[o.Topic][o.Partition] = kgo.NewOffset().At(o.Offset)
	})
	return out, nil
}

// readAll reads every committed record of topics, up to their last stable
// offsets as they are when it starts, calling f for each. It reads to
// those offsets rather than until the topics go quiet: a first fetch that
// is slow on a loaded machine must not end the read with nothing.
func readAll(ctx context.Context, conn kafka.Conn, topics []string, f func(*kgo.Record)) error {
	cl, err := conn.NewClient(kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords())
	if err != nil {
		return fmt.Errorf("creating consumer: %w", err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListCommittedOffsets(ctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return fmt.Errorf("listing the end offsets of %v: %w", topics, err)
	}
	type tp struct {
		t string
		p int32
	}
	pending := map[tp]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			pending[tp{o.Topic, o.Partition}] = o.Offset
		}
	})
	for len(pending) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return fmt.Errorf("reading %v: %w", topics, ctx.Err())
		}
		if err := fs.Err0(); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("reading %v: %w", topics, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			k := tp{r.Topic, r.Partition}
			end, ok := pending[k]
			if !ok {
				return
			}
			if !r.Attrs.IsControl() {
				f(r)
			}
			if r.Offset+1 >= end {
				delete(pending, k)
			}
		})
	}
	return nil
}

// Ceiling is the broker's raw produce+consume rate.
type Ceiling struct {
	Records      int     `json:"records"`
	ValueBytes   int     `json:"value_bytes"`
	EventsPerSec float64 `json:"events_per_sec"`
	Seconds      float64 `json:"seconds"`
}

// ceiling produces n records of size bytes (acks=all, idempotent: the
// client's defaults) to a fresh topic while a consumer reads them back.
func ceiling(ctx context.Context, conn kafka.Conn, cl *kgo.Client, topic string, partitions int32, n, size int) (Ceiling, error) {
	if _, err := kafka.CreateTopics(ctx, cl, kafka.Topic{Name: topic, Partitions: partitions}); err != nil {
		return Ceiling{}, err
	}
	prod, err := conn.NewClient()
	if err != nil {
		return Ceiling{}, err
	}
	defer prod.Close()
	cons, err := conn.NewClient(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return Ceiling{}, err
	}
	defer cons.Close()
	value := make([]byte, size)
	for i := range value {
		value[i] = byte(i)
	}
	start := time.Now()
	errc := make(chan error, 1)
	go func() {
		p := &producer{cl: prod}
		for i := 0; i < n; i++ {
			p.produce(ctx, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i%100000), Value: value})
		}
		errc <- p.wait()
	}()
	got := 0
	for got < n {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			return Ceiling{}, ctx.Err()
		}
		got += fs.NumRecords()
	}
	if err := <-errc; err != nil {
		return Ceiling{}, err
	}
	el := time.Since(start).Seconds()
	return Ceiling{Records: n, ValueBytes: size, EventsPerSec: float64(n) / el, Seconds: el}, nil
}
