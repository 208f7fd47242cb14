package goka

import (
	"slices"
	"strings"
	"testing"

	"github.com/IBM/sarama"

	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// TestSaramaConfig checks that the Goka peer connects the way every other
// service does: from the one kafka.Conn.
func TestSaramaConfig(t *testing.T) {
	for _, tt := range []struct {
		name    string
		conn    kafka.Conn
		wantErr string
		check   func(t *testing.T, sc *sarama.Config)
	}{
		{
			name: "plain",
			conn: kafka.Conn{Brokers: []string{"a:9092", "b:9092"}},
			check: func(t *testing.T, sc *sarama.Config) {
				if sc.ClientID != "heldsway" || sc.Net.TLS.Enable || sc.Net.SASL.Enable {
					t.Errorf("client id %q, tls %v, sasl %v: want the Conn defaults", sc.ClientID, sc.Net.TLS.Enable, sc.Net.SASL.Enable)
				}
				if sc.Consumer.Offsets.Initial != sarama.OffsetOldest {
					t.Errorf("initial offset %d: want oldest", sc.Consumer.Offsets.Initial)
				}
			},
		},
		{
			name: "tls and sasl plain",
			conn: kafka.Conn{Brokers: []string{"a:9093"}, TLS: true, SASLMechanism: "plain", SASLUser: "u", SASLPassword: "p", ClientID: "peer"},
			check: func(t *testing.T, sc *sarama.Config) {
				if sc.ClientID != "peer" {
					t.Errorf("client id %q, want peer", sc.ClientID)
				}
				if !sc.Net.TLS.Enable || sc.Net.TLS.Config == nil {
					t.Error("TLS not enabled")
				}
				if !sc.Net.SASL.Enable || sc.Net.SASL.Mechanism != sarama.SASLTypePlaintext || sc.Net.SASL.User != "u" || sc.Net.SASL.Password != "p" {
					t.Errorf("SASL %+v: want PLAIN u/p", sc.Net.SASL)
				}
			},
		},
		{name: "no brokers", conn: kafka.Conn{}, wantErr: "no brokers"},
		{name: "scram refused", conn: kafka.Conn{Brokers: []string{"a:9092"}, SASLMechanism: "SCRAM-SHA-256", SASLUser: "u"}, wantErr: "supports only PLAIN"},
		{name: "missing CA file", conn: kafka.Conn{Brokers: []string{"a:9092"}, TLSCAFile: "/nonexistent/ca.pem"}, wantErr: "reading TLS CA file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			brokers, sc, err := saramaConfig(tt.conn)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				cfg := Config{Conn: tt.conn, Inputs: mustTopics(t, "in"), Outputs: mustTopics(t, "out"), Group: "g", StateDir: t.TempDir()}
				cfg.EnsureDefaults()
				if err := cfg.Validate(); err == nil {
					t.Errorf("Config.Validate accepted a Conn saramaConfig refuses")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := sc.Validate(); err != nil {
				t.Errorf("sarama rejects the config: %v", err)
			}
			if !slices.Equal(brokers, tt.conn.Brokers) {
				t.Errorf("brokers %v, want %v", brokers, tt.conn.Brokers)
			}
			tt.check(t, sc)
		})
	}
}

func mustTopics(t *testing.T, prefix string) schemas.Topics {
	t.Helper()
	tp, err := schemas.NewTopics(prefix)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}
