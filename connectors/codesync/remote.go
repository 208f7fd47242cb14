package codesync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/apiclient"
	"github.com/heldsway/heldsway/schemas"
)

// Remote is one store on one platform: the five operations the Syncer
// needs, over the platform's documented API. Implementations make plain
// HTTP calls and do not retry; the Syncer retries a whole step (look up,
// then act) so that a retried create finds what the first attempt made.
type Remote interface {
	// Platform is one of registry.Platforms.
	Platform() string
	// StoreID is the store's id, as in PlatformSync.StoreID.
	StoreID() string
	// Want maps c to the coupon the store should hold at now, leaving out
	// what the platform cannot express. It fails, before any request, for
	// a code the platform would reject (a *FieldError naming the field).
	Want(c *schemas.Code, now time.Time) (Coupon, error)
	// Find looks the code up (the form Want gives) and reports whether the
	// store holds it: the idempotency key of every create.
	Find(ctx context.Context, code string) (Coupon, bool, error)
	// Create makes want in the store. key is stable for one version of one
	// code, for platforms with idempotency keys.
	Create(ctx context.Context, want Coupon, key string) (Coupon, error)
	// Update makes the store's coupon have (as Find returned it) equal want,
	// active again if it was not.
	Update(ctx context.Context, have, want Coupon, key string) (Coupon, error)
	// Deactivate stops the store accepting the code, keeping its history.
	Deactivate(ctx context.Context, have Coupon) (Coupon, error)
	// Delete removes the code from the store (or, where the platform cannot
	// delete, deactivates it for good).
	Delete(ctx context.Context, have Coupon) error
	// List calls fn with every coupon of the store, for import.
	List(ctx context.Context, fn func(Coupon) error) error
}

// Coupon is a code as one store holds it, in registry terms: discounts in
// basis points or minor units, times in UTC. Fields a platform cannot
// express stay zero on both sides, so comparing what a store has with what
// Want gives only looks at what the platform can hold.
type Coupon struct {
	// ID is the store's id of the code, recorded as PlatformSync.RemoteID:
	// Shopify discount code id, WooCommerce coupon id, Stripe promotion code
	// id, Paddle discount id.
	ID string
	// Parent is the store object holding the discount where it is not the
	// code itself: the Shopify price rule id, the Stripe coupon id.
	Parent string
	// Code as the store holds it (WooCommerce lower-cases codes).
	Code string
	// Active reports whether the store accepts the code: not deactivated,
	// archived or past its end.
	Active bool

	DiscountType  string // registry.Percent or registry.Fixed
	DiscountValue int64  // basis points (percent) or minor units (fixed)
	Currency      string // of fixed amounts and MinOrder; "" when the store does not say
	StartsAt      *time.Time
	EndsAt        *time.Time
	MaxUses       *int64
	// OncePerCustomer, MinOrder (minor units of Currency) and
	// FirstOrderOnly are as in schemas.Code.
	OncePerCustomer bool
	MinOrder        *int64
	FirstOrderOnly  bool

	// Unmapped says what the store's coupon carries that the registry
	// cannot hold (product restrictions, free shipping, ...); import skips
	// such coupons rather than lose the rule. "" when nothing.
	Unmapped string
}

