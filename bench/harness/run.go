package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	gokajob "github.com/heldsway/heldsway/bench/goka"
	"github.com/heldsway/heldsway/bench/world"
	"github.com/heldsway/heldsway/schemas"
)

const topicPrefix = "bench"

// defaultCommissionBP is the program default the children run with: what
// an affiliate earns for an order it did not bring with its own code.
const defaultCommissionBP = 300

var stageGroups = []string{"heldsway-processor-attribute", "heldsway-processor-redeem", "heldsway-processor-adjust"}

// SizeResult holds the figures of one run.
type SizeResult struct {
	Events       int     `json:"events"`
	Rule         string  `json:"rule"`
	Feed         string  `json:"feed"`
	Customers    int     `json:"customers"`
	InputBytes   int64   `json:"input_bytes"`
	AvgValue     int     `json:"avg_value_bytes"`
	Seconds      float64 `json:"seconds"`
	EventsPerSec float64 `json:"events_per_sec"`
	// ProduceSeconds is how long producing the inputs took (the processor
	// runs meanwhile).
	ProduceSeconds float64 `json:"produce_seconds"`
	NsPerEvent     float64 `json:"processor_wall_ns_per_event"`
	// CPU time (user and system) per input event during the throughput
	// phase, in µs, of the processor, the broker and the harness (which
	// produces the inputs or posts the webhooks).
	ProcessorCPUMicros float64 `json:"processor_cpu_us_per_event"`
	BrokerCPUMicros    float64 `json:"broker_cpu_us_per_event"`
	HarnessCPUMicros   float64 `json:"harness_cpu_us_per_event"`
	// Latency phase.
	Rate         int         `json:"latency_rate"`
	AchievedRate float64     `json:"latency_achieved_rate"`
	Latency      Percentiles `json:"latency"`
	// Memory and state.
	ProcessorRSS     int64       `json:"processor_peak_rss"`
	BrokerRSS        int64       `json:"broker_peak_rss"`
	HarnessRSS       int64       `json:"harness_peak_rss"`
	StateBytes       int64       `json:"pebble_bytes"`
	PebblePerMillion int64       `json:"pebble_bytes_per_million_customers"`
	Ceiling          *Ceiling    `json:"broker_ceiling,omitempty"`
	Score            world.Score `json:"score"`
	Goka             *GokaResult `json:"goka,omitempty"`
	ClickHouse       string      `json:"clickhouse"`
	Profile          []string    `json:"profile_top,omitempty"`
	ProfilePath      string      `json:"profile_path,omitempty"`
	DeadLetters      int         `json:"dead_letters"`
	// Ingest has the webhook feed's figures (--feed webhooks).
	Ingest *IngestResult `json:"ingest,omitempty"`
	// Repeats, with --repeat above 1: every figure above is the median
	// over the runs, and this is the spread of throughput and latency.
	Repeats *Spread `json:"repeats,omitempty"`
}

// GokaResult is the peer baseline's figures.
type GokaResult struct {
	Error        string      `json:"error,omitempty"`
	Seconds      float64     `json:"seconds"`
	EventsPerSec float64     `json:"events_per_sec"`
	Latency      Percentiles `json:"latency"`
	RSS          int64       `json:"peak_rss"`
	Outputs      int         `json:"outputs"`
	Correct      int         `json:"correct_non_fraud"`
	NonFraud     int         `json:"non_fraud_orders"`
	// Duplicates counts orders emitted more than once after a SIGKILL and
	// a restart of a second Goka group over the same inputs.
	Duplicates      int     `json:"duplicates_after_kill"`
	KillOutputs     int     `json:"kill_run_outputs"`
	ThroughputRatio float64 `json:"heldsway_over_goka_throughput"`
	P99Ratio        float64 `json:"heldsway_over_goka_p99"`
}

