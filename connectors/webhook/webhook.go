package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/hmacsig"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/schemas"
)

var (
	// ErrPayload wraps errors about a body that cannot be mapped.
	ErrPayload = errors.New("webhook: invalid payload")
	// ErrTemporary wraps errors that say nothing about the delivery itself
	// (a lookup the mapping needs is unreachable): the handler answers 503
	// so the platform delivers again later, and nothing is published
	// half-mapped.
	ErrTemporary = errors.New("webhook: temporarily unable to process")
)

// RetryDelayer is implemented by temporary errors that know when to retry.
type RetryDelayer interface {
	RetryDelay() time.Duration
}

// Store is one connected store of a platform.
type Store struct {
	// ID names the store in events (shop domain, site URL, account id).
	ID string
	// Secret is the webhook signing secret.
	Secret string
}

// Delivery is a verified webhook request.
type Delivery struct {
	Store  Store
	Header http.Header
	Body   []byte
	// Now is the time the request was received (UTC, millisecond).
	Now time.Time
	// ctx is the request's context: lookups a mapping makes end with it.
	ctx context.Context
}

// NewDelivery returns a delivery bound to ctx (the request's context).
func NewDelivery(ctx context.Context, store Store, h http.Header, body []byte, now time.Time) Delivery {
	return Delivery{Store: store, Header: h, Body: body, Now: now, ctx: ctx}
}

// Context returns the request's context, Background when unset (tests).
func (d Delivery) Context() context.Context {
	if d.ctx == nil {
		return context.Background()
	}
	return d.ctx
}

// Result is what a delivery maps to.
type Result struct {
	// Events to publish; may be empty for a topic that carries nothing
	// to credit (e.g. an unpaid order).
	Events []publish.Event
	// Ignored, when set, says why the delivery's topic is not used; the
	// handler answers 202 and logs it.
	Ignored string
}

// Platform is one store platform's webhook scheme.
type Platform interface {
	// Name is the platform name used in events and paths, e.g. "shopify".
	Name() string
	// StoreHint returns the store id the request claims to come from
	// (e.g. X-Shopify-Shop-Domain), or "" when the platform does not say.
	// It only orders the secrets tried; it is never trusted alone.
	StoreHint(h http.Header) string
	// Verify checks the request's signature with secret against the raw
	// body; now is for timestamp tolerance. It must compare in constant
	// time and return an error wrapping hmacsig.ErrSignature or hmacsig.ErrStale.
	Verify(secret string, h http.Header, body []byte, now time.Time) error
	// Parse maps a verified delivery to events. Errors wrap ErrPayload.
	Parse(d Delivery) (Result, error)
}

// PreVerifier is implemented by platforms that can refuse a request from
// its headers alone (no signature header): the handler asks it before
// reading the body, so an unsigned sender cannot hold a connection and an
// in-flight slot by trickling a body. contentLength is the declared body
// length, -1 when unknown.
type PreVerifier interface {
	PreVerify(h http.Header, contentLength int64) error
}

// Publisher publishes events and returns once Kafka acknowledged them.
type Publisher interface {
	Publish(ctx context.Context, events ...publish.Event) error
}

// Handler serves one platform's webhook endpoint.
type Handler struct {
	Platform  Platform
	Stores    []Store
	Publisher Publisher
	// DeadLetterTopic receives correctly signed deliveries whose content
	// cannot be used (ErrPayload: an unsupported shape, a bad amount, an
	// event time out of range): the raw body as a schemas.DeadLetter with
	// the reason, and the delivery is answered 200 with the dead letter's
	// event id, so the platform does not retry it or disable the
	// endpoint. Required: when empty such a delivery is answered 503 (the
	// platform delivers it again), never refused.
	DeadLetterTopic string
	// MaxBodyBytes caps a delivery. Default 1 MiB.
	MaxBodyBytes int64
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Observe, when set, is told the outcome of every request
	// ("ok", "ignored", "bad_signature", "stale", "dead_letter",
	// "too_large", "unreadable", "unavailable", "no_store", "temporary")
	// for metrics.
	Observe func(platform, outcome string, publishLatency time.Duration)
	// Logger receives the handler's logs. Default zap.NewNop().
	Logger *zap.Logger
	// WarnEvery bounds the "webhook rejected" warnings of refused
	// signatures to one per period; the rest are counted and the count is
	// logged with the next one. Default 1m.
	WarnEvery time.Duration

	rejectedLog rateLimited
}

