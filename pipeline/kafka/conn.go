package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Conn says how to reach a Kafka cluster. It is the one connection type
// of every service (ingest, processor, sink, the code registry, tail and
// the bench): cmd builds it once from the --brokers and --kafka-* flags,
// and each service adds its own client options to Opts or NewClient.
type Conn struct {
	// Brokers are the seed brokers, host:port. Required.
	Brokers []string
	// TLS enables TLS. Default false.
	TLS bool
	// TLSCAFile is a PEM bundle of CAs to trust; default the system pool.
	TLSCAFile string
	// TLSCertFile and TLSKeyFile are a client certificate for mTLS.
	TLSCertFile string
	TLSKeyFile  string
	// SASLMechanism is "", PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	SASLMechanism string
	// SASLUser and SASLPassword authenticate with SASLMechanism.
	SASLUser     string
	SASLPassword string
	// ClientID names this client in broker logs. Default "heldsway".
	ClientID string
}

// EnsureDefaults sets c's zero fields to their defaults (ClientID
// "heldsway").
func (c *Conn) EnsureDefaults() {
	if c.ClientID == "" {
		c.ClientID = "heldsway"
	}
}

// Validate reports whether c is usable. It does not change c.
func (c *Conn) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("kafka: no brokers configured")
	}
	for _, b := range c.Brokers {
		if strings.TrimSpace(b) == "" || !strings.Contains(b, ":") {
			return fmt.Errorf("kafka: broker %q: want host:port", b)
		}
	}
	switch strings.ToUpper(c.SASLMechanism) {
	case "":
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if c.SASLUser == "" {
			return fmt.Errorf("kafka: SASL %s needs a user", c.SASLMechanism)
		}
	default:
		return fmt.Errorf("kafka: SASL mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.SASLMechanism)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return errors.New("kafka: TLS client certificate needs both cert and key files")
	}
	return nil
}

// Opts returns the franz-go options that connect with c, its defaults
// applied.
func (c Conn) Opts() ([]kgo.Opt, error) {
	c.EnsureDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...), kgo.ClientID(c.ClientID)}
	tc, err := c.TLSConfig()
	if err != nil {
		return nil, err
	}
	if tc != nil {
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	switch strings.ToUpper(c.SASLMechanism) {
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsSha512Mechanism()))
	}
	return opts, nil
}

// TLSConfig returns the TLS settings of c: nil when c does not use TLS
// (TLS false and no CA or client certificate file), else TLS 1.2 or newer
// trusting TLSCAFile (default the system pool) and presenting the client
// certificate when one is set. Opts uses it; a client other than franz-go
// (the bench's Goka peer) uses it to connect the same way.
func (c Conn) TLSConfig() (*tls.Config, error) {
	if !c.TLS && c.TLSCAFile == "" && c.TLSCertFile == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: reading TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka: TLS CA file %s holds no PEM certificate", c.TLSCAFile)
		}
		tc.RootCAs = pool
	}
	if c.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: loading TLS client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// NewClient returns a franz-go client connected with c, plus extra (the
// caller's own producer, consumer or group options).
func (c Conn) NewClient(extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := c.Opts()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka: creating client: %w", err)
	}
	return cl, nil
}