// FieldError is a code a platform cannot take, naming the field (the CSV
// column) at fault. It wraps registry.ErrPlatform.
type FieldError struct {
	Platform string
	Field    string
	Message  string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Unwrap makes errors.Is(e, registry.ErrPlatform) work.
func (e *FieldError) Unwrap() error { return registry.ErrPlatform }

// capabilities say which parts of a code a platform can express.
// IDFinder is implemented by remotes that can read a coupon by the remote
// id the registry recorded for it, whatever its status: the sync asks it
// when Find did not find the code (a WooCommerce draft, which stores
// before wc/v3 honoured ?status= list only when published).
type IDFinder interface {
	FindID(ctx context.Context, id, code string) (Coupon, bool, error)
}

type capabilities struct {
	platform        string
	startsAt        bool   // schedules a start (Shopify); else a code is held back until valid_from
	oncePerCustomer bool   // limits uses per customer
	minOrder        bool   // minimum order amount
	firstOrderOnly  bool   // first orders only
	storeCurrency   string // the one currency of the store (Shopify, WooCommerce); "" unknown
	// positiveDiscount: the platform refuses a discount of 0 (Stripe's
	// percent_off must be above 0 and amount_off positive; Paddle's
	// percentage amount is 0.01 to 100 and a flat amount positive), so a
	// tracking-only code has no representation there.
	positiveDiscount bool
}

// want maps c to what a platform with caps should hold at now.
func want(c *schemas.Code, now time.Time, caps capabilities) (Coupon, error) {
	form, err := registry.ForPlatform(c.Code, caps.platform)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), registry.ErrPlatform.Error()+": ")
		return Coupon{}, &FieldError{Platform: caps.platform, Field: "code", Message: strings.TrimPrefix(msg, "promocode: ")}
	}
	if caps.positiveDiscount && c.DiscountValue <= 0 {
		return Coupon{}, &FieldError{Platform: caps.platform, Field: "discount_value", Message: fmt.Sprintf(
			"%d: a tracking-only code (no discount) cannot be synced: %s accepts only a discount above 0", c.DiscountValue, caps.platform)}
	}
	cur := deref(c.Currency)
	if caps.storeCurrency != "" && cur != "" && cur != caps.storeCurrency && (c.DiscountType == registry.Fixed || c.MinOrder != nil) {
		return Coupon{}, &FieldError{Platform: caps.platform, Field: "currency", Message: fmt.Sprintf("%s: the %s store sells in %s", cur, caps.platform, caps.storeCurrency)}
	}
	w := Coupon{
		Code:          form,
		DiscountType:  c.DiscountType,
		DiscountValue: c.DiscountValue,
		EndsAt:        seconds(c.ValidUntil),
		MaxUses:       clone(c.MaxUses),
	}
	if c.DiscountType == registry.Fixed || caps.minOrder && c.MinOrder != nil {
		w.Currency = cur
	}
	if caps.startsAt {
		w.StartsAt = seconds(c.ValidFrom)
	}
	if caps.oncePerCustomer {
		w.OncePerCustomer = c.OncePerCustomer
	}
	if caps.minOrder {
		w.MinOrder = clone(c.MinOrder)
	}
	if caps.firstOrderOnly {
		w.FirstOrderOnly = c.FirstOrderOnly
	}
	w.Active = c.Status == registry.StatusActive && !ended(w.EndsAt, now) && (caps.startsAt || !early(c, now))
	return w, nil
}

// early reports whether c is active but its validity has not started.
func early(c *schemas.Code, now time.Time) bool {
	return c.Status == registry.StatusActive && c.ValidFrom != nil && now.Before(*c.ValidFrom)
}

func ended(end *time.Time, now time.Time) bool { return end != nil && !now.Before(*end) }

// diff lists the fields in which have differs from want; empty when the
// store holds what it should. A want without a start is met by any start
// already past.
func diff(have, want Coupon, now time.Time) []string {
	var d []string
	add := func(ok bool, field string) {
		if !ok {
			d = append(d, field)
		}
	}
	add(have.Active == want.Active, "active")
	add(have.DiscountType == want.DiscountType && have.DiscountValue == want.DiscountValue, "discount")
	add(have.Currency == "" || want.Currency == "" || have.Currency == want.Currency, "currency")
	if want.StartsAt == nil {
		add(have.StartsAt == nil || !have.StartsAt.After(now), "starts_at")
	} else {
		add(eqTime(have.StartsAt, want.StartsAt), "starts_at")
	}
	add(eqTime(have.EndsAt, want.EndsAt), "ends_at")
	add(eqPtr(have.MaxUses, want.MaxUses), "max_uses")
	add(have.OncePerCustomer == want.OncePerCustomer, "once_per_customer")
	add(eqPtr(have.MinOrder, want.MinOrder), "min_order")
	add(have.FirstOrderOnly == want.FirstOrderOnly, "first_order_only")
	return d
}

func eqTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Truncate(time.Second).Equal(b.Truncate(time.Second))
}

func eqPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func clone[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// seconds truncates t to whole seconds in UTC, the precision every
// platform keeps.
func seconds(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC().Truncate(time.Second)
	return &v
}

// APIError is a platform's non-2xx answer.
type APIError struct {
	Platform string
	Method   string
	Path     string
	Status   int
	// Message is the platform's error text, from its error JSON.
	Message string
	// RetryAfter is the Retry-After header, raw ("" when absent).
	RetryAfter string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s answered %d to %s %s: %s", e.Platform, e.Status, e.Method, e.Path, msg)
}

// Temporary reports whether the same request may succeed later: rate
// limited (429) or a server error (5xx).
func (e *APIError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// IsNotFound reports whether err is a platform's 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// userAgent is sent with every request the sync makes.
const userAgent = "heldsway-codes-sync"

// DefaultRemoteTimeout bounds one request of a remote to its store, answer
// read included, when its config gives no HTTPClient: every platform's
// sync calls (Stripe and Paddle too, which send through the webhook side's
// API clients with a timeout of their own). Store APIs answer a write
// more slowly than a lookup, and a sync is no request a customer waits on.
const DefaultRemoteTimeout = 30 * time.Second

// client is the HTTP plumbing of the Shopify and WooCommerce remotes:
// apiclient's, with the answers put in the terms the syncer retries by.
// (Stripe and Paddle send through their platform's API client, shared with
// the webhook side.)
type client struct {
	platform string
	http     apiclient.HTTP
}

// bodyAnswer is an answer outside 2xx whose reason the remote read from
// its body.
type bodyAnswer struct {
	*apiclient.StatusError
	reason string
}

// Reason implements apiclient.Answered.
func (a *bodyAnswer) Reason() string { return a.reason }

var _ apiclient.Answered = (*bodyAnswer)(nil)

// newClient returns the client of platform's API at base; auth sets the
// authentication headers.
func newClient(platform, base string, hc *http.Client, auth func(http.Header), message func([]byte) string) (*client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sync: %s: invalid API base URL %q", platform, base)
	}
	if hc == nil {
		hc = &http.Client{Timeout: DefaultRemoteTimeout}
	}
	h := http.Header{"User-Agent": {userAgent}}
	auth(h)
	read := func(se *apiclient.StatusError) error {
		return &bodyAnswer{StatusError: se, reason: message([]byte(se.Body))}
	}
	return &client{platform: platform, http: apiclient.HTTP{Platform: platform, BaseURL: strings.TrimRight(base, "/"), Client: hc, Header: h, ReadError: read}}, nil
}

// request is one API call.
type request struct {
	method string
	path   string
	query  url.Values
	json   any        // body as JSON
	form   url.Values // body form-encoded
	header http.Header
}

// do sends r and decodes a 2xx body into out (when not nil). It returns the
// response headers (for pagination), an *APIError for other statuses and a
// transportError when there was no answer.
func (c *client) do(ctx context.Context, r request, out any) (http.Header, error) {
	h, err := c.http.Do(ctx, apiclient.Request{Method: r.method, Path: r.path, Query: r.query, Form: r.form, JSON: r.json, Header: r.header}, out)
	return h, apiError(c.platform, err)
}

// apiError puts a platform API client's failure in the terms the syncer
// retries by: an answer outside 2xx (apiclient.Answered) is an *APIError
// carrying the platform's reason, no answer a transportError; anything
// else is returned as it is.
func apiError(platform string, err error) error {
	var ae apiclient.Answered
	var te *apiclient.TransportError
	switch {
	case errors.As(err, &ae):
		a := ae.Answer()
		return &APIError{Platform: platform, Method: a.Method, Path: a.Path, Status: a.Status, Message: ae.Reason(), RetryAfter: a.RetryAfter}
	case errors.As(err, &te):
		return transportError{err}
	}
	return err
}

// bpDecimal renders basis points as a percentage: 1000 -> "10", 1250 ->
// "12.5", 1 -> "0.01".
func bpDecimal(bp int64) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
