package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/ingest"
	"github.com/heldsway/heldsway/pipeline/kafkaenv"
)

// httpFlags configure the ingest edge.
type httpFlags struct {
	addr           string
	maxBody        int64
	maxInFlight    int
	maxPerClient   int
	bodyTimeout    time.Duration
	metricsAddr    string
	apiTokenFile   string
	hashKeyFile    string
	publishWait    time.Duration
	storesFile     string
	destinations   map[string]string
	cookieDomain   string
	trustForwarded bool
	stripeAPI      string
	paddleAPI      string
	tolerance      time.Duration
	sync           syncFlags
}

func (h *httpFlags) register(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&h.addr, "http-addr", "127.0.0.1:8080", "address the HTTP server listens on")
	f.Int64Var(&h.maxBody, "max-body-bytes", 1<<20, "largest accepted request body; larger ones get 413")
	f.IntVar(&h.maxInFlight, "max-inflight", 1024, "most requests handled at once in each route class (redirects, webhooks, authenticated APIs each have a pool this size); beyond it the answer is 503 with Retry-After, so a slow Kafka pushes back on senders and one class flooded leaves the others served")
	f.IntVar(&h.maxPerClient, "max-per-client", 64, "most unauthenticated requests (webhooks and redirects) one client address has in flight; beyond it the answer is 503 with Retry-After")
	f.DurationVar(&h.bodyTimeout, "body-timeout", 10*time.Second, "how long a request, headers and body, may take to arrive; a slower sender is cut off")
	f.StringVar(&h.metricsAddr, "metrics-addr", "", "serve /metrics (and /healthz) on this separate address instead of --http-addr, so metrics need not face the internet")
	f.StringVar(&h.apiTokenFile, "api-token-file", "", "file holding the bearer token of the conversion and admin APIs (else HELDSWAY_API_TOKEN, else generated under <data-dir>/secrets)")
	f.StringVar(&h.hashKeyFile, "hash-key-file", "", "file holding the key that hashes emails and IPs (else HELDSWAY_HASH_KEY, else generated under <data-dir>/secrets)")
	f.DurationVar(&h.publishWait, "publish-timeout", 10*time.Second, "how long a request waits for Kafka to acknowledge before answering 503")
	f.StringVar(&h.storesFile, "stores-file", "", "YAML file of connected stores and where their webhook secrets are (else HELDSWAY_<PLATFORM>_SECRET for one store per platform)")
	f.StringToStringVar(&h.destinations, "destination", nil, "click redirect destinations id=URL (repeatable); /c/{code} goes to default, /c/{code}/{id} to id; none configured: redirects answer 404")
	f.StringVar(&h.cookieDomain, "cookie-domain", "", "Domain of the hs_vid visitor cookie (e.g. .shop.example); default host-only")
	f.BoolVar(&h.trustForwarded, "trust-forwarded", false, "take client IP and scheme from X-Forwarded-For/-Proto (only behind your own proxy)")
	f.StringVar(&h.stripeAPI, "stripe-api", "https://api.stripe.com", "Stripe API base URL (promotion code lookups)")
	f.StringVar(&h.paddleAPI, "paddle-api", "https://api.paddle.com", "Paddle API base URL (discount lookups)")
	f.DurationVar(&h.tolerance, "webhook-tolerance", 5*time.Minute, "how old a signed Stripe or Paddle webhook may be before it is refused as a replay")
	h.sync.register(c, false)
}

