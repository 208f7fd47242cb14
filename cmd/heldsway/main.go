// Command heldsway runs the HeldSway attribution pipeline: an embedded Kafka
// broker, the ingest edge, the stream processor and the ClickHouse sink, one
// subcommand each, or all of them with `heldsway up`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func main() {
	// Everything heldsway writes (the broker's data, the processor's state,
	// secrets) is private to its user: files 0600 and directories 0700,
	// also those of libraries that create theirs 0644 (the embedded
	// broker's kfake).
	syscall.Umask(0o077)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot()
	if err := root.ExecuteContext(ctx); err != nil {
		var ue usageError
		if errors.As(err, &ue) || isConfig(err) {
			fmt.Fprintln(os.Stderr, "heldsway:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "heldsway:", err)
		os.Exit(1)
	}
}

// usageError marks errors in how the command was called (exit code 2), as
// isConfig does the packages' configuration errors.
type usageError struct{ error }

func newRoot() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "heldsway",
		Short: "Coupon-code and click attribution for affiliate programs",
		Long: `HeldSway credits affiliates for orders placed with their coupon codes or
through their links, in real time, and reverses commission on refunds.

Store webhooks and click events enter through the ingest server, travel
through Kafka as Avro, are attributed by the stream processor and land in
ClickHouse for analytics.

Every flag can also be set with an environment variable HELDSWAY_<FLAG>
(upper case, dashes as underscores, e.g. HELDSWAY_HTTP_ADDR) or in a YAML
config file (--config) keyed by flag name. Precedence: flag, environment,
config file, default.

Quick start on one machine:
  heldsway up            # embedded Kafka, ingest, sink into local ClickHouse`,
		Version:       versionString(debug.ReadBuildInfo()),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyLayers(cmd); err != nil {
				return usageError{err}
			}
			return g.validate()
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	g.register(root)
	root.AddCommand(
		newBrokerCmd(g),
		newIngestCmd(g),
		newProcessCmd(g),
		newSinkCmd(g),
		newUpCmd(g),
		newTailCmd(g),
		newCodesCmd(g),
		newReportCmd(g),
		newRollupCmd(g),
		newBenchCmd(g),
	)
	collectFlagNames(root)
	return root
}

// collectFlagNames records every flag name in the command tree.
func collectFlagNames(c *cobra.Command) {
	seen := map[string]bool{}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if !seen[f.Name] {
					seen[f.Name] = true
					allFlagNames = append(allFlagNames, f.Name)
				}
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(c)
}

// isConfig reports configuration errors of the packages cmd configures,
// which mark them with an IsConfig method (kafkaenv.ConfigError,
// codeops.ConfigError): exit code 2, like usageError.
func isConfig(err error) bool {
	var c interface{ IsConfig() bool }
	return errors.As(err, &c) && c.IsConfig()
}