// Report is everything a run measured.
type Report struct {
	Command   string        `json:"command"`
	StartedAt time.Time     `json:"started_at"`
	Seconds   float64       `json:"seconds"`
	CPUs      int           `json:"cpus"`
	Feed      string        `json:"feed"`
	Repeat    int           `json:"repeat"`
	GoVersion string        `json:"go_version"`
	Runs      []SizeResult  `json:"runs"`
	Rules     []world.Score `json:"rules"`
	Targets   []Target      `json:"targets"`
	Notes     []string      `json:"notes"`
}

// Target is one of the bars and how the run compares.
type Target struct {
	Name   string `json:"name"`
	Want   string `json:"want"`
	Got    string `json:"got"`
	Met    bool   `json:"met"`
	Margin string `json:"margin"`
}

// Run runs the benchmark.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rep := &Report{Command: cfg.Command, StartedAt: time.Now().UTC(), CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Feed: cfg.Feed, Repeat: cfg.Repeat}
	for _, n := range cfg.Sizes {
		var runs []SizeResult
		for k := 0; k < cfg.Repeat; k++ {
			r, err := runOne(ctx, cfg, n, cfg.Rules[0], true, k)
			if err != nil {
				return rep, fmt.Errorf("run of %d events: %w", n, err)
			}
			runs = append(runs, *r)
		}
		m, err := summarize(runs)
		if err != nil {
			return rep, err
		}
		rep.Runs = append(rep.Runs, m)
		rep.Rules = append(rep.Rules, m.Score)
	}
	for _, rule := range cfg.Rules[1:] {
		var scores []world.Score
		for k := 0; k < cfg.Repeat; k++ {
			r, err := runOne(ctx, cfg, cfg.AccuracyEvents, rule, false, k)
			if err != nil {
				return rep, fmt.Errorf("accuracy run of %s: %w", rule, err)
			}
			scores = append(scores, r.Score)
		}
		s, err := summarizeScores(scores)
		if err != nil {
			return rep, err
		}
		rep.Rules = append(rep.Rules, s)
	}
	rep.Targets = targets(rep)
	rep.Seconds = time.Since(rep.StartedAt).Seconds()
	repeat := fmt.Sprintf("%d CPUs shared with other work: figures are noisy; repeat and take the median.", rep.CPUs)
	if cfg.Repeat > 1 {
		repeat = fmt.Sprintf("%d CPUs shared with other work: every figure is the median of %d runs (the median of an even count is the mean of the middle two); min and max of throughput and latency are given beside them.", rep.CPUs, cfg.Repeat)
	}
	rep.Notes = append(rep.Notes, repeat)
	if cfg.Feed == FeedAvro {
		rep.Notes = append(rep.Notes,
			"Throughput: first produce to zero lag of every processor group, processor joined beforehand, exactly-once on.",
			"Latency: order record timestamp (set at produce) to the attribution readable read_committed, at a fixed offered rate after the throughput phase.")
	} else {
		rep.Notes = append(rep.Notes,
			fmt.Sprintf("Feed: heldsway ingest as a child process, %d HTTP clients. Orders and refunds are signed platform webhooks spread over Shopify, WooCommerce, Stripe and Paddle by order number (redelivered orders are posted twice); clicks are POST /v1/clicks batches of up to %d; subscription first payments are Paddle transactions and renewals POST /v1/conversions (no platform renewal says its cycle or the subscription's start). Stripe promotion code and Paddle discount ids resolve from the code registry (seeded with them); no platform API is called.", cfg.Clients, cfg.ClickBatch),
			"Throughput: first request sent to zero lag of every processor group (processor joined beforehand, exactly-once on); ingest rates count requests and world events answered 2xx (a click batch is one request of many events). Latency: first attempt of an order's webhook to its version-1 attribution readable read_committed, at a fixed offered rate after the throughput phase (the clients queue when the ingest is slower).",
			"Webhook feed truth: event times are truncated to the second (Shopify, WooCommerce and Stripe give no more) and code_applied_at is dropped (no platform reports it) before the oracle sees the world; Goka gets the same events.")
	}
	rep.Notes = append(rep.Notes, "ClickHouse insert rate is not measured by this harness (the sink is not part of the run).")
	return rep, nil
}

