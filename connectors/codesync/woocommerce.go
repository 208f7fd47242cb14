package codesync

import (
	"context"
	"encoding/base64"
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
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

// WooCommerceConfig configures a WooCommerce store.
type WooCommerceConfig struct {
	// StoreID is the store's id in the stores file. Required.
	StoreID string
	// BaseURL is the site, e.g. https://shop.example; the API is under
	// /wp-json/wc/v3. Required.
	BaseURL string
	// ConsumerKey and ConsumerSecret authenticate with HTTP Basic auth
	// (read/write key). Required.
	ConsumerKey    string
	ConsumerSecret string
	// Currency is the store's currency; see ShopifyConfig.Currency.
	Currency string
	// HTTPClient sends the requests. Default: a client with a
	// DefaultRemoteTimeout (30s) timeout.
	HTTPClient *http.Client
}

// WooCommerce syncs codes as WooCommerce coupons (wc/v3): codes are sent
// and compared lower-case; a deactivated coupon is a draft.
type WooCommerce struct {
	cfg WooCommerceConfig
	c   *client
	now func() time.Time
}

var _ Remote = (*WooCommerce)(nil)

// NewWooCommerce returns the remote for one store.
func NewWooCommerce(cfg WooCommerceConfig) (*WooCommerce, error) {
	if cfg.StoreID == "" || cfg.BaseURL == "" || cfg.ConsumerKey == "" || cfg.ConsumerSecret == "" {
		return nil, errors.New("sync: woocommerce store id, base URL, consumer key and secret are required")
	}
	if cfg.Currency != "" {
		cur, _, err := money.Currency(cfg.Currency)
		if err != nil {
			return nil, fmt.Errorf("sync: woocommerce store %s: %w", cfg.StoreID, err)
		}
		cfg.Currency = cur
	}
	ck, cs := cfg.ConsumerKey, cfg.ConsumerSecret
	c, err := newClient(registry.PlatformWooCommerce, cfg.BaseURL, cfg.HTTPClient, func(h http.Header) {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(ck+":"+cs)))
	}, wooMessage)
	if err != nil {
		return nil, err
	}
	return &WooCommerce{cfg: cfg, c: c, now: time.Now}, nil
}

// Platform implements Remote.
func (w *WooCommerce) Platform() string { return registry.PlatformWooCommerce }

// StoreID implements Remote.
func (w *WooCommerce) StoreID() string { return w.cfg.StoreID }

const wooCoupons = "/wp-json/wc/v3/coupons"

// wooTime is WooCommerce's date-time: no offset (the _gmt fields are UTC).
const wooTime = "2006-01-02T15:04:05"

// Want implements Remote. WooCommerce has no start date and no
// first-order rule.
func (w *WooCommerce) Want(c *schemas.Code, now time.Time) (Coupon, error) {
	return want(c, now, capabilities{platform: registry.PlatformWooCommerce, oncePerCustomer: true, minOrder: true, storeCurrency: w.cfg.Currency})
}

// wooCoupon is the part of a coupon the sync reads.
type wooCoupon struct {
	ID                 int64    `json:"id"`
	Code               string   `json:"code"`
	Status             string   `json:"status"`
	DiscountType       string   `json:"discount_type"`
	Amount             string   `json:"amount"`
	DateExpiresGMT     *string  `json:"date_expires_gmt"`
	UsageLimit         *int64   `json:"usage_limit"`
	UsageLimitPerUser  *int64   `json:"usage_limit_per_user"`
	MinimumAmount      string   `json:"minimum_amount"`
	MaximumAmount      string   `json:"maximum_amount"`
	ProductIDs         []int64  `json:"product_ids"`
	ExcludedProductIDs []int64  `json:"excluded_product_ids"`
	ProductCategories  []int64  `json:"product_categories"`
	ExcludedCategories []int64  `json:"excluded_product_categories"`
	EmailRestrictions  []string `json:"email_restrictions"`
	FreeShipping       bool     `json:"free_shipping"`
	ExcludeSaleItems   bool     `json:"exclude_sale_items"`
	LimitUsageToXItems *int64   `json:"limit_usage_to_x_items"`
}

