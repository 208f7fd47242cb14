package clickhouse

import (
	"errors"
	"testing"
	"time"

	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

func TestConfigValidate(t *testing.T) {
	topics, _ := schemas.NewTopics("heldsway")
	good := Config{Conn: kafka.Conn{Brokers: []string{"127.0.0.1:9092"}}, Topics: topics, DSN: "clickhouse://127.0.0.1:9000/heldsway"}
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	d := good
	d.EnsureDefaults()
	if d.Group != DefaultGroup || d.FlushRows != 10000 || d.FlushInterval != time.Second || d.MaxBackoff != DefaultMaxBackoff || d.Logger == nil || d.Serde == nil {
		t.Fatalf("defaults = %+v", d)
	}
	for name, mod := range map[string]func(*Config){
		"no brokers":        func(c *Config) { c.Conn.Brokers = nil },
		"no dsn":            func(c *Config) { c.DSN = "" },
		"http dsn":          func(c *Config) { c.DSN = "http://127.0.0.1:8123/heldsway" },
		"bad database":      func(c *Config) { c.DSN = "clickhouse://127.0.0.1:9000/drop-table" },
		"no deadletter":     func(c *Config) { c.Topics.DeadLetter = "" },
		"negative rows":     func(c *Config) { c.FlushRows = -1 },
		"negative interval": func(c *Config) { c.FlushInterval = -time.Second },
	} {
		c := good
		mod(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	c := good
	c.DSN = "http://127.0.0.1:8123"
	if err := c.Validate(); !errors.Is(err, ErrNotNative) {
		t.Errorf("http dsn: %v, want ErrNotNative too", err)
	}
}

func TestWriterConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		dsn  string
		want error // nil for valid
	}{
		{"native", "clickhouse://127.0.0.1:9000/heldsway", nil},
		{"default database", "clickhouse://127.0.0.1:9000", nil},
		{"no dsn", "", ErrConfig},
		{"http", "http://127.0.0.1:8123/heldsway", ErrNotNative},
		{"bad database", "clickhouse://127.0.0.1:9000/a-b", ErrBadDatabase},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := WriterConfig{DSN: tt.dsn}
			err := c.Validate()
			if (err == nil) != (tt.want == nil) || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Validate() = %v, want %v", err, tt.want)
			}
			if c.Logger != nil {
				t.Fatal("Validate changed the config")
			}
		})
	}
	var c WriterConfig
	c.EnsureDefaults()
	if c.Logger == nil {
		t.Fatal("EnsureDefaults left Logger nil")
	}
}
