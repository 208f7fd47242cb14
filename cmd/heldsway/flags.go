package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"

	"github.com/heldsway/heldsway/connectors/secretstore"
	"github.com/heldsway/heldsway/pipeline/kafka"
)

// allFlagNames lists every flag of every subcommand, so one config file can
// serve the whole stack; filled by newRoot.
var allFlagNames []string

// globalFlags apply to every subcommand.
type globalFlags struct {
	config    string
	dataDir   string
	logLevel  string
	logFormat string
}

func (g *globalFlags) register(c *cobra.Command) {
	f := c.PersistentFlags()
	f.StringVar(&g.config, "config", "", "YAML config file keyed by flag name (env HELDSWAY_CONFIG)")
	f.StringVar(&g.dataDir, "data-dir", "./.heldsway", "directory for the embedded broker, processor state, generated secrets and local ClickHouse")
	f.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&g.logFormat, "log-format", "auto", "log format: json, console, or auto (console on a terminal, else json)")
}

func (g *globalFlags) validate() error {
	if _, err := zapcore.ParseLevel(g.logLevel); err != nil {
		return usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)}
	}
	switch g.logFormat {
	case "json", "console", "auto":
	default:
		return usageError{fmt.Errorf("--log-format %q: want json, console or auto", g.logFormat)}
	}
	if strings.TrimSpace(g.dataDir) == "" {
		return usageError{errors.New("--data-dir must not be empty")}
	}
	return nil
}

