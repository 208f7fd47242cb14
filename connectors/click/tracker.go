package click

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/connectors/checkout"
	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/urlscrub"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// Cookie is the name of the visitor cookie.
const Cookie = "hs_vid"

// Query parameters appended to the destination.
const (
	ParamClick   = "hs_cid"
	ParamVisitor = "hs_vid"
)

// ParamAffiliate is the redirect's query parameter naming the affiliate
// that promotes a code it does not own (listed in its allowed_affiliates):
// /c/{code}?aff={affiliate id}.
const ParamAffiliate = "aff"

// DefaultDestination is the destination id used by /c/{code}.
const DefaultDestination = "default"

// Codes looks up a normalised code in the registry.
type Codes interface {
	Get(code string) (schemas.Code, bool)
}

// Publisher publishes events and returns once Kafka acknowledged them.
type Publisher interface {
	Publish(ctx context.Context, events ...publish.Event) error
}

// Config configures the tracker.
type Config struct {
	// Destinations maps destination ids to absolute http(s) URLs. The id
	// "default" is used by /c/{code}. With none, redirects answer 404 and
	// only the batch API records clicks.
	Destinations map[string]string
	// CookieDomain is the Domain of the visitor cookie (e.g. ".shop.example"
	// so the storefront can read it); default host-only.
	CookieDomain string
	// CookieMaxAge is the visitor cookie's lifetime. Default 400 days.
	CookieMaxAge time.Duration
	// PublishTimeout bounds how long a redirect waits for Kafka. Default 2s.
	PublishTimeout time.Duration
	// TrustForwarded takes the client IP from X-Forwarded-For and the
	// scheme from X-Forwarded-Proto (behind a proxy you run). Default false.
	TrustForwarded bool
	// Logger receives the tracker's logs. Default zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults.
func (c *Config) EnsureDefaults() {
	if c.CookieMaxAge == 0 {
		c.CookieMaxAge = 400 * 24 * time.Hour
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate checks the destinations: absolute http(s) URLs only. It does
// not change c.
func (c Config) Validate() error {
	if _, ok := c.Destinations[DefaultDestination]; !ok && len(c.Destinations) > 0 {
		return errors.New("click: destinations configured but none is 'default' (--destination default=https://shop.example/)")
	}
	for id, d := range c.Destinations {
		if id == "" || strings.ContainsAny(id, "/?#") {
			return fmt.Errorf("click: destination id %q: must be non-empty without / ? #", id)
		}
		u, err := url.Parse(d)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("click: destination %s=%q: want an absolute http(s) URL", id, d)
		}
	}
	return nil
}

// Stats counts clicks for metrics.
type Stats struct {
	Recorded     atomic.Int64
	Bots         atomic.Int64
	UnknownCodes atomic.Int64
	Unrecorded   atomic.Int64
	// NotAllowed counts redirects whose aff parameter names an affiliate
	// that may not promote the code (recorded for that affiliate; the
	// processor does not let it qualify: affiliate_not_allowed).
	NotAllowed atomic.Int64
}

// Tracker serves the click endpoints.
type Tracker struct {
	cfg    Config
	codes  Codes
	pub    Publisher
	hasher *identity.Hasher
	topics schemas.Topics
	now    func() time.Time
	log    *zap.Logger
	Stats  Stats
	// batchMax caps a POST /v1/clicks body: MaxBatchBytes, or the
	// server's MaxBodyBytes when that is lower (set by Register).
	batchMax int64
}

// New returns a Tracker.
func New(cfg Config, codes Codes, pub Publisher, hasher *identity.Hasher, topics schemas.Topics) (*Tracker, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Tracker{cfg: cfg, codes: codes, pub: pub, hasher: hasher, topics: topics, now: time.Now, log: cfg.Logger}, nil
}

// SetClock replaces the clock (tests).
func (t *Tracker) SetClock(now func() time.Time) { t.now = now }

// Register mounts the endpoints on s; the batch API is behind token. A
// batch body is capped at MaxBatchBytes or s's MaxBodyBytes, whichever is
// lower.
func (t *Tracker) Register(s *edge.Server, token string) {
	t.batchMax = min(MaxBatchBytes, s.Config().MaxBodyBytes)
	s.HandleClass(edge.ClassRedirect, "GET /c/{code}", http.HandlerFunc(t.redirect))
	s.HandleClass(edge.ClassRedirect, "GET /c/{code}/{destination}", http.HandlerFunc(t.redirect))
	s.Handle("POST /v1/clicks", edge.RequireBearer(token, http.HandlerFunc(t.batch)))
}

func (t *Tracker) clock() time.Time { return t.now().UTC().Truncate(time.Millisecond) }

func (t *Tracker) redirect(w http.ResponseWriter, r *http.Request) {
	destID := r.PathValue("destination")
	if destID == "" {
		destID = DefaultDestination
	}
	dest, ok := t.cfg.Destinations[destID]
	if !ok {
		if len(t.cfg.Destinations) == 0 {
			edge.WriteError(w, http.StatusNotFound, "click redirects are not configured (--destination default=https://shop.example/)")
			return
		}
		edge.WriteError(w, http.StatusNotFound, fmt.Sprintf("unknown destination %q", destID))
		return
	}
	visitor := ""
	if c, err := r.Cookie(Cookie); err == nil && identity.ValidVisitorID(c.Value) {
		visitor = c.Value
	} else {
		visitor = identity.NewVisitorID()
	}
	clickID := identity.NewClickID(visitor)
	target, err := appendParams(dest, clickID, visitor)
	if err != nil {
		edge.WriteError(w, http.StatusInternalServerError, "bad destination")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     Cookie,
		Value:    visitor,
		Path:     "/",
		Domain:   t.cfg.CookieDomain,
		MaxAge:   int(t.cfg.CookieMaxAge / time.Second),
		Secure:   t.secure(r),
		SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer-when-downgrade")

	code, err := promocode.Normalize(r.PathValue("code"))
	entry, known := schemas.Code{}, false
	if err == nil {
		entry, known = t.codes.Get(code)
	}
	if !known {
		t.Stats.UnknownCodes.Add(1)
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	if r.Method == http.MethodHead {
		// A HEAD (link checkers, unfurlers, prefetchers) is answered like
		// the GET but records no click: nobody followed the link.
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	now := t.clock()
	isBot, reason := Bot(r)
	aff := entry.AffiliateID
	if claimed := r.URL.Query().Get(ParamAffiliate); claimed != "" && validAffiliateID(claimed) && claimed != aff {
		// Another affiliate promoting the code: credited when the registry
		// allows it, else recorded so that the processor says why it does
		// not qualify.
		aff = claimed
		if !AllowedToPromote(entry, claimed) {
			t.Stats.NotAllowed.Add(1)
		}
	}
	c := &schemas.Click{
		EventID:       schemas.ID("click", clickID),
		ClickID:       clickID,
		VisitorID:     visitor,
		Code:          &code,
		AffiliateID:   &aff,
		DestinationID: &destID,
		LandingURL:    &dest,
		Referrer:      checkout.Optional(scrubbed(r.Referer())),
		IPHash:        checkout.Optional(t.hasher.IP(t.clientIP(r))),
		UserAgent:     checkout.Optional(truncate(r.UserAgent(), 512)),
		IsBot:         isBot,
		BotReason:     checkout.Optional(reason),
		Source:        "redirect",
		OccurredAt:    now,
		ReceivedAt:    now,
	}
	ctx, cancel := context.WithTimeout(r.Context(), t.cfg.PublishTimeout)
	defer cancel()
	if err := t.pub.Publish(ctx, publish.Event{Topic: t.topics.Clicks, Key: visitor, Value: c}); err != nil {
		t.Stats.Unrecorded.Add(1)
		t.log.Warn("click not recorded; redirecting anyway", zap.String("click_id", clickID), zap.String("code", code), zap.Error(err))
	} else {
		t.Stats.Recorded.Add(1)
		if isBot {
			t.Stats.Bots.Add(1)
		}
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// AllowedToPromote reports whether affiliateID may promote entry's code:
// its owner, or an affiliate in its allowed_affiliates.
func AllowedToPromote(entry schemas.Code, affiliateID string) bool {
	return affiliateID == entry.AffiliateID || slices.Contains(entry.AllowedAffiliates, affiliateID)
}

// validAffiliateID accepts what an affiliate id can be: 1 to 128 printable
// ASCII bytes without spaces.
func validAffiliateID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// appendParams adds the click and visitor ids to dest's query, keeping its
// own parameters.
func appendParams(dest, clickID, visitor string) (string, error) {
	u, err := url.Parse(dest)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set(ParamClick, clickID)
	q.Set(ParamVisitor, visitor)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func (t *Tracker) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return t.cfg.TrustForwarded && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (t *Tracker) clientIP(r *http.Request) string {
	if t.cfg.TrustForwarded {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			return strings.TrimSpace(first)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// scrubbed is a browser-reported URL without what may identify the
// shopper (see urlscrub); "" when it is not a URL or is over 2 KiB.
func scrubbed(raw string) string {
	if len(raw) > maxURL {
		return ""
	}
	return urlscrub.Lenient(raw)
}

// maxURL is the longest landing URL or referrer kept.
const maxURL = 2048

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
