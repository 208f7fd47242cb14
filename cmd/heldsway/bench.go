package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heldsway/heldsway/bench/harness"
)

func newBenchCmd(g *globalFlags) *cobra.Command {
	var (
		cfg      harness.Config
		events   []int
		out, md  string
		workDir  string
		keep     bool
		childLog bool
		childBin string
		gokaBin  string
	)
	c := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark the pipeline and check its attributions against a synthetic world's truth",
		Long: `Generate a seeded synthetic affiliate world (podcast, link and coupon-site
partners, customers, sessions, refunds, subscriptions, bots, and injected
coupon stuffing, click injection and code leaks), run the embedded broker
and the processor as child processes, feed them the world, and report:

  - accuracy of the attributions against an independent oracle (every rule
    in --rules; must be 100% on non-fraud traffic), refund reversals, fraud
    precision and recall per pattern, time to detect a leak;
  - sustained events/s with exactly-once on, checkout-to-attribution
    latency p50/p99/p99.9 at --rate, peak RSS of each process, Pebble size
    per million customers;
  - the broker's raw produce+consume ceiling and the processor's own
    attribution code run inside Goka (throughput and latency ratio, CPU
    per event, accuracy by the same oracle, duplicates after a SIGKILL),
    run as the heldsway-goka-peer binary next to this one (make build
    builds both; --goka-binary names another).

--feed avro (the default) produces the world straight to the input topics
as Avro. --feed webhooks starts heldsway ingest as a third child and
delivers the world through it with --clients concurrent HTTP clients:
orders and refunds as signed Shopify, WooCommerce, Stripe and Paddle
webhooks (redelivered orders posted twice, 503s retried after their
Retry-After), clicks as POST /v1/clicks batches, subscription renewals
through POST /v1/conversions; it adds the ingest's requests/s, events/s
accepted, 5xx/503 counts, retries and peak RSS to the report.

--repeat N runs every configuration N times and reports the median of
each figure, with min and max of throughput and latency.

The default (100k events, 5 s of latency phase, four rules, Goka, the
broker ceiling) takes about a minute and a half on two cores. For the cost
growth from 1M to 10M events: --events 1000000,10000000 --skip-goka --rules
coupon_priority (about 35 minutes: about 3 for 1M, 30 for 10M; the harness
holds the 10M-event world in memory, about 9 GiB). docs/benchmarks.md has
the latest figures.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bin, goka, err := harness.Binaries(childBin, gokaBin, cfg.SkipGoka)
			var missing *harness.MissingPeerError
			if errors.As(err, &missing) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if workDir == "" {
				workDir = g.path("bench")
			}
			cfg.Binary, cfg.GokaBinary, cfg.WorkDir, cfg.Sizes = bin, goka, workDir, events
			cfg.Progress = cmd.ErrOrStderr()
			if childLog {
				cfg.ChildLog = cmd.ErrOrStderr()
			}
			cfg.Command = "heldsway " + strings.Join(os.Args[1:], " ")
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			rep, err := harness.Run(cmd.Context(), cfg)
			if rep != nil {
				if werr := rep.WriteFiles(out, md); err == nil {
					err = werr
				}
				fmt.Fprint(cmd.OutOrStdout(), rep.Markdown())
			}
			if !keep {
				_ = os.RemoveAll(workDir)
			}
			return err
		},
	}
	f := c.Flags()
	f.IntSliceVar(&events, "events", []int{100_000}, "input events per throughput run; several (1000000,10000000) run one after the other to show how cost grows")
	f.IntVar(&cfg.Customers, "customers", 0, "returning customers in the world (default events/8)")
	f.IntVar(&cfg.Rate, "rate", 20_000, "offered events/s of the latency phase")
	f.IntVar(&cfg.LatencySeconds, "latency-seconds", 5, "how long the latency phase offers --rate")
	f.StringSliceVar(&cfg.Rules, "rules", nil, "rules to check: the first runs the throughput run, the others an accuracy run of --accuracy-events each (default coupon_priority,click_priority,last_touch,first_touch)")
	f.IntVar(&cfg.AccuracyEvents, "accuracy-events", 20_000, "events of each extra rule's accuracy run")
	f.Int32Var(&cfg.Partitions, "partitions", 4, "partitions per topic")
	f.Uint64Var(&cfg.Seed, "seed", 1, "world seed")
	f.BoolVar(&cfg.SkipGoka, "skip-goka", false, "leave out the Goka baseline")
	f.StringVar(&cfg.Feed, "feed", harness.FeedAvro, "how the world reaches Kafka: avro (produced straight to the input topics) or webhooks (signed platform webhooks and click batches through a heldsway ingest child)")
	f.IntVar(&cfg.Clients, "clients", 64, "concurrent HTTP clients of --feed webhooks")
	f.IntVar(&cfg.ClickBatch, "click-batch", 100, "most clicks per POST /v1/clicks of --feed webhooks (at most 1000)")
	f.IntVar(&cfg.IngestMaxInFlight, "ingest-max-inflight", 0, "--max-inflight of the ingest child (default: the ingest's own); below --clients it answers 503s, which the feed retries")
	f.IntVar(&cfg.Repeat, "repeat", 1, "run every configuration this many times and report the median of each figure, with min and max of throughput and latency")
	f.BoolVar(&cfg.NoSyncWrites, "no-sync-writes", false, "run the embedded broker without fsync per batch")
	f.StringVar(&out, "out", "", "write the report as JSON to this file")
	f.StringVar(&md, "markdown", "", "write the report's markdown tables to this file")
	f.StringVar(&workDir, "work-dir", "", "where the children keep their data (default <data-dir>/bench)")
	f.BoolVar(&keep, "keep", false, "keep the work dir (broker data, state, CPU profile) after the run")
	f.BoolVar(&childLog, "child-logs", false, "show the children's logs")
	f.StringVar(&childBin, "child-binary", "", "the heldsway binary the broker and processor children run (default this one): measure another build, e.g. a baseline, under this harness")
	f.StringVar(&gokaBin, "goka-binary", "", "the Goka peer the Goka baseline runs as a child (bench/cmd/goka-peer; default "+harness.GokaPeerName+" next to this binary)")
	c.AddCommand(newBenchProcessCmd(g))
	return c
}

// newBenchProcessCmd is `heldsway process` with a CPU profile, for the
// benchmark's processor child.
func newBenchProcessCmd(g *globalFlags) *cobra.Command {
	c := newProcessCmd(g)
	c.Hidden = true
	c.Short = "heldsway process, writing a CPU profile (the benchmark's child)"
	var profile string
	c.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile here until the processor stops, and a heap profile to <file>.heap when it stops")
	run := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if profile != "" {
			f, err := os.Create(profile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
			defer writeHeapProfile(profile + ".heap")
		}
		return run(cmd, args)
	}
	return c
}

// writeHeapProfile writes the in-use heap (after a GC) to path; a failure
// only loses the profile.
func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	runtime.GC()
	_ = pprof.WriteHeapProfile(f)
}