// RouteClass implements edge.Classed: webhooks have their own in-flight
// pool and count against the per-client limit until verified.
func (h *Handler) RouteClass() edge.Class { return edge.ClassWebhook }

func (h *Handler) observe(outcome string, d time.Duration) {
	if h.Observe != nil {
		h.Observe(h.Platform.Name(), outcome, d)
	}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.Logger
	if log == nil {
		log = zap.NewNop()
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	max := h.MaxBodyBytes
	if max == 0 {
		max = 1 << 20
	}
	received := now().UTC().Truncate(time.Millisecond)
	// What the headers alone decide is decided before the body is read.
	if len(h.Stores) == 0 {
		h.observe("no_store", 0)
		edge.Refuse(w, r, http.StatusServiceUnavailable, h.Platform.Name()+" webhooks are not configured: no store secret")
		return
	}
	if pv, ok := h.Platform.(PreVerifier); ok {
		if err := pv.PreVerify(r.Header, r.ContentLength); err != nil {
			h.rejected(log, "bad_signature", err, received)
			edge.Refuse(w, r, http.StatusUnauthorized, err.Error())
			return
		}
	}
	body, err := edge.ReadBody(w, r, max)
	if err != nil {
		outcome := "too_large"
		if !errors.Is(err, edge.ErrBodyTooLarge) {
			outcome = "unreadable" // cut off (the body timeout) or broken framing
		}
		h.observe(outcome, 0)
		return
	}
	store, err := h.verify(r.Header, body, received)
	if err != nil {
		outcome := "bad_signature"
		if errors.Is(err, hmacsig.ErrStale) {
			outcome = "stale"
		}
		h.rejected(log, outcome, err, received)
		edge.WriteError(w, http.StatusUnauthorized, err.Error())
		return
	}
	var res Result
	if utf8.Valid(body) {
		res, err = h.Platform.Parse(NewDelivery(r.Context(), store, r.Header, body, received))
	} else {
		// Platforms send JSON from proper encoders; invalid UTF-8 is
		// refused rather than decoded into replacement characters.
		err = fmt.Errorf("%w: body is not valid UTF-8", ErrPayload)
	}
	if errors.Is(err, ErrTemporary) {
		h.observe("temporary", 0)
		log.Warn("webhook deferred", zap.String("platform", h.Platform.Name()), zap.String("store", store.ID), zap.Error(err))
		retry := 30 * time.Second
		var ra RetryDelayer
		if errors.As(err, &ra) && ra.RetryDelay() > 0 {
			retry = ra.RetryDelay()
		}
		w.Header().Set("Retry-After", fmt.Sprint(int(retry.Round(time.Second)/time.Second)))
		edge.WriteError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	if err != nil {
		h.deadLetter(w, r, log, store, body, received, err)
		return
	}
	if res.Ignored != "" {
		h.observe("ignored", 0)
		log.Info("webhook ignored", zap.String("platform", h.Platform.Name()), zap.String("store", store.ID), zap.String("reason", res.Ignored))
		edge.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "ignored", "reason": res.Ignored})
		return
	}
	start := time.Now()
	if err := h.Publisher.Publish(r.Context(), res.Events...); err != nil {
		h.observe("unavailable", time.Since(start))
		log.Warn("webhook not stored", zap.String("platform", h.Platform.Name()), zap.Error(err))
		w.Header().Set("Retry-After", "5")
		edge.WriteError(w, http.StatusServiceUnavailable, "event not stored: kafka unavailable, retry later")
		return
	}
	h.observe("ok", time.Since(start))
	ids := make([]string, 0, len(res.Events))
	for _, ev := range res.Events {
		if id, ok := eventID(ev.Value); ok {
			ids = append(ids, id)
		}
	}
	edge.WriteJSON(w, http.StatusOK, map[string]any{"status": "accepted", "event_ids": ids})
}