// Find implements Remote with GET coupons?code=, which finds published
// coupons only (WooCommerce looks the code up with
// wc_get_coupon_id_by_code), then GET coupons?search=&status=draft for a
// deactivated (draft) coupon, so that reactivating a code updates its
// coupon instead of creating a second one.
func (w *WooCommerce) Find(ctx context.Context, code string) (Coupon, bool, error) {
	lower := strings.ToLower(code)
	for _, q := range []url.Values{
		{"code": {lower}},
		{"search": {lower}, "status": {"draft"}, "per_page": {"100"}},
	} {
		var list []wooCoupon
		if _, err := w.c.do(ctx, request{method: http.MethodGet, path: wooCoupons, query: q}, &list); err != nil {
			return Coupon{}, false, fmt.Errorf("looking up woocommerce coupon %s: %w", code, err)
		}
		for _, wc := range list {
			if strings.EqualFold(wc.Code, code) {
				return w.coupon(wc), true, nil
			}
		}
	}
	return Coupon{}, false, nil
}

func (w *WooCommerce) coupon(wc wooCoupon) Coupon {
	c := Coupon{ID: strconv.FormatInt(wc.ID, 10), Code: wc.Code, MaxUses: wc.UsageLimit, Currency: w.cfg.Currency}
	var unmapped []string
	switch wc.DiscountType {
	case "percent":
		bp, err := money.ParseScale(wc.Amount, 2)
		if err != nil {
			unmapped = append(unmapped, "amount "+wc.Amount)
		}
		c.DiscountType, c.DiscountValue, c.Currency = registry.Percent, bp, ""
	case "fixed_cart":
		amt, err := w.amount(wc.Amount)
		if err != nil {
			unmapped = append(unmapped, "amount "+wc.Amount)
		}
		c.DiscountType, c.DiscountValue = registry.Fixed, amt
	default:
		unmapped = append(unmapped, "discount_type "+wc.DiscountType)
	}
	if wc.DateExpiresGMT != nil && *wc.DateExpiresGMT != "" {
		t, err := time.ParseInLocation(wooTime, *wc.DateExpiresGMT, time.UTC)
		if err != nil {
			unmapped = append(unmapped, "date_expires_gmt "+*wc.DateExpiresGMT)
		} else {
			c.EndsAt = &t
		}
	}
	c.Active = (wc.Status == "" || wc.Status == "publish") && !ended(c.EndsAt, w.now())
	if u := deref(wc.UsageLimitPerUser); u == 1 {
		c.OncePerCustomer = true
	} else if u > 1 {
		unmapped = append(unmapped, fmt.Sprintf("usage_limit_per_user %d", u))
	}
	if m, err := w.amount(wc.MinimumAmount); err == nil && m > 0 {
		c.MinOrder, c.Currency = &m, w.cfg.Currency
	}
	if m, err := w.amount(wc.MaximumAmount); err == nil && m > 0 {
		unmapped = append(unmapped, "maximum_amount")
	}
	for name, n := range map[string]int{
		"product_ids": len(wc.ProductIDs), "excluded_product_ids": len(wc.ExcludedProductIDs),
		"product_categories": len(wc.ProductCategories), "excluded_product_categories": len(wc.ExcludedCategories),
		"email_restrictions": len(wc.EmailRestrictions),
	} {
		if n > 0 {
			unmapped = append(unmapped, name)
		}
	}
	if wc.FreeShipping {
		unmapped = append(unmapped, "free_shipping")
	}
	if wc.ExcludeSaleItems {
		unmapped = append(unmapped, "exclude_sale_items")
	}
	if wc.LimitUsageToXItems != nil && *wc.LimitUsageToXItems > 0 {
		unmapped = append(unmapped, "limit_usage_to_x_items")
	}
	sort.Strings(unmapped)
	c.Unmapped = strings.Join(unmapped, ", ")
	return c
}

// FindID implements IDFinder with GET coupons/{id}, which answers for a
// coupon of any status; a coupon now holding another code is not it.
func (w *WooCommerce) FindID(ctx context.Context, id, code string) (Coupon, bool, error) {
	var wc wooCoupon
	if _, err := w.c.do(ctx, request{method: http.MethodGet, path: wooCoupons + "/" + url.PathEscape(id)}, &wc); err != nil {
		if IsNotFound(err) {
			return Coupon{}, false, nil
		}
		return Coupon{}, false, fmt.Errorf("reading woocommerce coupon %s (%s): %w", code, id, err)
	}
	if !strings.EqualFold(wc.Code, code) {
		return Coupon{}, false, nil
	}
	return w.coupon(wc), true, nil
}

var _ IDFinder = (*WooCommerce)(nil)

// amount reads a decimal in the store currency (two decimals when not
// configured); "" is zero.
func (w *WooCommerce) amount(v string) (int64, error) {
	if strings.TrimSpace(v) == "" {
		return 0, nil
	}
	if w.cfg.Currency != "" {
		return money.Parse(v, w.cfg.Currency)
	}
	return money.ParseScale(v, 2)
}

