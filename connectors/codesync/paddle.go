package codesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/paddle/paddleapi"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

// DefaultPaddleURL is the Paddle Billing API (sandbox:
// https://sandbox-api.paddle.com).
const DefaultPaddleURL = paddleapi.DefaultBaseURL

// PaddleConfig configures a Paddle account.
type PaddleConfig struct {
	// StoreID is the store's id in the stores file. Required.
	StoreID string
	// BaseURL of the API. Default DefaultPaddleURL.
	BaseURL string
	// APIKey with discount.read and discount.write. Required.
	APIKey string
	// Recur makes discounts apply to subscription renewals too (for
	// MaxRecurringIntervals of them; 0 is every renewal). Default false:
	// the first payment only.
	Recur                 bool
	MaxRecurringIntervals int
	// HTTPClient sends the requests. Default: paddleapi's, with a
	// Timeout timeout.
	HTTPClient *http.Client
	// Timeout bounds one request, answer read included, when HTTPClient
	// is nil. Default DefaultRemoteTimeout (30s), the sync's own, not the
	// webhook side's paddleapi.DefaultTimeout.
	Timeout time.Duration
}

// Paddle syncs codes as Paddle Billing discounts enabled for checkout.
type Paddle struct {
	cfg PaddleConfig
	api *paddleapi.Client
	now func() time.Time
}

var (
	_ Remote      = (*Paddle)(nil)
	_ softDeleter = (*Paddle)(nil)
)

func (*Paddle) softDelete() {}

// NewPaddle returns the remote for one account.
func NewPaddle(cfg PaddleConfig) (*Paddle, error) {
	if cfg.StoreID == "" || cfg.APIKey == "" {
		return nil, errors.New("sync: paddle store id and API key are required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultPaddleURL
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultRemoteTimeout
	}
	if cfg.MaxRecurringIntervals < 0 {
		return nil, errors.New("sync: paddle max recurring intervals must not be negative")
	}
	api, err := paddleapi.New(paddleapi.Config{BaseURL: cfg.BaseURL, Key: cfg.APIKey, UserAgent: userAgent, HTTPClient: cfg.HTTPClient, Timeout: cfg.Timeout})
	if err != nil {
		return nil, fmt.Errorf("sync: paddle: %w", err)
	}
	return &Paddle{cfg: cfg, api: api, now: time.Now}, nil
}

// Platform implements Remote.
func (p *Paddle) Platform() string { return registry.PlatformPaddle }

// StoreID implements Remote.
func (p *Paddle) StoreID() string { return p.cfg.StoreID }

// Want implements Remote. Paddle discounts have a usage limit and an
// expiry, nothing per customer, no minimum order and no start date.
func (p *Paddle) Want(c *schemas.Code, now time.Time) (Coupon, error) {
	return want(c, now, capabilities{platform: registry.PlatformPaddle, positiveDiscount: true})
}

type paddleDiscount struct {
	ID                 string          `json:"id"`
	Status             string          `json:"status"`
	Code               *string         `json:"code"`
	Type               string          `json:"type"`
	Mode               string          `json:"mode"`
	Amount             string          `json:"amount"`
	CurrencyCode       *string         `json:"currency_code"`
	EnabledForCheckout bool            `json:"enabled_for_checkout"`
	Recur              bool            `json:"recur"`
	MaxRecurring       *int            `json:"maximum_recurring_intervals"`
	UsageLimit         *int64          `json:"usage_limit"`
	RestrictTo         []string        `json:"restrict_to"`
	ExpiresAt          *string         `json:"expires_at"`
	CustomData         json.RawMessage `json:"custom_data"`
}

func (p *Paddle) coupon(d paddleDiscount) Coupon {
	c := Coupon{ID: d.ID, Code: deref(d.Code), MaxUses: d.UsageLimit, Active: d.Status == "active" && d.EnabledForCheckout}
	var unmapped []string
	switch d.Type {
	case "percentage":
		bp, err := money.ParseScale(d.Amount, 2)
		if err != nil {
			unmapped = append(unmapped, "amount "+d.Amount)
		}
		c.DiscountType, c.DiscountValue = registry.Percent, bp
	case "flat":
		v, err := strconv.ParseInt(d.Amount, 10, 64)
		if err != nil {
			unmapped = append(unmapped, "amount "+d.Amount)
		}
		c.DiscountType, c.DiscountValue, c.Currency = registry.Fixed, v, deref(d.CurrencyCode)
	default:
		unmapped = append(unmapped, "type "+d.Type)
	}
	if d.ExpiresAt != nil && *d.ExpiresAt != "" {
		if t, ok := parsePaddleTime(*d.ExpiresAt); ok {
			c.EndsAt = &t
			if ended(c.EndsAt, p.now()) {
				c.Active = false
			}
		} else {
			unmapped = append(unmapped, "expires_at "+*d.ExpiresAt)
		}
	}
	if d.Code == nil || *d.Code == "" {
		unmapped = append(unmapped, "no code")
	}
	if !d.EnabledForCheckout {
		unmapped = append(unmapped, "not enabled for checkout")
	}
	if len(d.RestrictTo) > 0 {
		unmapped = append(unmapped, "restrict_to")
	}
	if d.Mode != "" && d.Mode != "standard" {
		unmapped = append(unmapped, "mode "+d.Mode)
	}
	if d.Recur != p.cfg.Recur {
		unmapped = append(unmapped, "recur "+strconv.FormatBool(d.Recur))
	}
	sort.Strings(unmapped)
	c.Unmapped = strings.Join(unmapped, ", ")
	return c
}

// parsePaddleTime reads RFC 3339 (what the API sends) or the
// "2006-01-02 15:04:05" of some SDK fixtures.
func parsePaddleTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Second), true
		}
	}
	return time.Time{}, false
}