func (cfg *Config) logf(format string, args ...any) {
	fmt.Fprintf(cfg.Progress, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// runOne runs a fresh broker and processor over a world of n events under
// rule; full adds the latency phase, the ceiling, the profile and Goka.
// repeat numbers the runs of one configuration.
func runOne(ctx context.Context, cfg Config, n int, rule string, full bool, repeat int) (*SizeResult, error) {
	name := fmt.Sprintf("%s-%d", rule, n)
	if cfg.Repeat > 1 {
		name += fmt.Sprintf("-run%d", repeat+1)
		cfg.logf("%s: run %d of %d", name, repeat+1, cfg.Repeat)
	}
	dir := filepath.Join(cfg.WorkDir, name)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	webhooks := cfg.Feed == FeedWebhooks
	res := &SizeResult{Events: n, Rule: rule, Feed: cfg.Feed, ClickHouse: "not measured"}
	latN := 0
	if full {
		latN = cfg.Rate * cfg.LatencySeconds
	}

	// The world, encoded up front so generating it is not measured.
	cfg.logf("generating %d+%d events (seed %d, feed %s)", n, latN, cfg.Seed, cfg.Feed)
	wcfg := world.Config{Seed: cfg.Seed, Events: n + latN, Customers: cfg.Customers}
	if webhooks {
		// The edge refuses event times more than 400 days old or ahead of
		// its clock: the world (about 130 days with renewals) ends in the
		// past, and the same world for the same day.
		wcfg.Start = time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -200)
	}
	gen, err := world.New(wcfg)
	if err != nil {
		return nil, err
	}
	topics, _ := schemas.NewTopics(topicPrefix)
	serde := schemas.NewSerde(schemas.WithTopics(topics))
	defRule := schemas.CommissionRule{Type: "percent", Value: defaultCommissionBP, RecurringMonths: 12}
	oracle := world.NewOracle(gen.Affiliates(), world.OracleConfig{DefaultCommission: defRule})
	in := &inputs{}
	var feed *hookFeed
	if webhooks {
		feed = newHookFeed(cfg.ClickBatch)
	}
	customers, orderIDs := map[string]struct{}{}, map[string]struct{}{}
	for e, ok := gen.Next(); ok; e, ok = gen.Next() {
		if webhooks {
			adaptToWebhooks(e)
			if len(in.refs) == n {
				if err := feed.endPhase(); err != nil {
					return nil, err
				}
			}
			if err := feed.add(e); err != nil {
				return nil, err
			}
		}
		oracle.Observe(e)
		if e.Kind != world.KindRefund {
			customers[e.Key] = struct{}{}
		}
		first := false
		if e.Kind == world.KindOrder {
			_, seen := orderIDs[e.Order.OrderID]
			first = !seen
			orderIDs[e.Order.OrderID] = struct{}{}
		}
		if err := in.add(serde, e, first); err != nil {
			return nil, err
		}
	}
	if webhooks {
		if len(in.refs) == n {
			if err := feed.endPhase(); err != nil {
				return nil, err
			}
		}
		if err := feed.flush(); err != nil {
			return nil, err
		}
		res.Ingest = &IngestResult{Clients: cfg.Clients, ClickBatch: cfg.ClickBatch, MaxInFlight: cfg.IngestMaxInFlight, ByEndpoint: feed.byEndpoint()}
		cfg.logf("webhook feed: %d requests (%d MiB), %v", len(feed.reqs), len(feed.arena)>>20, res.Ingest.ByEndpoint)
	}
	res.Customers = len(customers)
	customers, orderIDs = nil, nil
	res.InputBytes = int64(len(in.arena))
	res.AvgValue = in.avgValue()

	// Broker.
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	bargs := []string{"broker", "--data-dir", filepath.Join(dir, "broker"), "--kafka-listen", addr, "--topic-prefix", topicPrefix,
		"--partitions", fmt.Sprint(cfg.Partitions), "--log-level", "warn", "--log-format", "json"}
	if cfg.NoSyncWrites {
		bargs = append(bargs, "--no-sync-writes")
	}
	broker, err := startChild("broker", cfg.Binary, cfg.ChildLog, bargs...)
	if err != nil {
		return nil, err
	}
	defer broker.kill()
	conn := []kgo.Opt{kgo.SeedBrokers(addr)}
	cl, err := kgo.NewClient(append(slices.Clone(conn), kgo.MaxBufferedRecords(100_000))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	err = waitFor(wctx, 100*time.Millisecond, func() bool {
		td, err := adm.ListTopics(wctx, topics.Orders)
		return err == nil && td.Has(topics.Orders) && td[topics.Orders].Err == nil
	})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("waiting for the broker: %w", err)
	}
	for _, a := range gen.Affiliates() {
		c := a.Code
		if webhooks {
			seedPlatformIDs(&c, c.UpdatedAt)
		}
		b, err := serde.Encode(&c)
		if err != nil {
			return nil, err
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topics.Codes, Key: []byte(c.Code), Value: b}).FirstErr(); err != nil {
			return nil, fmt.Errorf("producing codes: %w", err)
		}
	}
	if full {
		cfg.logf("broker ceiling: %d records of %d bytes", min(cfg.CeilingRecords, n), res.AvgValue)
		c, err := ceiling(ctx, conn, adm, topicPrefix+".ceiling", cfg.Partitions, min(cfg.CeilingRecords, n), res.AvgValue)
		if err != nil {
			return nil, fmt.Errorf("broker ceiling: %w", err)
		}
		res.Ceiling = &c
	}

	// Processor.
	prog := filepath.Join(dir, "program.yaml")
	if err := os.WriteFile(prog, fmt.Appendf(nil, "defaults:\n  rule: %s\n  commission: {type: percent, value: %d, recurring_months: 12}\n", rule, defaultCommissionBP), 0o640); err != nil {
		return nil, err
	}
	profile := filepath.Join(dir, "processor.cpu.pprof")
	pargs := []string{"bench", "process", "--data-dir", filepath.Join(dir, "processor"), "--kafka-listen", addr, "--topic-prefix", topicPrefix,
		"--partitions", fmt.Sprint(cfg.Partitions), "--program", prog, "--instance-id", "bench", "--log-level", "warn", "--log-format", "json"}
	if full {
		pargs = append(pargs, "--cpuprofile", profile)
	}
	proc, err := startChild("processor", cfg.Binary, cfg.ChildLog, pargs...)
	if err != nil {
		return nil, err
	}
	defer proc.kill()
	wctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	err = groupsStable(wctx, adm, stageGroups)
	cancel()
	if err != nil {
		if done, perr := proc.exited(); done {
			return nil, fmt.Errorf("processor exited: %v", perr)
		}
		return nil, fmt.Errorf("waiting for the processor to join: %w", err)
	}

	// Ingest, for the webhook feed.
	var (
		ingest *child
		sender *hookSender
	)
	if webhooks {
		secrets, err := newHookSecrets()
		if err != nil {
			return nil, err
		}
		var base string
		ingest, base, err = startIngest(ctx, cfg, dir, addr, secrets)
		if err != nil {
			return nil, err
		}
		defer ingest.kill()
		sender = newHookSender(base, secrets, feed, cfg.Clients)
		defer sender.close()
	}

	start := time.Now()
	procCPU0, brokerCPU0, selfCPU0 := cpuTime(proc.cmd.Process.Pid), cpuTime(broker.cmd.Process.Pid), selfCPU()
	if webhooks {
		cfg.logf("throughput: posting %d events in %d requests to the ingest (%d clients), processor %s", n, feed.split, cfg.Clients, rule)
		st, err := sender.run(ctx, 0, feed.split, 0, cfg.Clients)
		res.Ingest.Throughput = st
		if err != nil {
			return nil, err
		}
		cfg.logf("ingest: %.0f requests/s, %.0f events/s accepted; %d 5xx (%d 503), %d retries, %d failed",
			st.RequestsPerSec, st.EventsPerSec, st.Status5xx, st.Status503, st.Retries, st.Failed)
		for _, e := range st.Errors {
			cfg.logf("ingest: %s", e)
		}
	} else {
		cfg.logf("throughput: producing %d events, processor %s", n, rule)
		if err := produceAll(ctx, cl, in, 0, n, topics); err != nil {
			return nil, err
		}
	}
	res.ProduceSeconds = time.Since(start).Seconds()
	// At least 30 minutes, and never less than 1,000 events/s needs.
	idleAt, err := waitIdleAt(ctx, adm, max(30*time.Minute, time.Duration(n)*time.Millisecond))
	if err != nil {
		return nil, err
	}
	res.Seconds = idleAt.Sub(start).Seconds()
	res.EventsPerSec = float64(n) / res.Seconds
	res.NsPerEvent = res.Seconds * 1e9 / float64(n)
	perEvent := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) }
	res.ProcessorCPUMicros = perEvent(cpuTime(proc.cmd.Process.Pid) - procCPU0)
	res.BrokerCPUMicros = perEvent(cpuTime(broker.cmd.Process.Pid) - brokerCPU0)
	res.HarnessCPUMicros = perEvent(selfCPU() - selfCPU0)
	cfg.logf("throughput: %.0f events/s (%.1fs); CPU per event: processor %.1f µs, broker %.1f µs, harness %.1f µs",
		res.EventsPerSec, res.Seconds, res.ProcessorCPUMicros, res.BrokerCPUMicros, res.HarnessCPUMicros)

	if full {
		offer := func(ctx context.Context) (int, error) {
			return len(in.refs) - n, produceAt(ctx, cl, in, n, len(in.refs), cfg.Rate, topics)
		}
		ts := func(r *kgo.Record) (time.Time, bool) { return r.Timestamp, true }
		if webhooks {
			offer = func(ctx context.Context) (int, error) {
				st, err := sender.run(ctx, feed.split, len(feed.reqs), cfg.Rate, cfg.Clients)
				res.Ingest.Latency = st
				for _, e := range st.Errors {
					cfg.logf("ingest: %s", e)
				}
				return int(st.Events), err
			}
			ts = sender.attributionSentAt(schemas.NewSerde(schemas.WithTopics(topics)))
		}
		lat, rate, err := latencyPhase(ctx, cfg, conn, adm, latN, topics.Attributions, ts, offer,
			func(ctx context.Context) error { _, err := waitIdleAt(ctx, adm, 10*time.Minute); return err })
		if err != nil {
			return nil, err
		}
		res.Rate, res.AchievedRate, res.Latency = cfg.Rate, rate, lat
		cfg.logf("latency at %d/s: p50 %.1fms p99 %.1fms p99.9 %.1fms", cfg.Rate, lat.P50, lat.P99, lat.P999)
	}
	res.ProcessorRSS = proc.peakRSS()
	if ingest != nil {
		res.Ingest.RSS = ingest.peakRSS()
		if err := ingest.stop(30 * time.Second); err != nil {
			cfg.logf("ingest stop: %v", err)
		}
	}

	// Score the outputs.
	orderID := func(platform, id string) string {
		if webhooks {
			return worldOrderID(platform, id)
		}
		return id
	}
	obs := world.Observed{Orders: map[string]*world.Got{}}
	err = readAll(ctx, conn, []string{topics.Attributions, topics.Adjustments, topics.Flags, topics.DeadLetter}, func(r *kgo.Record) {
		v, err := serde.DecodeAny(r.Value)
		if err != nil {
			return
		}
		switch x := v.(type) {
		case *schemas.Attribution:
			id := orderID(x.Platform, x.OrderID)
			g := obs.Orders[id]
			if g == nil {
				g = &world.Got{}
				obs.Orders[id] = g
			}
			if x.Version >= g.Version {
				g.Version, g.Method, g.Commission, g.Affiliate, g.Reasons = x.Version, x.Method, x.Commission, "", x.Reasons
				if x.AffiliateID != nil {
					g.Affiliate = *x.AffiliateID
				}
			}
		case *schemas.Adjustment:
			id := orderID(x.Platform, x.OrderID)
			g := obs.Orders[id]
			if g == nil {
				g = &world.Got{}
				obs.Orders[id] = g
			}
			g.Adjusted += x.Amount
		case *schemas.Flag:
			obs.Flags = append(obs.Flags, *x)
		case *schemas.DeadLetter:
			res.DeadLetters++
		}
	})
	if err != nil {
		return nil, err
	}
	if res.Score, err = oracle.Score(rule, obs); err != nil {
		return nil, err
	}
	cfg.logf("accuracy %s: %d/%d non-fraud orders (%.4f%%)", rule, res.Score.Correct, res.Score.NonFraud, 100*res.Score.Accuracy)

	if err := proc.stop(60 * time.Second); err != nil {
		cfg.logf("processor stop: %v", err)
	}
	res.StateBytes = dirSize(filepath.Join(dir, "processor", "state"))
	if res.Customers > 0 {
		res.PebblePerMillion = int64(float64(res.StateBytes) / float64(res.Customers) * 1e6)
	}
	if full {
		res.ProfilePath = profile
		res.Profile = profileTop(cfg.Binary, profile)
	}
	if full && !cfg.SkipGoka {
		res.Goka = gokaPhase(ctx, cfg, dir, addr, conn, adm, cl, in, n, oracle)
		if res.Goka.EventsPerSec > 0 {
			res.Goka.ThroughputRatio = res.EventsPerSec / res.Goka.EventsPerSec
		}
		if res.Goka.Latency.P99 > 0 {
			res.Goka.P99Ratio = res.Latency.P99 / res.Goka.Latency.P99
		}
	}
	res.BrokerRSS = broker.peakRSS()
	res.HarnessRSS = vmHWM(os.Getpid())
	if err := broker.stop(60 * time.Second); err != nil {
		cfg.logf("broker stop: %v", err)
	}
	return res, nil
}