// body is the coupon for want. WooCommerce skips null fields
// (prepare_object_for_database sets only non-null values), so what is
// unset is sent as the value that clears it: 0 for the usage limits (no
// limit), "" for the minimum amount and the expiry. The expiry goes in
// date_expires as RFC 3339 UTC (WC_Coupon has no date_expires_gmt
// setter; set_date_prop honours the offset).
func (w *WooCommerce) body(want Coupon) map[string]any {
	limit := int64(0)
	if want.MaxUses != nil {
		limit = *want.MaxUses
	}
	b := map[string]any{
		"code":                 strings.ToLower(want.Code),
		"usage_limit":          limit,
		"usage_limit_per_user": 0,
		"minimum_amount":       "",
		"date_expires":         "",
		"status":               "publish",
	}
	if want.DiscountType == registry.Percent {
		b["discount_type"], b["amount"] = "percent", bpDecimal(want.DiscountValue)
	} else {
		b["discount_type"], b["amount"] = "fixed_cart", money.Format(want.DiscountValue, want.Currency)
	}
	if want.OncePerCustomer {
		b["usage_limit_per_user"] = 1
	}
	if want.MinOrder != nil {
		b["minimum_amount"] = money.Format(*want.MinOrder, want.Currency)
	}
	if want.EndsAt != nil {
		b["date_expires"] = want.EndsAt.UTC().Format(time.RFC3339)
	}
	if !want.Active {
		b["status"] = "draft"
	}
	return b
}

// Create implements Remote with POST coupons.
func (w *WooCommerce) Create(ctx context.Context, want Coupon, _ string) (Coupon, error) {
	var out wooCoupon
	if _, err := w.c.do(ctx, request{method: http.MethodPost, path: wooCoupons, json: w.body(want)}, &out); err != nil {
		return Coupon{}, fmt.Errorf("creating woocommerce coupon %s: %w", want.Code, err)
	}
	return w.coupon(out), nil
}

// Update implements Remote with PUT coupons/{id}.
func (w *WooCommerce) Update(ctx context.Context, have, want Coupon, _ string) (Coupon, error) {
	return w.put(ctx, have, w.body(want))
}

// Deactivate implements Remote: the coupon becomes a draft, which
// WooCommerce does not accept at checkout.
func (w *WooCommerce) Deactivate(ctx context.Context, have Coupon) (Coupon, error) {
	return w.put(ctx, have, map[string]any{"status": "draft"})
}

func (w *WooCommerce) put(ctx context.Context, have Coupon, body map[string]any) (Coupon, error) {
	var out wooCoupon
	if _, err := w.c.do(ctx, request{method: http.MethodPut, path: wooCoupons + "/" + have.ID, json: body}, &out); err != nil {
		return Coupon{}, fmt.Errorf("updating woocommerce coupon %s (%s): %w", have.Code, have.ID, err)
	}
	return w.coupon(out), nil
}

// Delete implements Remote with DELETE coupons/{id}?force=true (not to the
// trash, where the code would stay taken).
func (w *WooCommerce) Delete(ctx context.Context, have Coupon) error {
	_, err := w.c.do(ctx, request{method: http.MethodDelete, path: wooCoupons + "/" + have.ID, query: url.Values{"force": {"true"}}}, nil)
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("deleting woocommerce coupon %s (%s): %w", have.Code, have.ID, err)
	}
	return nil
}

// List implements Remote: 100 coupons a page, up to X-WP-TotalPages.
func (w *WooCommerce) List(ctx context.Context, fn func(Coupon) error) error {
	for page := 1; ; page++ {
		var list []wooCoupon
		q := url.Values{"per_page": {"100"}, "page": {strconv.Itoa(page)}, "status": {"any"}}
		h, err := w.c.do(ctx, request{method: http.MethodGet, path: wooCoupons, query: q}, &list)
		if err != nil {
			return fmt.Errorf("listing woocommerce coupons (page %d): %w", page, err)
		}
		for _, wc := range list {
			if err := fn(w.coupon(wc)); err != nil {
				return err
			}
		}
		total, err := strconv.Atoi(h.Get("X-WP-TotalPages"))
		if len(list) == 0 || err != nil || page >= total {
			return nil
		}
	}
}

// wooMessage reads the WordPress REST error body: {"code", "message",
// "data": {"status"}}.
func wooMessage(b []byte) string {
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &e) != nil || e.Message == "" {
		return strings.TrimSpace(string(b))
	}
	if e.Code != "" {
		return e.Message + " (" + e.Code + ")"
	}
	return e.Message
}
