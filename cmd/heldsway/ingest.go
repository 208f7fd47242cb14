package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/connectors/conversion"
	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/publish"
)

// httpFlags configure the ingest edge.
type httpFlags struct {
	addr         string
	maxBody      int64
	apiTokenFile string
	hashKeyFile  string
	publishWait  time.Duration
}

func (h *httpFlags) register(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&h.addr, "http-addr", "127.0.0.1:8080", "address the HTTP server listens on")
	f.Int64Var(&h.maxBody, "max-body-bytes", 1<<20, "largest accepted request body; larger ones get 413")
	f.StringVar(&h.apiTokenFile, "api-token-file", "", "file holding the bearer token of the conversion and admin APIs (else HELDSWAY_API_TOKEN, else generated under <data-dir>/secrets)")
	f.StringVar(&h.hashKeyFile, "hash-key-file", "", "file holding the key that hashes emails and IPs (else HELDSWAY_HASH_KEY, else generated under <data-dir>/secrets)")
	f.DurationVar(&h.publishWait, "publish-timeout", 10*time.Second, "how long a request waits for Kafka to acknowledge before answering 503")
}

// ingestStage is a running ingest edge.
type ingestStage struct {
	server *edge.Server
	client *kgo.Client
}

func (s *ingestStage) Close() { s.client.Close() }

// newIngest builds the HTTP edge publishing into env.
func newIngest(g *globalFlags, h *httpFlags, env *kafkaEnv, log *zap.Logger) (*ingestStage, error) {
	token, err := g.generatedSecret(log, "HELDSWAY_API_TOKEN", h.apiTokenFile, "api-token")
	if err != nil {
		return nil, err
	}
	key, err := g.generatedSecret(log, "HELDSWAY_HASH_KEY", h.hashKeyFile, "hash-key")
	if err != nil {
		return nil, err
	}
	hasher, err := identity.NewHasher([]byte(key))
	if err != nil {
		return nil, usageError{fmt.Errorf("HELDSWAY_HASH_KEY: %w", err)}
	}
	opts, err := env.clientOpts(publish.ClientOpts(h.publishWait)...)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("creating kafka producer: %w", err)
	}
	srv, err := edge.New(edge.Config{Addr: h.addr, MaxBodyBytes: h.maxBody}, log.Named("http"))
	if err != nil {
		cl.Close()
		return nil, usageError{err}
	}
	pub := publish.New(cl, env.serde, publish.Config{Timeout: h.publishWait}, log.Named("publish"))
	srv.AddCheck("kafka", pub.Ping)
	conv := &conversion.Handlers{Publisher: pub, Hasher: hasher, Topics: env.topics, Log: log.Named("conversion")}
	conv.Register(srv, token)
	return &ingestStage{server: srv, client: cl}, nil
}

func newIngestCmd(g *globalFlags) *cobra.Command {
	k := &kafkaFlags{}
	h := &httpFlags{}
	c := &cobra.Command{
		Use:   "ingest",
		Short: "Serve the HTTP edge: conversion API, readiness, publishing to Kafka",
		Long: `Serve HTTP and turn every sale or refund reported to it into a canonical
Avro event on Kafka. A request is answered 2xx only after Kafka has
acknowledged the event; when Kafka is unreachable the answer is 503 so the
sender retries.

Endpoints:
  POST /v1/conversions   report an order (JSON, bearer token)
  POST /v1/refunds       report a refund (JSON, bearer token)
  GET  /healthz          200 when Kafka is reachable, else 503

Kafka is the embedded broker at --kafka-listen unless --brokers is given.`,
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
			st, err := newIngest(g, h, env, log)
			if err != nil {
				return err
			}
			defer st.Close()
			return st.server.Run(cmd.Context())
		},
	}
	k.register(c)
	h.register(c)
	return c
}
