package shopify

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/heldsway/heldsway/connectors/hmacsig"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/jsonfield"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/schemas"
)

// Name is the platform name used in events and in the webhook path.
const Name = "shopify"

// Topics HeldSway subscribes to.
const (
	TopicOrdersCreate = "orders/create"
	TopicOrdersPaid   = "orders/paid"
	// TopicOrdersUpdated carries the whole order after any change, an
	// order edit included (orders/edited carries only the edit, not the
	// order, and is not used): with changed money or codes the processor
	// revises the order's attribution.
	TopicOrdersUpdated = "orders/updated"
	TopicRefundsCreate = "refunds/create"
)

// Headers Shopify sends. Newer event webhooks use the lower-case names
// without the X- prefix, which canonicalise to the Shopify-* forms; both are
// read, the newer first, as Shopify's own library does.
const (
	headerHMAC      = "X-Shopify-Hmac-Sha256"
	headerHMACNew   = "Shopify-Hmac-Sha256"
	headerTopic     = "X-Shopify-Topic"
	headerTopicNew  = "Shopify-Topic"
	headerDomain    = "X-Shopify-Shop-Domain"
	headerDomainNew = "Shopify-Shop-Domain"
)

// ErrConfig is wrapped by errors about a Config.
var ErrConfig = errors.New("shopify: invalid config")

// Config configures the Shopify platform.
type Config struct {
	// Topics names the output topics; Orders and Refunds are used.
	// Required.
	Topics schemas.Topics
	// Hasher replaces the buyer's email by its token. Required.
	Hasher *identity.Hasher
}

// Validate checks c.
func (c Config) Validate() error {
	if c.Topics.Orders == "" || c.Topics.Refunds == "" {
		return fmt.Errorf("%w: Topics.Orders and Topics.Refunds are required", ErrConfig)
	}
	if c.Hasher == nil {
		return fmt.Errorf("%w: Hasher is required", ErrConfig)
	}
	return nil
}

// Platform is Shopify's webhook scheme; it implements webhook.Platform.
type Platform struct {
	cfg Config
}

var _ webhook.Platform = (*Platform)(nil)

// New returns the Shopify platform. Call cfg.Validate first: Parse fails
// every delivery while the config is invalid.
func New(cfg Config) *Platform { return &Platform{cfg: cfg} }

// Name returns "shopify".
func (p *Platform) Name() string { return Name }

// StoreHint returns the shop domain the request claims to come from.
func (p *Platform) StoreHint(h http.Header) string {
	return header(h, headerDomainNew, headerDomain)
}

// Verify checks the base64 HMAC-SHA256 of the raw body under secret, in
// constant time. Shopify signs no timestamp, so now is unused.
func (p *Platform) Verify(secret string, h http.Header, body []byte, now time.Time) error {
	return hmacsig.VerifyBase64(headerHMAC, header(h, headerHMACNew, headerHMAC), body, secret)
}

// PreVerify implements webhook.PreVerifier: a request without the HMAC
// header is refused before its body is read.
func (p *Platform) PreVerify(h http.Header, _ int64) error {
	return hmacsig.Present(headerHMAC, header(h, headerHMACNew, headerHMAC))
}

// Parse maps a verified delivery to events by its topic; topics HeldSway
// does not use are ignored.
func (p *Platform) Parse(d webhook.Delivery) (webhook.Result, error) {
	if err := p.cfg.Validate(); err != nil {
		return webhook.Result{}, err
	}
	topic := header(d.Header, headerTopicNew, headerTopic)
	switch topic {
	case TopicOrdersCreate, TopicOrdersPaid, TopicOrdersUpdated:
		return p.parseOrder(d, topic)
	case TopicRefundsCreate:
		return p.parseRefund(d)
	case "":
		return webhook.Result{}, webhook.PayloadError(Name, "missing %s header", headerTopic)
	}
	return webhook.Result{Ignored: fmt.Sprintf("topic %q is not used", jsonfield.Abbrev([]byte(topic)))}, nil
}

func header(h http.Header, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(h.Get(n)); v != "" {
			return v
		}
	}
	return ""
}
