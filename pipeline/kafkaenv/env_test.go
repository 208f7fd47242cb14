package kafkaenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/heldsway/heldsway/pipeline/broker"
	"github.com/heldsway/heldsway/pipeline/kafka"
)

// testBound is how long a test waits for the broker; KAFKAENV_TEST_TIMEOUT
// overrides the default of a minute.
func testBound(t *testing.T) time.Duration {
	t.Helper()
	if s := os.Getenv("KAFKAENV_TEST_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("KAFKAENV_TEST_TIMEOUT: %v", err)
		}
		return d
	}
	return time.Minute
}

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want string // "" for valid
	}{
		{"valid", Config{TopicPrefix: "heldsway", CreateTopics: true, Partitions: 4}, ""},
		{"reader needs no partitions", Config{TopicPrefix: "heldsway"}, ""},
		{"bad prefix", Config{TopicPrefix: "no spaces"}, "prefix"},
		{"no partitions", Config{TopicPrefix: "heldsway", CreateTopics: true}, "--partitions 0: must be at least 1"},
	} {
		err := tt.cfg.Validate()
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.want)
		}
		if err != nil && !isConfig(err) {
			t.Errorf("%s: %v is not a configuration error", tt.name, err)
		}
	}
}

// TestOpenEmbeddedAndTail opens an environment that runs the embedded
// broker, checks the topics exist, and tails what was produced.
func TestOpenEmbeddedAndTail(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testBound(t))
	defer cancel()
	env, err := Open(ctx, Config{
		Conn:         kafka.Conn{Brokers: []string{"127.0.0.1:0"}},
		TopicPrefix:  "t",
		CreateTopics: true,
		Partitions:   2,
		Broker:       &broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), NoSyncWrites: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if env.Broker == nil || env.Conn.Brokers[0] != env.Broker.Addr() {
		t.Fatalf("connection %v does not point at the embedded broker", env.Conn.Brokers)
	}
	cl, err := env.Conn.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	parts, err := kafka.Partitions(ctx, cl, env.Topics.All()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range env.Topics.All() {
		if !env.Topics.Compacted(topic) && parts[topic] != 2 {
			t.Errorf("%s: %d partitions, want 2", topic, parts[topic])
		}
	}
	if err := cl.ProduceSync(ctx,
		&kgo.Record{Topic: env.Topics.Clicks, Key: []byte("k1"), Value: []byte("not avro"), Partition: 0},
		&kgo.Record{Topic: env.Topics.Clicks, Key: []byte("k2"), Partition: 0},
	).FirstErr(); err != nil {
		t.Fatal(err)
	}

	if err := env.Tail(ctx, TailConfig{Topic: "nosuch"}, &bytes.Buffer{}); !isConfig(err) || !strings.Contains(err.Error(), `topic "nosuch" is not one of HeldSway's`) {
		t.Errorf("unknown topic: %v", err)
	}
	var out bytes.Buffer
	if err := env.Tail(ctx, TailConfig{Topic: "clicks", FromStart: true, Max: 2}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), out.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["key"] != "k1" || first["error"] == nil || first["offset"] != float64(0) {
		t.Errorf("first line %v: want key k1 with a decoding error at offset 0", first)
	}
	if v, ok := second["value"]; second["key"] != "k2" || !ok || v != nil {
		t.Errorf("second line %v: want key k2 with a null value", second)
	}
	// With a timeout and nothing new, Tail returns nil when it passes.
	if err := env.Tail(ctx, TailConfig{Topic: env.Topics.Clicks, Timeout: 200 * time.Millisecond}, &out); err != nil {
		t.Errorf("tail with timeout: %v", err)
	}
}

func isConfig(err error) bool {
	var c *ConfigError
	return errors.As(err, &c)
}

// TestOpenBrokerLogger: the embedded broker logs to Broker.Logger when
// given, else to Config.Logger named "broker".
func TestOpenBrokerLogger(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	for _, tt := range []struct {
		name   string
		broker *zap.Logger
		want   string
	}{
		{"default is the env logger named broker", nil, "env.broker"},
		{"given broker logger is kept", zap.New(core).Named("mine"), "mine"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs.TakeAll()
			ctx, cancel := context.WithTimeout(context.Background(), testBound(t))
			defer cancel()
			env, err := Open(ctx, Config{
				Conn:        kafka.Conn{Brokers: []string{"127.0.0.1:0"}},
				TopicPrefix: "t",
				Broker:      &broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), NoSyncWrites: true, Logger: tt.broker},
				Logger:      zap.New(core).Named("env"),
			})
			if err != nil {
				t.Fatal(err)
			}
			env.Close()
			got := logs.FilterMessage("embedded kafka broker started").All()
			if len(got) != 1 || got[0].LoggerName != tt.want {
				t.Fatalf("broker start entries %v, want one from logger %q", got, tt.want)
			}
		})
	}
}

func TestTailConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  TailConfig
		want string // "" for valid
	}{
		{"short name", TailConfig{Topic: "orders"}, ""},
		{"full name with limits", TailConfig{Topic: "heldsway.orders.v1", Max: 3, Timeout: time.Second}, ""},
		{"negative limits mean none", TailConfig{Topic: "orders", Max: -1, Timeout: -time.Second}, ""},
		{"no topic", TailConfig{}, "tail: no topic given"},
		{"blank topic", TailConfig{Topic: " "}, "tail: no topic given"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
			if err != nil && !isConfig(err) {
				t.Fatalf("%v is not a configuration error", err)
			}
			// Tail checks its config before it touches Kafka: an Env
			// with no connection answers a bad config all the same.
			if err != nil {
				if terr := (&Env{}).Tail(context.Background(), tt.cfg, &bytes.Buffer{}); !isConfig(terr) || terr.Error() != err.Error() {
					t.Fatalf("Tail() = %v, want %v", terr, err)
				}
			}
			c := tt.cfg
			c.EnsureDefaults()
			if c.Max < 0 || c.Timeout < 0 || tt.cfg.Max >= 0 && c.Max != tt.cfg.Max || tt.cfg.Timeout >= 0 && c.Timeout != tt.cfg.Timeout {
				t.Fatalf("EnsureDefaults: %+v from %+v", c, tt.cfg)
			}
		})
	}
}
