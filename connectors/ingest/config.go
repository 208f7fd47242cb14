package ingest

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/connectors/codesync"
	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/paddle/paddleapi"
	"github.com/heldsway/heldsway/connectors/stripe/stripeapi"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// Platforms are the webhook platforms ingest serves, each at
// POST /webhooks/<name>.
var Platforms = []string{"shopify", "woocommerce", "stripe", "paddle"}

// Stores are the connected stores of one platform.
type Stores struct {
	// Webhooks are the stores whose signed webhooks are accepted, with
	// their secrets. A platform with none still has its endpoint, which
	// answers 503 saying it is not configured.
	Webhooks []webhook.Store
	// APIKeys are the stores' API keys by store id: Stripe promotion code
	// and Paddle discount ids are resolved through the platform's API with
	// them when the registry does not know the id. Default none.
	APIKeys map[string]string
	// Sync are the sync blocks of the stores file by store id: the stores
	// SyncRemotes makes code sync targets of. Ingest itself reads only
	// Config.Sync. Default none.
	Sync map[string]SyncSpec
}

// Sync pushes code changes made through the admin API to the stores.
type Sync struct {
	// Remotes are the stores the codes are synced to. Required.
	Remotes []codesync.Remote
	// Attempts at one code on one store before its sync state is failed.
	// Default 5 (codesync.RetryPolicy's default).
	Attempts int
	// Recheck is how often codes whose sync failed or waits are tried
	// again. Default 10m.
	Recheck time.Duration
}

// Config configures an Ingest.
type Config struct {
	// HTTP is the server: address, body and concurrency limits, metrics
	// address. Defaults: see edge.Config, except the logger: Logger
	// named "http".
	HTTP edge.Config
	// Conn says how to reach Kafka. Required.
	Conn kafka.Conn
	// Topics names the topics published to and the code registry's topic.
	// Required.
	Topics schemas.Topics
	// Serde encodes the events and decodes the registry. Default
	// schemas.NewSerde(schemas.WithTopics(Topics)).
	Serde *schemas.Serde
	// APIToken is the bearer token of the conversion, click batch and
	// admin APIs. Required.
	APIToken string
	// HashKey keys the hashes of emails and IPs (identity.NewHasher: at
	// least 16 bytes). Required.
	HashKey []byte
	// Stores are the connected stores by platform name (one of
	// Platforms). Default none: every webhook endpoint answers 503.
	Stores map[string]Stores
	// Sync, when set, pushes code changes to the stores. Default nil: no
	// sync.
	Sync *Sync
	// PublishTimeout is how long a request waits for Kafka to acknowledge
	// before it is answered 503. Default 10s.
	PublishTimeout time.Duration
	// RegistryWait bounds New's wait for the code registry to load.
	// Default 60s.
	RegistryWait time.Duration
	// Destinations are the click redirect destinations by id ("default"
	// serves /c/{code}). Default none: redirects answer 404.
	Destinations map[string]string
	// CookieDomain is the Domain of the hs_vid visitor cookie. Default ""
	// (host-only).
	CookieDomain string
	// StripeAPI and PaddleAPI are the platforms' API base URLs. Defaults
	// https://api.stripe.com and https://api.paddle.com.
	StripeAPI, PaddleAPI string
	// WebhookTolerance is how old a signed Stripe or Paddle webhook may be
	// before it is refused as a replay. Default 5m.
	WebhookTolerance time.Duration
	// Logger receives the logs. Default zap.NewNop().
	Logger *zap.Logger
}

// Defaults.
const (
	DefaultPublishTimeout   = 10 * time.Second
	DefaultRegistryWait     = 60 * time.Second
	DefaultWebhookTolerance = 5 * time.Minute
	DefaultSyncRecheck      = 10 * time.Minute
	DefaultStripeAPI        = stripeapi.DefaultBaseURL
	DefaultPaddleAPI        = paddleapi.DefaultBaseURL
)

// ErrConfig is wrapped by every Validate error.
var ErrConfig = errors.New("ingest: invalid config")

// EnsureDefaults sets the zero fields that have a default.
func (c *Config) EnsureDefaults() {
	if c.Serde == nil {
		c.Serde = schemas.NewSerde(schemas.WithTopics(c.Topics))
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = DefaultPublishTimeout
	}
	if c.RegistryWait == 0 {
		c.RegistryWait = DefaultRegistryWait
	}
	if c.StripeAPI == "" {
		c.StripeAPI = DefaultStripeAPI
	}
	if c.PaddleAPI == "" {
		c.PaddleAPI = DefaultPaddleAPI
	}
	if c.WebhookTolerance == 0 {
		c.WebhookTolerance = DefaultWebhookTolerance
	}
	if c.Sync != nil && c.Sync.Recheck == 0 {
		c.Sync.Recheck = DefaultSyncRecheck
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c is usable. It does not change c: call
// EnsureDefaults first (New does).
func (c *Config) Validate() error {
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := c.HTTP.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	switch {
	case c.Topics.Prefix == "" || c.Topics.Codes == "" || c.Topics.DeadLetter == "":
		return fmt.Errorf("%w: topics are required", ErrConfig)
	case c.APIToken == "":
		return fmt.Errorf("%w: an API token is required", ErrConfig)
	case c.PublishTimeout < 0 || c.RegistryWait < 0 || c.WebhookTolerance < 0:
		return fmt.Errorf("%w: negative timeout", ErrConfig)
	case c.Sync != nil && len(c.Sync.Remotes) == 0:
		return fmt.Errorf("%w: sync has no stores", ErrConfig)
	}
	if _, err := identity.NewHasher(c.HashKey); err != nil {
		return fmt.Errorf("%w: hash key: %w", ErrConfig, err)
	}
	for name := range c.Stores {
		if !known(name) {
			return fmt.Errorf("%w: stores of unknown platform %q (want one of %v)", ErrConfig, name, Platforms)
		}
	}
	return nil
}

func known(platform string) bool { return slices.Contains(Platforms, platform) }