// waitIdleAt waits for the processor groups to drain and returns when the
// final committed offsets were first seen.
func waitIdleAt(ctx context.Context, adm *kadm.Client, timeout time.Duration) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var at time.Time
	err := waitIdleFunc(ctx, adm, stageGroups, 100*time.Millisecond, func(t time.Time) { at = t })
	return at, err
}

// latencyPhase runs offer (which offers about want events at cfg.Rate)
// and measures, for every record of out, the time from its input's
// production (ts) to reading it.
func latencyPhase(ctx context.Context, cfg Config, conn []kgo.Opt, adm *kadm.Client, want int, out string,
	ts func(*kgo.Record) (time.Time, bool), offer func(context.Context) (int, error), idle func(context.Context) error) (Percentiles, float64, error) {
	ends, err := endOffsets(ctx, adm, out)
	if err != nil {
		return Percentiles{}, 0, err
	}
	cons, err := kgo.NewClient(append(slices.Clone(conn), kgo.ConsumePartitions(ends), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(100*time.Millisecond))...)
	if err != nil {
		return Percentiles{}, 0, err
	}
	defer cons.Close()
	var (
		mu   sync.Mutex
		lat  samples
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	phase := time.Now()
	go func() {
		defer close(done)
		for {
			pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			fs := cons.PollFetches(pctx)
			cancel()
			now := time.Now()
			mu.Lock()
			fs.EachRecord(func(r *kgo.Record) {
				if t, ok := ts(r); ok && !t.Before(phase) {
					lat = append(lat, now.Sub(t))
				}
			})
			mu.Unlock()
			select {
			case <-stop:
				if fs.NumRecords() == 0 {
					return
				}
			default:
			}
			if ctx.Err() != nil {
				return
			}
		}
	}()
	cfg.logf("latency: offering %d events at %d/s", want, cfg.Rate)
	offered, err := offer(ctx)
	if err != nil {
		close(stop)
		return Percentiles{}, 0, err
	}
	rate := float64(offered) / time.Since(phase).Seconds()
	if err := idle(ctx); err != nil {
		close(stop)
		return Percentiles{}, 0, err
	}
	close(stop)
	<-done
	mu.Lock()
	defer mu.Unlock()
	return lat.percentiles(), rate, nil
}

// profileTop summarises a CPU profile with go tool pprof, when a Go
// toolchain is at hand.
func profileTop(bin, profile string) []string {
	if _, err := os.Stat(profile); err != nil {
		return nil
	}
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=15", bin, profile).Output()
	if err != nil {
		return []string{"go tool pprof -top " + bin + " " + profile + " (not run: " + err.Error() + ")"}
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Build ID:") || strings.HasPrefix(l, "Type:") || strings.HasPrefix(l, "Time:") {
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

// gokaPhase runs the Goka job over the same events, fed the same way:
// first as fast as possible, then at the latency rate; then a second
// group is killed mid-run and restarted to count duplicates.
func gokaPhase(ctx context.Context, cfg Config, dir, addr string, conn []kgo.Opt, adm *kadm.Client, cl *kgo.Client, in *inputs, n int, oracle *world.Oracle) *GokaResult {
	g := &GokaResult{}
	fail := func(err error) *GokaResult { g.Error = err.Error(); cfg.logf("goka: %v", err); return g }
	topics, _ := schemas.NewTopics(topicPrefix + "-goka")
	for _, t := range []string{topics.Clicks, topics.Orders, topics.Refunds} {
		if _, err := adm.CreateTopic(ctx, cfg.Partitions, -1, nil, t); err != nil {
			return fail(fmt.Errorf("creating %s: %w", t, err))
		}
	}
	src, _ := schemas.NewTopics(topicPrefix)
	topics.Codes = src.Codes
	output := topicPrefix + ".goka.attributions"
	if _, err := adm.CreateTopic(ctx, cfg.Partitions, -1, nil, output); err != nil {
		return fail(err)
	}
	start := func(group, state string) (*child, error) {
		return startChild("goka", cfg.Binary, cfg.ChildLog, "bench", "goka", "--kafka-listen", addr, "--topic-prefix", topics.Prefix,
			"--codes-topic", topics.Codes, "--group", group, "--output", output+suffix(group), "--state", state,
			"--default-commission-bp", fmt.Sprint(defaultCommissionBP), "--log-level", "warn")
	}
	idle := func(group string) func(context.Context) error {
		return func(ctx context.Context) error {
			return waitIdleFunc(ctx, adm, []string{group}, 100*time.Millisecond, nil)
		}
	}
	gc, err := start("bench-goka", filepath.Join(dir, "goka"))
	if err != nil {
		return fail(err)
	}
	defer gc.kill()
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	err = groupsStable(wctx, adm, []string{"bench-goka"})
	cancel()
	if err != nil {
		if done, perr := gc.exited(); done {
			return fail(fmt.Errorf("goka exited: %v", perr))
		}
		return fail(fmt.Errorf("waiting for goka to join: %w", err))
	}
	cfg.logf("goka: producing %d events", n)
	t0 := time.Now()
	if err := produceAll(ctx, cl, in, 0, n, topics); err != nil {
		return fail(err)
	}
	// Goka commits offsets once a second, so lag would overstate its time:
	// it is done when every order of the phase has its output.
	want := int64(in.orders(0, n))
	var doneAt time.Time
	wctx, cancel = context.WithTimeout(ctx, 30*time.Minute)
	err = waitFor(wctx, 20*time.Millisecond, func() bool {
		ends, err := adm.ListEndOffsets(wctx, output)
		if err != nil {
			return false
		}
		var sum int64
		ends.Each(func(o kadm.ListedOffset) { sum += o.Offset })
		doneAt = time.Now()
		return sum >= want
	})
	cancel()
	if err != nil {
		return fail(fmt.Errorf("goka produced fewer outputs than the %d orders: %w", want, err))
	}
	g.Seconds = doneAt.Sub(t0).Seconds()
	g.EventsPerSec = float64(n) / g.Seconds
	cfg.logf("goka: %.0f events/s (%.1fs)", g.EventsPerSec, g.Seconds)
	offer := func(ctx context.Context) (int, error) {
		return len(in.refs) - n, produceAt(ctx, cl, in, n, len(in.refs), cfg.Rate, topics)
	}
	lat, _, err := latencyPhase(ctx, cfg, conn, adm, len(in.refs)-n, output, func(r *kgo.Record) (time.Time, bool) {
		var o gokajob.Output
		if json.Unmarshal(r.Value, &o) != nil {
			return time.Time{}, false
		}
		return time.UnixMilli(o.InputTimestamp), true
	}, offer, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		return idle("bench-goka")(ctx)
	})
	if err != nil {
		return fail(err)
	}
	g.Latency = lat
	g.RSS = gc.peakRSS()
	_ = gc.stop(30 * time.Second)
	// Correctness of the baseline on the same truth (coupon_priority).
	seen := map[string]*world.Got{}
	err = readAll(ctx, conn, []string{output}, func(r *kgo.Record) {
		var o gokajob.Output
		if json.Unmarshal(r.Value, &o) == nil {
			g.Outputs++
			seen[o.OrderID] = &world.Got{Affiliate: o.Affiliate, Method: o.Method, Commission: o.Commission}
		}
	})
	if err != nil {
		return fail(err)
	}
	if s, err := oracle.Score("coupon_priority", world.Observed{Orders: seen}); err == nil {
		g.Correct, g.NonFraud = s.Correct, s.NonFraud
	}
	cfg.logf("goka: p99 %.1fms, %d/%d non-fraud orders right", g.Latency.P99, g.Correct, g.NonFraud)

	// Kill and restart a second group over the same inputs.
	const killGroup = "bench-goka-kill"
	if _, err := adm.CreateTopic(ctx, cfg.Partitions, -1, nil, output+suffix(killGroup)); err != nil {
		return fail(err)
	}
	kc, err := start(killGroup, filepath.Join(dir, "goka-kill"))
	if err != nil {
		return fail(err)
	}
	orders := in.orders(0, len(in.refs))
	wctx, cancel = context.WithTimeout(ctx, 5*time.Minute)
	err = waitFor(wctx, 20*time.Millisecond, func() bool {
		ends, err := adm.ListEndOffsets(wctx, output+suffix(killGroup))
		if err != nil {
			return false
		}
		var sum int64
		ends.Each(func(o kadm.ListedOffset) { sum += o.Offset })
		return sum >= int64(orders/2)
	})
	cancel()
	kc.kill()
	if err != nil {
		return fail(fmt.Errorf("goka kill run made no progress: %w", err))
	}
	kc, err = start(killGroup, filepath.Join(dir, "goka-kill"))
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
	err = readAll(ctx, conn, []string{output + suffix(killGroup)}, func(r *kgo.Record) {
		g.KillOutputs++
		count[string(r.Key)]++
	})
	if err != nil {
		return fail(err)
	}
	for _, c := range count {
		if c > 1 {
			g.Duplicates++
		}
	}
	cfg.logf("goka: %d orders emitted more than once after SIGKILL+restart", g.Duplicates)
	return g
}

func suffix(group string) string {
	if group == "bench-goka" {
		return ""
	}
	return "." + group
}
