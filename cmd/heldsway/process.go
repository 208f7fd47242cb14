package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/pipeline/kafkaenv"
	"github.com/heldsway/heldsway/pipeline/processor"
)

// procFlags configure the stream processor.
type procFlags struct {
	program    string
	rule       string
	window     time.Duration
	grace      time.Duration
	injection  time.Duration
	instanceID string
	maxPoll    int
	memory     byteSize
}

func (p *procFlags) register(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&p.program, "program", "", "program YAML file: defaults plus per-affiliate and per-code overrides (see pipeline/attribution/testdata/program.example.yaml)")
	f.StringVar(&p.rule, "rule", string(attribution.DefaultRule), "attribution rule: coupon_priority, click_priority, last_touch, first_touch or split (overrides the program file's default)")
	f.DurationVar(&p.window, "window", attribution.DefaultWindow, "attribution window: how long a click counts before an order, by event time")
	f.DurationVar(&p.grace, "grace", attribution.DefaultGrace, "how long after an order was credited a late click can still revise it")
	f.DurationVar(&p.injection, "injection-threshold", attribution.DefaultInjectionThreshold, "a credited click this close before checkout is flagged click_injection")
	f.StringVar(&p.instanceID, "instance-id", "", "this processor's id in its group, stable across restarts (default: the host name)")
	f.IntVar(&p.maxPoll, "max-poll-records", 10000, "most records in one transaction")
	p.memory = processor.DefaultMemoryBytes
	f.Var(&p.memory, "memory", "memory budget the processor's caches, memtables and key filters are sized from (at least 256MiB); about a quarter of it is left to the Go heap")
}

// programFrom loads the program file and applies the flags the user set.
func (p *procFlags) programFrom(c *cobra.Command) (*attribution.Program, error) {
	prog := attribution.NewProgram()
	if p.program != "" {
		var err error
		if prog, err = attribution.Load(p.program); err != nil {
			return nil, err
		}
	}
	// A flag sets the program's default when it was given, or when there
	// is no program file to take the default from.
	set := func(flag string) bool { return p.program == "" || c.Flags().Changed(flag) }
	if set("rule") {
		prog.Defaults.Rule = attribution.Rule(p.rule)
	}
	if set("window") {
		prog.Defaults.Window = p.window
	}
	if set("grace") {
		prog.Defaults.Grace = p.grace
	}
	if set("injection-threshold") {
		prog.Defaults.InjectionThreshold = p.injection
	}
	if err := prog.Validate(); err != nil {
		return nil, err
	}
	return prog, nil
}

// newProcessor builds the processor over env.
func newProcessor(c *cobra.Command, g *globalFlags, p *procFlags, env *kafkaenv.Env, log *zap.Logger) (*processor.Processor, error) {
	prog, err := p.programFrom(c)
	if err != nil {
		return nil, usageError{err}
	}
	id := p.instanceID
	if id == "" {
		if id, err = os.Hostname(); err != nil || id == "" {
			id = "heldsway"
		}
	}
	proc, err := processor.New(processor.Config{
		Conn:           env.Conn,
		Topics:         env.Topics,
		Serde:          env.Serde,
		Program:        prog,
		StateDir:       g.path("state"),
		InstanceID:     id,
		MaxPollRecords: p.maxPoll,
		MemoryBytes:    int64(p.memory),
		Logger:         log.Named("process"),
	})
	if err != nil {
		return nil, usageError{err}
	}
	log.Info("processor configured", zap.String("rule", string(prog.Defaults.Rule)), zap.Duration("window", prog.Defaults.Window),
		zap.Duration("grace", prog.Defaults.Grace), zap.Duration("injection_threshold", prog.Defaults.InjectionThreshold),
		zap.Int("affiliate_overrides", len(prog.Affiliates)), zap.Int("code_overrides", len(prog.Codes)), zap.String("instance", id))
	return proc, nil
}

func newProcessCmd(g *globalFlags) *cobra.Command {
	k := &kafkaFlags{}
	p := &procFlags{}
	c := &cobra.Command{
		Use:   "process",
		Short: "Run the stream processor: attribution, commission, refunds and fraud flags, exactly once",
		Long: `Consume clicks, orders, refunds and the code registry and publish who
earned each order (attributions), commission reversals (adjustments) and
fraud flags, within a second of each order's arrival.

Every stage runs consume-transform-produce in Kafka transactions with its
state in Pebble under <data-dir>/state and mirrored to compacted changelog
topics: after a crash, or when partitions move between instances, the
outputs equal those of an uninterrupted run. Run several instances with
distinct --instance-id to share the partitions.

The rule, window, grace and injection threshold flags set the program
defaults; --program adds per-affiliate and per-code overrides (a flag given
explicitly wins over the file's default).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			defer log.Sync() //nolint:errcheck // stderr sync errors are not actionable
			env, err := openKafka(cmd.Context(), g, k, log, false)
			if err != nil {
				return err
			}
			defer env.Close()
			proc, err := newProcessor(cmd, g, p, env, log)
			if err != nil {
				return err
			}
			err = proc.Run(cmd.Context())
			if err != nil {
				return fmt.Errorf("processor: %w", err)
			}
			return nil
		},
	}
	k.register(c, kafkaClient)
	p.register(c)
	return c
}
