package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/bench/world"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// GokaResult is the peer baseline's figures: the processor's own
// attribution code (bench/goka) inside three Goka processors, fed the
// same events the same way and scored by the same oracle.
type GokaResult struct {
	Error        string      `json:"error,omitempty"`
	Seconds      float64     `json:"seconds"`
	EventsPerSec float64     `json:"events_per_sec"`
	Latency      Percentiles `json:"latency"`
	RSS          int64       `json:"peak_rss"`
	// CPU time (user and system) per input event during Goka's throughput
	// phase, in µs, of the Goka child and of the broker.
	CPUMicros       float64 `json:"goka_cpu_us_per_event"`
	BrokerCPUMicros float64 `json:"broker_cpu_us_per_event"`
	// Outputs counts the orders Goka emitted an attribution for.
	Outputs     int `json:"outputs"`
	Correct     int `json:"correct_non_fraud"`
	NonFraud    int `json:"non_fraud_orders"`
	DeadLetters int `json:"dead_letters"`
	// Score is the oracle's full score of Goka's outputs (both phases).
	Score world.Score `json:"score"`
	// Duplicates counts attribution versions emitted more than once after
	// a SIGKILL and a restart of a second Goka job over the same inputs.
	Duplicates      int     `json:"duplicates_after_kill"`
	KillOutputs     int     `json:"kill_run_outputs"`
	ThroughputRatio float64 `json:"heldsway_over_goka_throughput"`
	P99Ratio        float64 `json:"heldsway_over_goka_p99"`
}

// gokaRun is what gokaPhase needs from runOne.
type gokaRun struct {
	dir, addr     string
	program, rule string
	conn          kafka.Conn
	adm           *kadm.Client
	cl            *kgo.Client
	broker        *child
	in            *inputs
	n             int
	oracle        *world.Oracle
	orderID       func(platform, id string) string
}