// logger builds the process logger; only cmd builds loggers.
func (g *globalFlags) logger() (*zap.Logger, error) {
	lvl, _ := zapcore.ParseLevel(g.logLevel)
	format := g.logFormat
	if format == "auto" {
		format = "json"
		if term.IsTerminal(int(os.Stderr.Fd())) {
			format = "console"
		}
	}
	var cfg zap.Config
	if format == "console" {
		cfg = zap.NewDevelopmentConfig()
		cfg.DisableStacktrace = true
		cfg.EncoderConfig.EncodeTime = zapcore.TimeEncoderOfLayout(time.TimeOnly)
	} else {
		cfg = zap.NewProductionConfig()
		cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.OutputPaths = []string{"stderr"}
	return cfg.Build()
}

// path returns a path under the data directory.
func (g *globalFlags) path(parts ...string) string {
	return filepath.Join(append([]string{g.dataDir}, parts...)...)
}

// kafkaFlags say where Kafka is and how the topics are laid out.
type kafkaFlags struct {
	brokers        []string
	listen         string
	topicPrefix    string
	partitions     int32
	tls            bool
	tlsCA          string
	tlsCert        string
	tlsKey         string
	saslMechanism  string
	saslUser       string
	saslPassFile   string
	schemaRegistry string
	noSyncWrites   bool
	// createTopics: openKafka creates missing topics (with --partitions).
	createTopics bool
}

// kafkaRole is how a command uses Kafka; it decides which Kafka flags the
// command has and what their help says.
type kafkaRole int

const (
	// kafkaClient connects to Kafka (--brokers, else the embedded broker at
	// --kafka-listen) and creates missing topics.
	kafkaClient kafkaRole = iota
	// kafkaReader connects to Kafka and only reads: no topic creation, so
	// no --partitions.
	kafkaReader
	// kafkaEmbeddedUnlessBrokers runs the embedded broker unless --brokers
	// names a cluster (heldsway up).
	kafkaEmbeddedUnlessBrokers
	// kafkaEmbeddedOnly is the embedded broker itself (heldsway broker):
	// no client connection settings.
	kafkaEmbeddedOnly
)

func (k *kafkaFlags) register(c *cobra.Command, role kafkaRole) {
	f := c.Flags()
	k.createTopics = role != kafkaReader
	switch role {
	case kafkaEmbeddedOnly:
		f.StringVar(&k.listen, "kafka-listen", "127.0.0.1:9092", "address the embedded broker listens on (keep it on loopback: it has no authentication)")
	case kafkaEmbeddedUnlessBrokers:
		f.StringSliceVar(&k.brokers, "brokers", nil, "external Kafka brokers, comma-separated host:port; when set, no embedded broker is started")
		f.StringVar(&k.listen, "kafka-listen", "127.0.0.1:9092", "address the embedded broker listens on when --brokers is not set (keep it on loopback)")
	default:
		f.StringSliceVar(&k.brokers, "brokers", nil, "Kafka brokers, comma-separated host:port (default: the embedded broker at --kafka-listen)")
		f.StringVar(&k.listen, "kafka-listen", "127.0.0.1:9092", "address of the embedded broker (heldsway up or heldsway broker), used when --brokers is not set")
	}
	f.StringVar(&k.topicPrefix, "topic-prefix", "heldsway", "topic name prefix: <prefix>.orders.v1, ...")
	if k.createTopics {
		f.Int32Var(&k.partitions, "partitions", 4, "partitions per topic when creating missing topics")
	}
	if role == kafkaEmbeddedOnly {
		return
	}
	f.BoolVar(&k.tls, "kafka-tls", false, "connect to Kafka over TLS")
	f.StringVar(&k.tlsCA, "kafka-tls-ca", "", "PEM file of CAs to trust for Kafka TLS (default: system roots)")
	f.StringVar(&k.tlsCert, "kafka-tls-cert", "", "client certificate PEM for Kafka mTLS")
	f.StringVar(&k.tlsKey, "kafka-tls-key", "", "client key PEM for Kafka mTLS")
	f.StringVar(&k.saslMechanism, "kafka-sasl-mechanism", "", "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	f.StringVar(&k.saslUser, "kafka-sasl-user", "", "SASL user; the password comes from HELDSWAY_KAFKA_SASL_PASSWORD or --kafka-sasl-password-file")
	f.StringVar(&k.saslPassFile, "kafka-sasl-password-file", "", "file holding the SASL password")
	f.StringVar(&k.schemaRegistry, "schema-registry", "", "Confluent-compatible schema registry URL; empty uses Avro single-object encoding")
}

// registerEmbedded adds the flags of commands that can run the embedded
// broker themselves.
func (k *kafkaFlags) registerEmbedded(c *cobra.Command) {
	c.Flags().BoolVar(&k.noSyncWrites, "no-sync-writes", false, "embedded broker: do not fsync each produced batch (faster; a machine crash may lose acknowledged records)")
}

// embedded reports whether this process should use the embedded broker.
func (k *kafkaFlags) embedded() bool { return len(k.brokers) == 0 }

// conn returns the connection settings; brokers default to the embedded
// broker's address. kafkaenv.Open validates them.
func (k *kafkaFlags) conn() (kafka.Conn, error) {
	brokers := k.brokers
	if len(brokers) == 0 {
		brokers = []string{k.listen}
	}
	pass, err := secret("HELDSWAY_KAFKA_SASL_PASSWORD", k.saslPassFile)
	if err != nil {
		return kafka.Conn{}, err
	}
	c := kafka.Conn{
		Brokers:       brokers,
		TLS:           k.tls,
		TLSCAFile:     k.tlsCA,
		TLSCertFile:   k.tlsCert,
		TLSKeyFile:    k.tlsKey,
		SASLMechanism: k.saslMechanism,
		SASLUser:      k.saslUser,
		SASLPassword:  pass,
	}
	return c, nil
}

// secret reads a secret from a file when one is named, else from env. It
// never appears in flags, so it never shows in ps or shell history.
func secret(env, file string) (string, error) { return secretstore.Read(env, file) }

// generatedSecret returns the secret from env or file, else the one stored
// under the data directory, creating it on first use so a single-machine
// setup works without configuration and stays stable across restarts.
func (g *globalFlags) generatedSecret(log *zap.Logger, env, file, name string) (string, error) {
	return secretstore.Generated(secretstore.Config{Env: env, File: file, Dir: g.path("secrets"), Name: name, Logger: log})
}
