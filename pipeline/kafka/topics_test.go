package kafka

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/schemas"
)

// newCluster is kfake (franz-go's in-process broker) on loopback TCP with
// one topic, "existing", of 2 partitions.
func newCluster(t *testing.T) (Conn, *kgo.Client) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "existing"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	conn := Conn{Brokers: c.ListenAddrs()}
	cl, err := conn.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return conn, cl
}

func TestCreateTopics(t *testing.T) {
	_, cl := newCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tests := []struct {
		name    string
		topics  []Topic
		want    map[string]int32
		policy  map[string]string // cleanup.policy of each topic afterwards
		wantErr bool
	}{
		{"creates missing, compacted or not", []Topic{{Name: "a", Partitions: 3}, {Name: "b", Partitions: 1, Compacted: true}},
			map[string]int32{"a": 3, "b": 1}, map[string]string{"a": "delete", "b": "compact"}, false},
		{"leaves an existing topic as it is", []Topic{{Name: "existing", Partitions: 5, Compacted: true}},
			map[string]int32{"existing": 2}, nil, false},
		{"again: the topics it made count as existing", []Topic{{Name: "a", Partitions: 8}},
			map[string]int32{"a": 3}, nil, false},
		{"no partitions", []Topic{{Name: "c"}}, nil, nil, true},
		{"no name", []Topic{{Partitions: 1}}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CreateTopics(ctx, cl, tt.topics...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CreateTopics: %v, want error %v", err, tt.wantErr)
			}
			for name, n := range tt.want {
				if got[name] != n {
					t.Errorf("%s: %d partitions reported, want %d", name, got[name], n)
				}
			}
			if tt.wantErr {
				return
			}
			names := make([]string, 0, len(tt.want))
			for name := range tt.want {
				names = append(names, name)
			}
			have, err := Partitions(ctx, cl, names...)
			if err != nil {
				t.Fatal(err)
			}
			for name, n := range tt.want {
				if have[name] != n {
					t.Errorf("%s: broker has %d partitions, want %d", name, have[name], n)
				}
			}
			for name, policy := range tt.policy {
				rc, err := kadm.NewClient(cl).DescribeTopicConfigs(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				c, err := rc.On(name, nil)
				if err != nil {
					t.Fatal(err)
				}
				found := ""
				for _, kv := range c.Configs {
					if kv.Key == "cleanup.policy" {
						found = kv.MaybeValue()
					}
				}
				if found != policy {
					t.Errorf("%s: cleanup.policy %q, want %q", name, found, policy)
				}
			}
		})
	}
	if _, err := Partitions(ctx, cl, "nowhere"); !errors.Is(err, ErrUnknownTopic) {
		t.Errorf("Partitions of a missing topic: %v, want ErrUnknownTopic", err)
	}
}

// TestEnsureTopics: the public set is created with the codes topic
// compacted, and a topic with fewer partitions than configured is left as
// it is and reported.
func TestEnsureTopics(t *testing.T) {
	conn, admin := newCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topics, _ := schemas.NewTopics("hs")
	if _, err := CreateTopics(ctx, admin, Topic{Name: topics.Flags, Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	cl, err := conn.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	warnings, err := EnsureTopics(ctx, cl, topics, TopicSpec{Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], topics.Flags) {
		t.Errorf("warnings %q, want one about %s", warnings, topics.Flags)
	}
	have, err := Partitions(ctx, admin, topics.All()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range topics.All() {
		want := int32(3)
		if name == topics.Flags {
			want = 1
		}
		if have[name] != want {
			t.Errorf("%s: %d partitions, want %d", name, have[name], want)
		}
	}
}

func TestConnValidate(t *testing.T) {
	tests := []struct {
		name string
		conn Conn
		ok   bool
	}{
		{"brokers", Conn{Brokers: []string{"127.0.0.1:9092"}}, true},
		{"no brokers", Conn{}, false},
		{"broker without port", Conn{Brokers: []string{"kafka"}}, false},
		{"SASL without user", Conn{Brokers: []string{"k:9092"}, SASLMechanism: "PLAIN"}, false},
		{"unknown SASL", Conn{Brokers: []string{"k:9092"}, SASLMechanism: "GSSAPI", SASLUser: "u"}, false},
		{"cert without key", Conn{Brokers: []string{"k:9092"}, TLSCertFile: "c.pem"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.conn
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if c.ClientID != "" {
				t.Fatalf("Validate set ClientID to %q: only EnsureDefaults applies defaults", c.ClientID)
			}
			if c.EnsureDefaults(); c.ClientID != "heldsway" {
				t.Fatalf("EnsureDefaults: ClientID %q, want heldsway", c.ClientID)
			}
			if _, err := c.NewClient(); (err == nil) != tt.ok {
				t.Fatalf("NewClient() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	c := Conn{Brokers: []string{"k:9092"}, TLSCAFile: filepath.Join(t.TempDir(), "missing.pem")}
	if _, err := c.NewClient(); err == nil {
		t.Error("NewClient with a missing CA file succeeded")
	}
}