// gokaPhase runs the Goka job over the same events, fed the same way:
// first as fast as possible, then at the latency rate; then a second
// job is killed mid-run and restarted to count duplicates.
func gokaPhase(ctx context.Context, cfg Config, r gokaRun) *GokaResult {
	g := &GokaResult{}
	fail := func(err error) *GokaResult { g.Error = err.Error(); cfg.logf("goka: %v", err); return g }
	in, _ := schemas.NewTopics(gokaPrefix)
	var inputs []kafka.Topic
	for _, t := range []string{in.Clicks, in.Orders, in.Refunds} {
		inputs = append(inputs, kafka.Topic{Name: t, Partitions: cfg.Partitions})
	}
	if _, err := kafka.CreateTopics(ctx, r.cl, inputs...); err != nil {
		return fail(err)
	}
	src, _ := schemas.NewTopics(topicPrefix)
	in.Codes = src.Codes
	start := func(group string, out schemas.Topics) (*child, error) {
		return startChild("goka", cfg.GokaBinary, cfg.ChildLog, "--kafka-listen", r.addr, "--topic-prefix", in.Prefix,
			"--codes-topic", in.Codes, "--output-prefix", out.Prefix, "--group", group, "--state", filepath.Join(r.dir, group),
			"--program", r.program, "--log-level", "warn")
	}
	idle := func(group string) func(context.Context) error {
		return func(ctx context.Context) error {
			return waitIdleFunc(ctx, r.adm, gokaGroups(group), 100*time.Millisecond, nil)
		}
	}
	joined := func(c *child, group string) error {
		wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		if err := groupsStable(wctx, r.adm, gokaGroups(group)); err != nil {
			if done, perr := c.exited(); done {
				return fmt.Errorf("goka exited: %v", perr)
			}
			return fmt.Errorf("waiting for goka to join: %w", err)
		}
		return nil
	}

	const group = "bench-goka"
	out, _ := schemas.NewTopics(gokaPrefix + "-out")
	gc, err := start(group, out)
	if err != nil {
		return fail(err)
	}
	defer gc.kill()
	if err := joined(gc, group); err != nil {
		return fail(err)
	}
	cfg.logf("goka: producing %d events", r.n)
	watch := watchEnds(ctx, r.adm, out.Attributions, out.Flags, out.Adjustments, out.Internal("redemptions"))
	t0 := time.Now()
	gokaCPU0, brokerCPU0 := cpuTime(gc.cmd.Process.Pid), cpuTime(r.broker.cmd.Process.Pid)
	if err := produceAll(ctx, r.cl, r.in, 0, r.n, in); err != nil {
		watch.stop()
		return fail(err)
	}
	// Goka commits offsets once a second, so its groups' lag would
	// overstate its time: it is done when its outputs stopped growing,
	// once every group has drained.
	wctx, cancel := context.WithTimeout(ctx, max(30*time.Minute, time.Duration(r.n)*time.Millisecond))
	err = idle(group)(wctx)
	cancel()
	perEvent := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(r.n) }
	g.CPUMicros = perEvent(cpuTime(gc.cmd.Process.Pid) - gokaCPU0)
	g.BrokerCPUMicros = perEvent(cpuTime(r.broker.cmd.Process.Pid) - brokerCPU0)
	doneAt := watch.stop()
	if err != nil {
		return fail(err)
	}
	g.Seconds = doneAt.Sub(t0).Seconds()
	g.EventsPerSec = float64(r.n) / g.Seconds
	cfg.logf("goka: %.0f events/s (%.1fs); CPU per event: goka %.1f µs, broker %.1f µs", g.EventsPerSec, g.Seconds, g.CPUMicros, g.BrokerCPUMicros)

	serde := schemas.NewSerde(schemas.WithTopics(out))
	offer := func(ctx context.Context) (int, error) {
		return len(r.in.refs) - r.n, produceAt(ctx, r.cl, r.in, r.n, len(r.in.refs), cfg.Rate, in)
	}
	// The attribution's DecidedAt is the Kafka timestamp of the input
	// that decided it, as the processor's record timestamp is.
	ts := func(rec *kgo.Record) (time.Time, bool) {
		var a schemas.Attribution
		if serde.Decode(rec.Value, &a) != nil {
			return time.Time{}, false
		}
		return a.DecidedAt, true
	}
	lat, _, err := latencyPhase(ctx, cfg, r.conn, r.adm, len(r.in.refs)-r.n, out.Attributions, ts, offer, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		return idle(group)(ctx)
	})
	if err != nil {
		return fail(err)
	}
	g.Latency = lat
	g.RSS = gc.peakRSS()
	_ = gc.stop(30 * time.Second)

	// Correctness on the same truth, by the same oracle.
	obs, dead, err := observe(ctx, r.conn, out, serde, r.orderID)
	if err != nil {
		return fail(err)
	}
	g.DeadLetters = len(dead)
	cfg.logDeadLetters("goka", dead)
	for _, o := range obs.Orders {
		if o.Version > 0 {
			g.Outputs++
		}
	}
	if g.Score, err = r.oracle.Score(r.rule, obs); err != nil {
		return fail(err)
	}
	g.Correct, g.NonFraud = g.Score.Correct, g.Score.NonFraud
	cfg.logf("goka: p99 %.1fms; accuracy %s: %d/%d non-fraud orders (%.4f%%), %d missing",
		g.Latency.P99, r.rule, g.Correct, g.NonFraud, 100*g.Score.Accuracy, g.Score.Missing)

	// Kill and restart a second job over the same inputs.
	const killGroup = "bench-goka-kill"
	kout, _ := schemas.NewTopics(gokaPrefix + "-kill")
	kc, err := start(killGroup, kout)
	if err != nil {
		return fail(err)
	}
	orders := r.in.orders(0, len(r.in.refs))
	wctx, cancel = context.WithTimeout(ctx, 5*time.Minute)
	err = waitFor(wctx, 20*time.Millisecond, func() bool {
		ends, err := r.adm.ListEndOffsets(wctx, kout.Attributions)
		if err != nil {
			return false
		}
		var sum int64
		ends.Each(func(o kadm.ListedOffset) { sum += max(0, o.Offset) })
		return sum >= int64(orders/2)
	})
	cancel()
	kc.kill()
	if err != nil {
		return fail(fmt.Errorf("goka kill run made no progress: %w", err))
	}
	kc, err = start(killGroup, kout)
	if err != nil {
		return fail(err)
	}
	wctx, cancel = context.WithTimeout(ctx, 30*time.Minute)
	err = idle(killGroup)(wctx)
	cancel()
	_ = kc.stop(30 * time.Second)
	if err != nil {
		return fail(err)
	}
	count := map[string]int{}
	err = readAll(ctx, r.conn, []string{kout.Attributions}, func(rec *kgo.Record) {
		var a schemas.Attribution
		if serde.Decode(rec.Value, &a) != nil {
			return
		}
		g.KillOutputs++
		count[fmt.Sprintf("%s\x00%d", rec.Key, a.Version)]++
	})
	if err != nil {
		return fail(err)
	}
	for _, c := range count {
		if c > 1 {
			g.Duplicates++
		}
	}
	cfg.logf("goka: %d attribution versions emitted more than once after SIGKILL+restart", g.Duplicates)
	return g
}

// gokaGroups are the consumer groups of the Goka peer started with
// --group group: bench/goka.Groups, which the harness does not import so
// that Goka stays out of the heldsway binary (TestGokaGroups keeps the
// two in step).
func gokaGroups(group string) []string {
	return []string{group, group + "-redeem", group + "-adjust"}
}

// endsWatch polls the summed end offsets of some topics and remembers
// when they last grew.
type endsWatch struct {
	mu     sync.Mutex
	last   int64
	at     time.Time
	cancel context.CancelFunc
	done   chan struct{}
}

func watchEnds(ctx context.Context, adm *kadm.Client, topics ...string) *endsWatch {
	ctx, cancel := context.WithCancel(ctx)
	w := &endsWatch{at: time.Now(), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if ends, err := adm.ListEndOffsets(ctx, topics...); err == nil && ends.Error() == nil {
				var sum int64
				ends.Each(func(o kadm.ListedOffset) { sum += max(0, o.Offset) })
				now := time.Now()
				w.mu.Lock()
				if sum > w.last {
					w.last, w.at = sum, now
				}
				w.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// stop ends the watch and returns when the ends last grew.
func (w *endsWatch) stop() time.Time {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at
}