// ingestConfig turns the flags into ingest's Config: secrets resolved
// (generated under the data directory when none is configured), the
// stores file read, the sync stores built when --sync is set.
func ingestConfig(g *globalFlags, h *httpFlags, env *kafkaenv.Env, log *zap.Logger) (ingest.Config, error) {
	token, err := g.generatedSecret(log, "HELDSWAY_API_TOKEN", h.apiTokenFile, "api-token")
	if err != nil {
		return ingest.Config{}, err
	}
	key, err := g.generatedSecret(log, "HELDSWAY_HASH_KEY", h.hashKeyFile, "hash-key")
	if err != nil {
		return ingest.Config{}, err
	}
	if _, err := identity.NewHasher([]byte(key)); err != nil {
		return ingest.Config{}, usageError{fmt.Errorf("HELDSWAY_HASH_KEY: %w", err)}
	}
	stores, err := ingest.LoadStores(h.storesFile)
	if err != nil {
		return ingest.Config{}, usageError{err}
	}
	cfg := ingest.Config{
		HTTP: edge.Config{Addr: h.addr, MaxBodyBytes: h.maxBody, MaxInFlight: h.maxInFlight, MaxPerClient: h.maxPerClient,
			BodyTimeout: h.bodyTimeout, TrustForwarded: h.trustForwarded, MetricsAddr: h.metricsAddr},
		Conn:             env.Conn,
		Topics:           env.Topics,
		Serde:            env.Serde,
		APIToken:         token,
		HashKey:          []byte(key),
		Stores:           stores,
		PublishTimeout:   h.publishWait,
		Destinations:     h.destinations,
		CookieDomain:     h.cookieDomain,
		StripeAPI:        h.stripeAPI,
		PaddleAPI:        h.paddleAPI,
		WebhookTolerance: h.tolerance,
		Logger:           log,
	}
	if h.sync.enabled {
		remotes, err := ingest.SyncRemotes(stores)
		if err != nil {
			return ingest.Config{}, usageError{fmt.Errorf("--sync: %w", err)}
		}
		cfg.Sync = &ingest.Sync{Remotes: remotes, Attempts: h.sync.attempts}
	}
	return cfg, nil
}

// newIngest builds the HTTP edge publishing into env.
func newIngest(ctx context.Context, g *globalFlags, h *httpFlags, env *kafkaenv.Env, log *zap.Logger) (*ingest.Ingest, error) {
	cfg, err := ingestConfig(g, h, env, log)
	if err != nil {
		return nil, err
	}
	in, err := ingest.New(ctx, cfg)
	if errors.Is(err, ingest.ErrConfig) {
		return nil, usageError{err}
	}
	return in, err
}

func newIngestCmd(g *globalFlags) *cobra.Command {
	k := &kafkaFlags{}
	h := &httpFlags{}
	c := &cobra.Command{
		Use:   "ingest",
		Short: "Serve the HTTP edge: store webhooks, click tracking, conversion API",
		Long: `Serve HTTP and turn every sale, refund or click reported to it into a
canonical Avro event on Kafka. A request is answered 2xx only after Kafka has
acknowledged the event; when Kafka is unreachable the answer is 503 so the
sender retries.

Endpoints:
  POST /webhooks/shopify       orders/create, orders/paid, orders/updated, refunds/create (X-Shopify-Hmac-Sha256)
  POST /webhooks/woocommerce   order.created, order.updated (X-WC-Webhook-Signature)
  POST /webhooks/stripe        checkout.session.completed, invoice.paid, refunds (Stripe-Signature)
  POST /webhooks/paddle        transaction.completed, adjustment.* (Paddle-Signature)
  GET  /c/{code}[/{dest}]      click redirect (302 to a configured destination)
  POST /v1/clicks              click batches from a server-side tracker (bearer token)
  POST /v1/conversions         orders from a custom checkout (bearer token)
  POST /v1/refunds             refunds from a custom checkout (bearer token)
  /v1/codes...                 the code registry admin API (bearer token; see heldsway codes --help)
  GET  /healthz                200 when Kafka is reachable, else 503
  GET  /metrics                Prometheus metrics (on --metrics-addr instead when set)

Webhook secrets: HELDSWAY_SHOPIFY_SECRET, HELDSWAY_WOOCOMMERCE_SECRET,
HELDSWAY_STRIPE_SECRET and HELDSWAY_PADDLE_SECRET for one store per platform
(API keys for code lookups: HELDSWAY_STRIPE_API_KEY, HELDSWAY_PADDLE_API_KEY),
or --stores-file for several.

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
			in, err := newIngest(cmd.Context(), g, h, env, log)
			if err != nil {
				return err
			}
			return in.Run(cmd.Context())
		},
	}
	k.register(c, kafkaClient)
	h.register(c)
	return c
}