// Find implements Remote with GET /discounts?code=&status=active,archived
// (by default Paddle lists only active discounts).
func (p *Paddle) Find(ctx context.Context, code string) (Coupon, bool, error) {
	var list struct {
		Data []paddleDiscount `json:"data"`
	}
	q := url.Values{"code": {code}, "status": {"active,archived"}}
	if _, err := p.do(ctx, paddleapi.Request{Method: http.MethodGet, Path: "/discounts", Query: q}, &list); err != nil {
		return Coupon{}, false, fmt.Errorf("looking up paddle discount %s: %w", code, err)
	}
	var found *paddleDiscount
	for i := range list.Data {
		d := &list.Data[i]
		if d.Code == nil || !strings.EqualFold(*d.Code, code) {
			continue
		}
		if found == nil || d.Status == "active" && found.Status != "active" {
			found = d
		}
	}
	if found == nil {
		return Coupon{}, false, nil
	}
	return p.coupon(*found), true, nil
}

// body is the discount for want; nulls clear limits.
func (p *Paddle) body(want Coupon) map[string]any {
	b := map[string]any{
		"description":          "HeldSway code " + want.Code,
		"enabled_for_checkout": true,
		"code":                 want.Code,
		"recur":                p.cfg.Recur,
		"usage_limit":          want.MaxUses,
		"expires_at":           nil,
	}
	if p.cfg.Recur && p.cfg.MaxRecurringIntervals > 0 {
		b["maximum_recurring_intervals"] = p.cfg.MaxRecurringIntervals
	}
	if want.DiscountType == registry.Percent {
		b["type"], b["amount"] = "percentage", bpDecimal(want.DiscountValue)
	} else {
		b["type"], b["amount"], b["currency_code"] = "flat", strconv.FormatInt(want.DiscountValue, 10), want.Currency
	}
	if want.EndsAt != nil {
		b["expires_at"] = want.EndsAt.UTC().Format(time.RFC3339)
	}
	return b
}

// Create implements Remote with POST /discounts.
func (p *Paddle) Create(ctx context.Context, want Coupon, _ string) (Coupon, error) {
	b := p.body(want)
	if want.EndsAt == nil {
		delete(b, "expires_at")
	}
	var out struct {
		Data paddleDiscount `json:"data"`
	}
	if _, err := p.do(ctx, paddleapi.Request{Method: http.MethodPost, Path: "/discounts", JSON: b}, &out); err != nil {
		return Coupon{}, fmt.Errorf("creating paddle discount %s: %w", want.Code, err)
	}
	c := p.coupon(out.Data)
	if !want.Active && c.Active {
		return p.Deactivate(ctx, c)
	}
	return c, nil
}

// Update implements Remote with PATCH /discounts/{id}, status active.
func (p *Paddle) Update(ctx context.Context, have, want Coupon, _ string) (Coupon, error) {
	b := p.body(want)
	b["status"] = "active"
	if !want.Active {
		b["status"] = "archived"
	}
	return p.patch(ctx, have, b)
}

// Deactivate implements Remote: PATCH status archived.
func (p *Paddle) Deactivate(ctx context.Context, have Coupon) (Coupon, error) {
	return p.patch(ctx, have, map[string]any{"status": "archived"})
}

func (p *Paddle) patch(ctx context.Context, have Coupon, body map[string]any) (Coupon, error) {
	var out struct {
		Data paddleDiscount `json:"data"`
	}
	if _, err := p.do(ctx, paddleapi.Request{Method: http.MethodPatch, Path: "/discounts/" + url.PathEscape(have.ID), JSON: body}, &out); err != nil {
		return Coupon{}, fmt.Errorf("updating paddle discount %s (%s): %w", have.Code, have.ID, err)
	}
	return p.coupon(out.Data), nil
}

// Delete implements Remote. Paddle cannot delete a discount: it is
// archived.
func (p *Paddle) Delete(ctx context.Context, have Coupon) error {
	if !have.Active {
		return nil
	}
	_, err := p.Deactivate(ctx, have)
	return err
}

// List implements Remote: active and archived discounts, 200 a page,
// following meta.pagination.next.
func (p *Paddle) List(ctx context.Context, fn func(Coupon) error) error {
	q := url.Values{"per_page": {"200"}, "status": {"active,archived"}}
	for {
		var page struct {
			Data []paddleDiscount `json:"data"`
			Meta struct {
				Pagination struct {
					Next    string `json:"next"`
					HasMore bool   `json:"has_more"`
				} `json:"pagination"`
			} `json:"meta"`
		}
		if _, err := p.do(ctx, paddleapi.Request{Method: http.MethodGet, Path: "/discounts", Query: q}, &page); err != nil {
			return fmt.Errorf("listing paddle discounts: %w", err)
		}
		for _, d := range page.Data {
			if err := fn(p.coupon(d)); err != nil {
				return err
			}
		}
		if !page.Meta.Pagination.HasMore || len(page.Data) == 0 {
			return nil
		}
		u, err := url.Parse(page.Meta.Pagination.Next)
		if err != nil || u.Query().Get("after") == "" {
			q.Set("after", page.Data[len(page.Data)-1].ID)
		} else {
			q = u.Query()
		}
	}
}

// do sends r through the Paddle API client the webhook side uses too, its
// failures in the terms the syncer retries by (apiError).
func (p *Paddle) do(ctx context.Context, r paddleapi.Request, out any) (http.Header, error) {
	h, err := p.api.Do(ctx, r, out)
	return h, apiError(registry.PlatformPaddle, err)
}