// deadLetter publishes a correctly signed delivery whose content cannot
// be used to the dead-letter topic and answers 200 once Kafka has it.
func (h *Handler) deadLetter(w http.ResponseWriter, r *http.Request, log *zap.Logger, store Store, body []byte, received time.Time, cause error) {
	name := h.Platform.Name()
	if h.DeadLetterTopic == "" {
		h.observe("unavailable", 0)
		log.Error("webhook payload unusable and no dead-letter topic configured", zap.String("platform", name), zap.Error(cause))
		w.Header().Set("Retry-After", "60")
		edge.WriteError(w, http.StatusServiceUnavailable, "event not stored: no dead-letter topic configured, retry later")
		return
	}
	sum := sha256.Sum256(body)
	dl := &schemas.DeadLetter{
		// A redelivery of the same body has the same id.
		EventID:    schemas.ID("webhook", name, store.ID, hex.EncodeToString(sum[:])),
		Source:     "webhook/" + name,
		Stage:      "edge",
		Key:        []byte(store.ID),
		Value:      body,
		Reason:     deadLetterReason(cause, r.Header),
		OccurredAt: received,
	}
	start := time.Now()
	if err := h.Publisher.Publish(r.Context(), publish.Event{Topic: h.DeadLetterTopic, Key: store.ID, Value: dl}); err != nil {
		h.observe("unavailable", time.Since(start))
		log.Warn("webhook dead letter not stored", zap.String("platform", name), zap.Error(err))
		w.Header().Set("Retry-After", "5")
		edge.WriteError(w, http.StatusServiceUnavailable, "event not stored: kafka unavailable, retry later")
		return
	}
	h.observe("dead_letter", time.Since(start))
	log.Warn("webhook payload dead-lettered", zap.String("platform", name), zap.String("store", store.ID),
		zap.String("event_id", dl.EventID), zap.Error(cause))
	edge.WriteJSON(w, http.StatusOK, map[string]any{"status": "dead_lettered", "reason": cause.Error(),
		"dead_letter_topic": h.DeadLetterTopic, "event_id": dl.EventID})
}

// deadLetterReason is the error, then the request headers that name the
// event (X-Shopify-Topic, X-WC-Webhook-Topic, ...), which a replay of the
// raw body needs.
func deadLetterReason(cause error, hd http.Header) string {
	var b strings.Builder
	b.WriteString(cause.Error())
	names := make([]string, 0, len(hd))
	for k := range hd {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "topic") || strings.Contains(lk, "event") || strings.Contains(lk, "resource") {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(&b, "; %s: %s", k, hd.Get(k))
	}
	return b.String()
}

// rejected counts a refused signature and logs it, at most once per
// WarnEvery.
func (h *Handler) rejected(log *zap.Logger, outcome string, err error, now time.Time) {
	h.observe(outcome, 0)
	every := h.WarnEvery
	if every == 0 {
		every = time.Minute
	}
	if ok, suppressed := h.rejectedLog.allow(now, every); ok {
		log.Warn("webhook rejected", zap.String("platform", h.Platform.Name()), zap.String("reason", err.Error()),
			zap.Int64("suppressed", suppressed))
	}
}

// verify tries the hinted store first, then every other store, and returns
// the store whose secret verifies. Stale beats bad signature in the error,
// since it says more.
func (h *Handler) verify(hd http.Header, body []byte, now time.Time) (Store, error) {
	hint := h.Platform.StoreHint(hd)
	order := make([]Store, 0, len(h.Stores))
	for _, s := range h.Stores {
		if s.ID == hint {
			order = append([]Store{s}, order...)
		} else {
			order = append(order, s)
		}
	}
	var firstErr error
	for _, s := range order {
		err := h.Platform.Verify(s.Secret, hd, body, now)
		if err == nil {
			return s, nil
		}
		if firstErr == nil || errors.Is(err, hmacsig.ErrStale) {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%w: no store matched", hmacsig.ErrSignature)
	}
	return Store{}, firstErr
}

// eventID returns the EventID of a published record.
func eventID(v any) (string, bool) {
	switch x := v.(type) {
	case *schemas.Order:
		return x.EventID, true
	case *schemas.Refund:
		return x.EventID, true
	case *schemas.Click:
		return x.EventID, true
	}
	return "", false
}
