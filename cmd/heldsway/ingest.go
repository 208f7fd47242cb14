package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/click"
	"github.com/heldsway/heldsway/connectors/codeadmin"
	"github.com/heldsway/heldsway/connectors/conversion"
	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/paddle"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/shopify"
	"github.com/heldsway/heldsway/connectors/stripe"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/woocommerce"
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

// ingestStage is a running ingest edge.
type ingestStage struct {
	server   *edge.Server
	client   *kgo.Client
	registry *registry.Registry
	writer   *registry.Writer
	stopSync func()
}

func (s *ingestStage) Close() {
	if s.stopSync != nil {
		s.stopSync()
	}
	if s.writer != nil {
		s.writer.Close()
	}
	s.registry.Close()
	s.client.Close()
}

// newIngest builds the HTTP edge publishing into env.
func newIngest(ctx context.Context, g *globalFlags, h *httpFlags, env *kafkaEnv, log *zap.Logger) (*ingestStage, error) {
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
	stores, err := loadStores(h.storesFile)
	if err != nil {
		return nil, usageError{err}
	}
	srv, err := edge.New(edge.Config{Addr: h.addr, MaxBodyBytes: h.maxBody, MaxInFlight: h.maxInFlight, MaxPerClient: h.maxPerClient,
		BodyTimeout: h.bodyTimeout, TrustForwarded: h.trustForwarded, MetricsAddr: h.metricsAddr}, log.Named("http"))
	if err != nil {
		return nil, usageError{err}
	}
	regOpts, err := env.clientOpts()
	if err != nil {
		return nil, err
	}
	reg, err := registry.NewRegistry(registry.RegistryConfig{Topic: env.topics.Codes, Serde: env.serde, ClientOpts: regOpts}, log.Named("registry"))
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := reg.WaitCaughtUp(wctx); err != nil {
		reg.Close()
		return nil, fmt.Errorf("loading the code registry: %w", err)
	}
	opts, err := env.clientOpts(publish.ClientOpts(h.publishWait)...)
	if err != nil {
		reg.Close()
		return nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		reg.Close()
		return nil, fmt.Errorf("creating kafka producer: %w", err)
	}
	st := &ingestStage{server: srv, client: cl, registry: reg}
	pub := publish.New(cl, env.serde, publish.Config{Timeout: h.publishWait}, log.Named("publish"))
	srv.AddCheck("kafka", pub.Ping)

	conv := &conversion.Handlers{Publisher: pub, Hasher: hasher, Topics: env.topics, Logger: log.Named("conversion")}
	conv.Register(srv, token)

	tracker, err := click.New(click.Config{
		Destinations:   h.destinations,
		CookieDomain:   h.cookieDomain,
		TrustForwarded: h.trustForwarded,
	}, reg, pub, hasher, env.topics, log.Named("click"))
	if err != nil {
		st.Close()
		return nil, usageError{err}
	}
	tracker.Register(srv, token)
	srv.Metrics().Register(tracker.Collectors()...)

	writer, stopSync, err := newCodesWriter(reg, registry.WriterConfig{ClientOpts: regOpts}, &h.sync, stores, 10*time.Minute, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	st.writer, st.stopSync = writer, stopSync
	(&codeadmin.Handlers{Registry: reg, Writer: writer}).Register(srv, token)

	platforms, err := webhookPlatforms(h, env, hasher, reg, stores)
	if err != nil {
		st.Close()
		return nil, usageError{err}
	}
	for _, p := range platforms {
		srv.Handle("POST /webhooks/"+p.Name(), &webhook.Handler{
			Platform:        p,
			Stores:          stores[p.Name()].stores,
			Publisher:       pub,
			DeadLetterTopic: env.topics.DeadLetter,
			MaxBodyBytes:    h.maxBody,
			Observe:         srv.Metrics().ObserveWebhook,
			Logger:          log.Named("webhook"),
		})
		if n := len(stores[p.Name()].stores); n > 0 {
			log.Info("webhooks enabled", zap.String("platform", p.Name()), zap.Int("stores", n))
		}
	}
	return st, nil
}

// webhookPlatforms builds the four platforms. A platform without stores
// still gets its endpoint, which answers 503 saying it is not configured.
func webhookPlatforms(h *httpFlags, env *kafkaEnv, hasher *identity.Hasher, reg *registry.Registry, stores map[string]platformStores) ([]webhook.Platform, error) {
	stripeCfg := stripe.Config{Topics: env.topics, Hasher: hasher, Tolerance: h.tolerance, Promotions: stripe.Chain{registryStripe{reg}}}
	if keys := stores["stripe"].apiKeys; len(keys) > 0 {
		api, err := stripe.NewClient(stripe.ClientConfig{BaseURL: h.stripeAPI, SecretKeys: keys})
		if err != nil {
			return nil, fmt.Errorf("stripe API client: %w", err)
		}
		stripeCfg.Promotions = stripe.Chain{registryStripe{reg}, api}
		stripeCfg.Invoices, stripeCfg.Payments = api, api
	}
	paddleCfg := paddle.Config{Topics: env.topics, Hasher: hasher, Tolerance: h.tolerance, Discounts: paddle.Chain{registryPaddle{reg}}}
	if keys := stores["paddle"].apiKeys; len(keys) > 0 {
		api, err := paddle.NewClient(paddle.ClientConfig{BaseURL: h.paddleAPI, APIKeys: keys})
		if err != nil {
			return nil, fmt.Errorf("paddle API client: %w", err)
		}
		paddleCfg.Discounts = paddle.Chain{registryPaddle{reg}, api}
	}
	st, pd := stripe.New(stripeCfg), paddle.New(paddleCfg)
	return []webhook.Platform{
		shopify.New(shopify.Config{Topics: env.topics, Hasher: hasher}),
		woocommerce.New(woocommerce.Config{Topics: env.topics, Hasher: hasher}),
		st,
		pd,
	}, nil
}

// registryStripe resolves Stripe promotion code ids from the codes the
// registry synced to Stripe, before asking Stripe's API.
type registryStripe struct{ r *registry.Registry }

func (s registryStripe) Code(_ context.Context, store, promoID string) (string, error) {
	if c, ok := s.r.ByRemoteID("stripe", store, promoID); ok {
		return c.Code, nil
	}
	return "", fmt.Errorf("%w: %s not in the registry", stripe.ErrNotFound, promoID)
}

// registryPaddle does the same for Paddle discount ids.
type registryPaddle struct{ r *registry.Registry }

func (p registryPaddle) Code(_ context.Context, store, discountID string) (string, error) {
	if c, ok := p.r.ByRemoteID("paddle", store, discountID); ok {
		return c.Code, nil
	}
	return "", fmt.Errorf("%w: %s not in the registry", paddle.ErrNotFound, discountID)
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
			st, err := newIngest(cmd.Context(), g, h, env, log)
			if err != nil {
				return err
			}
			defer st.Close()
			return st.server.Run(cmd.Context())
		},
	}
	k.register(c, kafkaClient)
	h.register(c)
	return c
}
