package woocommerce

import (
	"bytes"
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
const Name = "woocommerce"

// Topics HeldSway subscribes to. WooCommerce has no refund topic: a refund
// is delivered as order.updated with the order's refunds[].
const (
	TopicOrderCreated = "order.created"
	TopicOrderUpdated = "order.updated"
)

const (
	headerSignature = "X-WC-Webhook-Signature"
	headerTopic     = "X-WC-Webhook-Topic"
	headerSource    = "X-WC-Webhook-Source"
)

// ErrConfig is wrapped by errors about a Config.
var ErrConfig = errors.New("woocommerce: invalid config")

// Config configures the WooCommerce platform.
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

// Platform is WooCommerce's webhook scheme; it implements webhook.Platform.
type Platform struct {
	cfg Config
}

var _ webhook.Platform = (*Platform)(nil)

// New returns the WooCommerce platform. Call cfg.Validate first: Parse
// fails every delivery while the config is invalid.
func New(cfg Config) *Platform { return &Platform{cfg: cfg} }

// Name returns "woocommerce".
func (p *Platform) Name() string { return Name }

// StoreHint returns the site URL the request claims to come from.
func (p *Platform) StoreHint(h http.Header) string {
	return strings.TrimSpace(h.Get(headerSource))
}

// IsPing reports whether body is the unsigned ping WooCommerce sends when a
// webhook is created: exactly "webhook_id=<digits>".
func IsPing(body []byte) bool {
	id, ok := bytes.CutPrefix(body, []byte("webhook_id="))
	if !ok || len(id) == 0 || len(id) > 20 {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Verify checks the base64 HMAC-SHA256 of the raw body under secret, in
// constant time. WooCommerce signs no timestamp, so now is unused.
//
// The creation ping is accepted unsigned: WooCommerce does not sign it, it
// carries nothing but the webhook id, and Parse publishes nothing for it,
// so accepting a forged one has no effect.
//
// WooCommerce keys the HMAC with the secret passed through
// wp_specialchars_decode; when secret contains an HTML entity (copied from
// a place where WordPress escaped it), the decoded form is tried too.
func (p *Platform) Verify(secret string, h http.Header, body []byte, now time.Time) error {
	if IsPing(body) {
		return nil
	}
	secrets := []string{secret}
	if d := specialcharsDecode(secret); d != secret {
		secrets = append(secrets, d)
	}
	return hmacsig.VerifyBase64(headerSignature, strings.TrimSpace(h.Get(headerSignature)), body, secrets...)
}

// maxPing is the longest creation ping body: "webhook_id=" and 20 digits.
const maxPing = len("webhook_id=") + 20

// PreVerify implements webhook.PreVerifier: a request without the
// signature header is refused before its body is read, unless its declared
// length fits the unsigned creation ping (which Verify then checks).
func (p *Platform) PreVerify(h http.Header, contentLength int64) error {
	if contentLength > int64(len("webhook_id=")) && contentLength <= int64(maxPing) {
		return nil
	}
	return hmacsig.Present(headerSignature, strings.TrimSpace(h.Get(headerSignature)))
}

// specialcharsDecode is WordPress's wp_specialchars_decode($s, ENT_QUOTES).
var specialcharsDecode = strings.NewReplacer(
	"&lt;", "<", "&#060;", "<", "&#60;", "<", "&#x3c;", "<", "&#x3C;", "<",
	"&gt;", ">", "&#062;", ">", "&#62;", ">", "&#x3e;", ">", "&#x3E;", ">",
	"&quot;", `"`, "&#034;", `"`, "&#34;", `"`, "&#x22;", `"`,
	"&#039;", "'", "&#39;", "'", "&#x27;", "'",
	"&amp;", "&", "&#038;", "&", "&#38;", "&", "&#x26;", "&",
).Replace

// Parse maps a verified delivery to events. The creation ping yields an
// empty, not ignored, result, so the handler answers 200 as WooCommerce
// requires; topics HeldSway does not use are ignored (202).
func (p *Platform) Parse(d webhook.Delivery) (webhook.Result, error) {
	if err := p.cfg.Validate(); err != nil {
		return webhook.Result{}, err
	}
	if IsPing(d.Body) {
		return webhook.Result{}, nil
	}
	topic := strings.TrimSpace(d.Header.Get(headerTopic))
	switch topic {
	case TopicOrderCreated, TopicOrderUpdated:
		return p.parseOrder(d, topic)
	case "":
		return webhook.Result{}, webhook.PayloadError(Name, "missing %s header", headerTopic)
	}
	return webhook.Result{Ignored: fmt.Sprintf("topic %q is not used", jsonfield.Abbrev([]byte(topic)))}, nil
}
