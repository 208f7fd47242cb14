package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/click"
	"github.com/heldsway/heldsway/connectors/codeadmin"
	"github.com/heldsway/heldsway/connectors/codesync"
	"github.com/heldsway/heldsway/connectors/conversion"
	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/webhook"
)

// Ingest is the HTTP edge with everything it publishes through: the Kafka
// producer, the code registry (click and webhook code lookups) and its
// writer (the admin API).
type Ingest struct {
	cfg      Config
	log      *zap.Logger
	server   *edge.Server
	client   *kgo.Client
	registry *registry.Registry
	writer   *registry.Writer
	syncer   *codesync.Syncer
}

// New builds the edge and loads the code registry (waiting at most
// cfg.RegistryWait). It does not listen yet: Listen or Run does.
func New(ctx context.Context, cfg Config) (in *Ingest, err error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	hasher, err := identity.NewHasher(cfg.HashKey)
	if err != nil {
		return nil, fmt.Errorf("%w: hash key: %w", ErrConfig, err)
	}
	httpCfg := cfg.HTTP
	if httpCfg.Logger == nil {
		httpCfg.Logger = log.Named("http")
	}
	srv, err := edge.New(httpCfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	in = &Ingest{cfg: cfg, log: log, server: srv}
	defer func() {
		if err != nil {
			in.close()
			in = nil
		}
	}()
	in.registry, err = registry.NewRegistry(registry.RegistryConfig{Topic: cfg.Topics.Codes, Serde: cfg.Serde, Conn: cfg.Conn, Logger: log.Named("registry")})
	if err != nil {
		return in, err
	}
	wctx, cancel := context.WithTimeout(ctx, cfg.RegistryWait)
	defer cancel()
	if err := in.registry.WaitCaughtUp(wctx); err != nil {
		return in, fmt.Errorf("ingest: loading the code registry: %w", err)
	}
	in.client, err = cfg.Conn.NewClient(publish.ClientOpts(cfg.PublishTimeout)...)
	if err != nil {
		return in, fmt.Errorf("ingest: creating the producer: %w", err)
	}
	pub := publish.New(in.client, cfg.Serde, publish.Config{Timeout: cfg.PublishTimeout, Logger: log.Named("publish")})
	srv.AddCheck("kafka", pub.Ping)

	(&conversion.Handlers{Publisher: pub, Hasher: hasher, Topics: cfg.Topics, Logger: log.Named("conversion")}).Register(srv, cfg.APIToken)

	tracker, err := click.New(click.Config{
		Destinations:   cfg.Destinations,
		CookieDomain:   cfg.CookieDomain,
		TrustForwarded: cfg.HTTP.TrustForwarded,
		Logger:         log.Named("click"),
	}, in.registry, pub, hasher, cfg.Topics)
	if err != nil {
		return in, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	tracker.Register(srv, cfg.APIToken)
	srv.Metrics().Register(tracker.Collectors()...)

	wcfg := registry.WriterConfig{Conn: cfg.Conn, Logger: log.Named("codes")}
	if cfg.Sync == nil {
		in.writer, err = registry.NewWriter(in.registry, wcfg)
	} else {
		in.writer, in.syncer, err = codesync.NewWriter(in.registry, wcfg, codesync.Config{
			Remotes: cfg.Sync.Remotes,
			Retry:   codesync.RetryPolicy{Attempts: cfg.Sync.Attempts},
			Recheck: cfg.Sync.Recheck,
			Logger:  log.Named("sync"),
		})
		if err == nil {
			log.Info("syncing code changes to stores", zap.Int("stores", len(cfg.Sync.Remotes)))
		}
	}
	if err != nil {
		return in, err
	}
	(&codeadmin.Handlers{Registry: in.registry, Writer: in.writer}).Register(srv, cfg.APIToken)

	platforms, err := webhookPlatforms(&cfg, hasher, in.registry)
	if err != nil {
		return in, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	for _, p := range platforms {
		stores := cfg.Stores[p.Name()].Webhooks
		srv.Handle("POST /webhooks/"+p.Name(), &webhook.Handler{
			Platform:        p,
			Stores:          stores,
			Publisher:       pub,
			DeadLetterTopic: cfg.Topics.DeadLetter,
			MaxBodyBytes:    srv.Config().MaxBodyBytes,
			Observe:         srv.Metrics().ObserveWebhook,
			Logger:          log.Named("webhook"),
		})
		if len(stores) > 0 {
			log.Info("webhooks enabled", zap.String("platform", p.Name()), zap.Int("stores", len(stores)))
		}
	}
	return in, nil
}

// Server is the HTTP server, for what is mounted beside ingest (heldsway
// up adds the processor's and the sink's readiness and the dashboard).
func (in *Ingest) Server() *edge.Server { return in.server }

// Listen binds the HTTP address now, so a caller learns of a taken port
// before starting anything else; Run listens if it was not called.
func (in *Ingest) Listen() error { return in.server.Listen() }

// Addr is the address the server listens on; "" before Listen or Run.
func (in *Ingest) Addr() string { return in.server.Addr() }

// Run serves until ctx is done, drains the requests in flight, and closes
// the producer, the writer and the registry.
func (in *Ingest) Run(ctx context.Context) error {
	defer in.close()
	return in.server.Run(ctx)
}

// Close releases what New made, for an Ingest that is not Run.
func (in *Ingest) Close() { in.close() }

func (in *Ingest) close() {
	if in.syncer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if err := in.syncer.Close(ctx); err != nil && !errors.Is(err, context.Canceled) {
			in.log.Warn("stopping code sync; `heldsway codes sync` catches up", zap.Error(err))
		}
		cancel()
		in.syncer = nil
	}
	if in.writer != nil {
		in.writer.Close()
		in.writer = nil
	}
	if in.registry != nil {
		in.registry.Close()
		in.registry = nil
	}
	if in.client != nil {
		in.client.Close()
		in.client = nil
	}
}
