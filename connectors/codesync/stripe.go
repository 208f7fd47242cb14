package codesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/stripe/stripeapi"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

const (
	// DefaultStripeURL is the Stripe API.
	DefaultStripeURL = stripeapi.DefaultBaseURL
	// DefaultStripeVersion is the API version requests are pinned to
	// (Stripe-Version): promotion codes name their coupon as
	// promotion[coupon] since 2025-09-30.clover.
	DefaultStripeVersion = "2026-08-26.dahlia"
)

// StripeConfig configures a Stripe account.
type StripeConfig struct {
	// StoreID is the account id (acct_...) or the store's id in the
	// stores file. Required.
	StoreID string
	// BaseURL of the API. Default DefaultStripeURL.
	BaseURL string
	// SecretKey is a secret or restricted key with write access to
	// coupons and promotion codes. Required.
	SecretKey string
	// Version is sent as Stripe-Version. Default DefaultStripeVersion.
	Version string
	// Duration of the coupons created: once (the first payment only),
	// forever, or repeating for DurationInMonths. Default once.
	Duration         string
	DurationInMonths int
	// HTTPClient sends the requests. Default: stripeapi's, with a
	// Timeout timeout.
	HTTPClient *http.Client
	// Timeout bounds one request, answer read included, when HTTPClient
	// is nil. Default DefaultRemoteTimeout (30s), the sync's own, not the
	// webhook side's stripeapi.DefaultTimeout.
	Timeout time.Duration
}

// Stripe syncs codes as promotion codes of coupons. The coupon carries the
// discount and is shared by every code of the same registry coupon and
// discount (id "hs-<coupon>-<discount>"); the promotion code carries the
// code and its limits.
type Stripe struct {
	cfg StripeConfig
	api *stripeapi.Client
	now func() time.Time
}

var (
	_ Remote      = (*Stripe)(nil)
	_ softDeleter = (*Stripe)(nil)
)

func (*Stripe) softDelete() {}

// NewStripe returns the remote for one account.
func NewStripe(cfg StripeConfig) (*Stripe, error) {
	if cfg.StoreID == "" || cfg.SecretKey == "" {
		return nil, errors.New("sync: stripe store id and secret key are required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultStripeURL
	}
	if cfg.Version == "" {
		cfg.Version = DefaultStripeVersion
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultRemoteTimeout
	}
	switch cfg.Duration {
	case "":
		cfg.Duration = "once"
	case "once", "forever":
	case "repeating":
		if cfg.DurationInMonths < 1 {
			return nil, errors.New("sync: stripe repeating coupons need duration in months")
		}
	default:
		return nil, fmt.Errorf("sync: stripe coupon duration %q: want once, forever or repeating", cfg.Duration)
	}
	api, err := stripeapi.New(stripeapi.Config{BaseURL: cfg.BaseURL, Key: cfg.SecretKey, Version: cfg.Version, UserAgent: userAgent,
		HTTPClient: cfg.HTTPClient, Timeout: cfg.Timeout})
	if err != nil {
		return nil, fmt.Errorf("sync: stripe: %w", err)
	}
	return &Stripe{cfg: cfg, api: api, now: time.Now}, nil
}

// Platform implements Remote.
func (s *Stripe) Platform() string { return registry.PlatformStripe }

// StoreID implements Remote.
func (s *Stripe) StoreID() string { return s.cfg.StoreID }

// Want implements Remote. Promotion codes have no start date and no
// per-customer limit; Parent is the coupon id.
func (s *Stripe) Want(c *schemas.Code, now time.Time) (Coupon, error) {
	w, err := want(c, now, capabilities{platform: registry.PlatformStripe, minOrder: true, firstOrderOnly: true, positiveDiscount: true})
	if err != nil {
		return w, err
	}
	w.Parent = stripeCouponID(c.CouponID, w)
	return w, nil
}

// stripeCouponID names the coupon of a registry coupon and discount:
// "hs-percent-10-p1000", "hs-launch-f500usd".
func stripeCouponID(coupon string, w Coupon) string {
	var b strings.Builder
	b.WriteString("hs-")
	for _, r := range coupon {
		if b.Len() >= 100 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if w.DiscountType == registry.Percent {
		fmt.Fprintf(&b, "-p%d", w.DiscountValue)
	} else {
		fmt.Fprintf(&b, "-f%d%s", w.DiscountValue, strings.ToLower(w.Currency))
	}
	return b.String()
}

type stripeCoupon struct {
	ID               string   `json:"id"`
	PercentOff       *float64 `json:"percent_off"`
	AmountOff        *int64   `json:"amount_off"`
	Currency         string   `json:"currency"`
	Duration         string   `json:"duration"`
	DurationInMonths *int     `json:"duration_in_months"`
	Valid            *bool    `json:"valid"`
	AppliesTo        *struct {
		Products []string `json:"products"`
	} `json:"applies_to"`
}

type stripePromo struct {
	ID             string  `json:"id"`
	Code           string  `json:"code"`
	Active         bool    `json:"active"`
	ExpiresAt      *int64  `json:"expires_at"`
	MaxRedemptions *int64  `json:"max_redemptions"`
	Customer       *string `json:"customer"`
	Restrictions   struct {
		FirstTimeTransaction  bool    `json:"first_time_transaction"`
		MinimumAmount         *int64  `json:"minimum_amount"`
		MinimumAmountCurrency *string `json:"minimum_amount_currency"`
	} `json:"restrictions"`
	Promotion struct {
		Type   string          `json:"type"`
		Coupon json.RawMessage `json:"coupon"` // id, or the object when expanded
	} `json:"promotion"`
}

func (s *Stripe) coupon(p stripePromo) Coupon {
	c := Coupon{ID: p.ID, Code: p.Code, Active: p.Active, MaxUses: p.MaxRedemptions, FirstOrderOnly: p.Restrictions.FirstTimeTransaction}
	var unmapped []string
	if p.ExpiresAt != nil {
		t := time.Unix(*p.ExpiresAt, 0).UTC()
		c.EndsAt = &t
		if ended(c.EndsAt, s.now()) {
			c.Active = false
		}
	}
	if p.Restrictions.MinimumAmount != nil {
		c.MinOrder = p.Restrictions.MinimumAmount
		c.Currency = strings.ToUpper(deref(p.Restrictions.MinimumAmountCurrency))
	}
	if p.Customer != nil && *p.Customer != "" {
		unmapped = append(unmapped, "customer")
	}
	var cp stripeCoupon
	if json.Unmarshal(p.Promotion.Coupon, &cp) != nil {
		var id string
		_ = json.Unmarshal(p.Promotion.Coupon, &id)
		cp.ID = id
		unmapped = append(unmapped, "coupon not expanded")
	}
	c.Parent = cp.ID
	switch {
	case cp.PercentOff != nil:
		c.DiscountType, c.DiscountValue = registry.Percent, int64(math.Round(*cp.PercentOff*100))
	case cp.AmountOff != nil:
		c.DiscountType, c.DiscountValue = registry.Fixed, *cp.AmountOff
		cur := strings.ToUpper(cp.Currency)
		if c.Currency != "" && c.Currency != cur {
			unmapped = append(unmapped, "minimum amount currency differs from coupon currency")
		}
		c.Currency = cur
	case cp.ID != "":
		unmapped = append(unmapped, "coupon "+cp.ID+" has no percent_off or amount_off")
	}
	if cp.Valid != nil && !*cp.Valid {
		c.Active = false
	}
	if cp.Duration != "" && cp.Duration != s.cfg.Duration {
		unmapped = append(unmapped, "coupon duration "+cp.Duration)
	}
	if cp.AppliesTo != nil && len(cp.AppliesTo.Products) > 0 {
		unmapped = append(unmapped, "coupon applies_to products")
	}
	sort.Strings(unmapped)
	c.Unmapped = strings.Join(unmapped, ", ")
	return c
}

// Find implements Remote with GET /v1/promotion_codes?code= (case
// insensitive), preferring the active code among those with the same text.
func (s *Stripe) Find(ctx context.Context, code string) (Coupon, bool, error) {
	var list struct {
		Data []stripePromo `json:"data"`
	}
	q := url.Values{"code": {code}, "limit": {"100"}, "expand[]": {"data.promotion.coupon"}}
	if _, err := s.do(ctx, stripeapi.Request{Method: http.MethodGet, Path: "/v1/promotion_codes", Query: q}, &list); err != nil {
		return Coupon{}, false, fmt.Errorf("looking up stripe promotion code %s: %w", code, err)
	}
	var found *stripePromo
	for i := range list.Data {
		p := &list.Data[i]
		if !strings.EqualFold(p.Code, code) {
			continue
		}
		if found == nil || p.Active && !found.Active {
			found = p
		}
	}
	if found == nil {
		return Coupon{}, false, nil
	}
	return s.coupon(*found), true, nil
}

// ensureCoupon creates the coupon want.Parent unless it exists.
func (s *Stripe) ensureCoupon(ctx context.Context, want Coupon) error {
	_, err := s.do(ctx, stripeapi.Request{Method: http.MethodGet, Path: "/v1/coupons/" + url.PathEscape(want.Parent)}, nil)
	if err == nil {
		return nil
	}
	if !IsNotFound(err) {
		return fmt.Errorf("getting stripe coupon %s: %w", want.Parent, err)
	}
	h := http.Header{"Idempotency-Key": {"heldsway-coupon-" + want.Parent}}
	_, err = s.do(ctx, stripeapi.Request{Method: http.MethodPost, Path: "/v1/coupons", Form: s.couponForm(want), Header: h}, nil)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest && strings.Contains(ae.Message, "resource_already_exists") {
		return nil // made meanwhile
	}
	if err != nil {
		return fmt.Errorf("creating stripe coupon %s: %w", want.Parent, err)
	}
	return nil
}

// couponForm is the POST /v1/coupons body for want.
func (s *Stripe) couponForm(want Coupon) url.Values {
	f := url.Values{"id": {want.Parent}, "duration": {s.cfg.Duration}, "name": {couponName(want)}}
	if s.cfg.Duration == "repeating" {
		f.Set("duration_in_months", strconv.Itoa(s.cfg.DurationInMonths))
	}
	if want.DiscountType == registry.Percent {
		f.Set("percent_off", bpDecimal(want.DiscountValue))
	} else {
		f.Set("amount_off", strconv.FormatInt(want.DiscountValue, 10))
		f.Set("currency", strings.ToLower(want.Currency))
	}
	return f
}

// couponName is the coupon's dashboard name (at most 40 characters).
func couponName(w Coupon) string {
	n := bpDecimal(w.DiscountValue) + "% off"
	if w.DiscountType == registry.Fixed {
		n = money.Format(w.DiscountValue, w.Currency) + " " + w.Currency + " off"
	}
	return n
}

// Create implements Remote: the coupon when missing, then POST
// /v1/promotion_codes with promotion[type]=coupon, sent with the
// Idempotency-Key key so a retried create cannot make a second code.
func (s *Stripe) Create(ctx context.Context, want Coupon, key string) (Coupon, error) {
	if err := s.ensureCoupon(ctx, want); err != nil {
		return Coupon{}, err
	}
	f := url.Values{
		"promotion[type]":   {"coupon"},
		"promotion[coupon]": {want.Parent},
		"code":              {want.Code},
		"active":            {strconv.FormatBool(want.Active)},
		"expand[]":          {"promotion.coupon"},
		"metadata[source]":  {"heldsway"},
	}
	if want.MaxUses != nil {
		f.Set("max_redemptions", strconv.FormatInt(*want.MaxUses, 10))
	}
	if want.EndsAt != nil {
		f.Set("expires_at", strconv.FormatInt(want.EndsAt.Unix(), 10))
	}
	if want.FirstOrderOnly {
		f.Set("restrictions[first_time_transaction]", "true")
	}
	if want.MinOrder != nil {
		f.Set("restrictions[minimum_amount]", strconv.FormatInt(*want.MinOrder, 10))
		f.Set("restrictions[minimum_amount_currency]", strings.ToLower(want.Currency))
	}
	var p stripePromo
	h := http.Header{"Idempotency-Key": {key}}
	if _, err := s.do(ctx, stripeapi.Request{Method: http.MethodPost, Path: "/v1/promotion_codes", Form: f, Header: h}, &p); err != nil {
		return Coupon{}, fmt.Errorf("creating stripe promotion code %s: %w", want.Code, err)
	}
	return s.coupon(p), nil
}

// Update implements Remote. Only active can change on a promotion code
// and nothing of the discount on a coupon, so any other change replaces
// the code: the old one is deactivated (it keeps its redemptions) and a new
// one with the same text is created; its id becomes the RemoteID.
func (s *Stripe) Update(ctx context.Context, have, want Coupon, key string) (Coupon, error) {
	only := have
	only.Active = want.Active
	if len(diff(only, want, s.now())) == 0 && have.Parent == want.Parent {
		return s.setActive(ctx, have, want.Active)
	}
	if have.Active {
		if _, err := s.setActive(ctx, have, false); err != nil {
			return Coupon{}, err
		}
	}
	return s.Create(ctx, want, key+"-replace")
}

// Deactivate implements Remote with POST /v1/promotion_codes/{id}
// active=false.
func (s *Stripe) Deactivate(ctx context.Context, have Coupon) (Coupon, error) {
	return s.setActive(ctx, have, false)
}

func (s *Stripe) setActive(ctx context.Context, have Coupon, active bool) (Coupon, error) {
	var p stripePromo
	f := url.Values{"active": {strconv.FormatBool(active)}, "expand[]": {"promotion.coupon"}}
	if _, err := s.do(ctx, stripeapi.Request{Method: http.MethodPost, Path: "/v1/promotion_codes/" + url.PathEscape(have.ID), Form: f}, &p); err != nil {
		return Coupon{}, fmt.Errorf("setting stripe promotion code %s (%s) active=%t: %w", have.Code, have.ID, active, err)
	}
	return s.coupon(p), nil
}

// Delete implements Remote. Stripe cannot delete a promotion code: it is
// deactivated for good. Its coupon stays (other codes may share it).
func (s *Stripe) Delete(ctx context.Context, have Coupon) error {
	if !have.Active {
		return nil
	}
	_, err := s.setActive(ctx, have, false)
	return err
}

// List implements Remote: every promotion code with its coupon, 100 a
// page.
func (s *Stripe) List(ctx context.Context, fn func(Coupon) error) error {
	after := ""
	for {
		var page struct {
			Data    []stripePromo `json:"data"`
			HasMore bool          `json:"has_more"`
		}
		q := url.Values{"limit": {"100"}, "expand[]": {"data.promotion.coupon"}}
		if after != "" {
			q.Set("starting_after", after)
		}
		if _, err := s.do(ctx, stripeapi.Request{Method: http.MethodGet, Path: "/v1/promotion_codes", Query: q}, &page); err != nil {
			return fmt.Errorf("listing stripe promotion codes: %w", err)
		}
		for _, p := range page.Data {
			if err := fn(s.coupon(p)); err != nil {
				return err
			}
		}
		if !page.HasMore || len(page.Data) == 0 {
			return nil
		}
		after = page.Data[len(page.Data)-1].ID
	}
}

// do sends r through the Stripe API client the webhook side uses too, its
// failures in the terms the syncer retries by (apiError).
func (s *Stripe) do(ctx context.Context, r stripeapi.Request, out any) (http.Header, error) {
	h, err := s.api.Do(ctx, r, out)
	return h, apiError(registry.PlatformStripe, err)
}
