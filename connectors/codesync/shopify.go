package codesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

// DefaultShopifyVersion is the Admin API version used when none is set.
const DefaultShopifyVersion = "2026-07"

// ShopifyConfig configures a Shopify store.
type ShopifyConfig struct {
	// StoreID is the shop, e.g. acme.myshopify.com. Required.
	StoreID string
	// BaseURL of the Admin API. Default "https://" + StoreID.
	BaseURL string
	// Version of the Admin API. Default DefaultShopifyVersion.
	Version string
	// AccessToken is the Admin API access token (X-Shopify-Access-Token),
	// with the write_discounts scope. Required.
	AccessToken string
	// Currency is the shop's currency: fixed amounts and minimum orders are
	// sent in it, and a code in another currency is refused. Default
	// unknown: amounts are sent as they are, and read with two decimals.
	Currency string
	// HTTPClient sends the requests. Default: a client with a
	// DefaultRemoteTimeout (30s) timeout.
	HTTPClient *http.Client
}

// Shopify syncs codes through the REST Admin API: one price rule per code
// (title = the code) holding the discount and its limits, with one
// discount code.
type Shopify struct {
	cfg ShopifyConfig
	c   *client
	now func() time.Time
}

var _ Remote = (*Shopify)(nil)

// NewShopify returns the remote for one shop.
func NewShopify(cfg ShopifyConfig) (*Shopify, error) {
	if cfg.StoreID == "" || cfg.AccessToken == "" {
		return nil, errors.New("sync: shopify store id and access token are required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://" + cfg.StoreID
	}
	if cfg.Version == "" {
		cfg.Version = DefaultShopifyVersion
	}
	if cfg.Currency != "" {
		cur, _, err := money.Currency(cfg.Currency)
		if err != nil {
			return nil, fmt.Errorf("sync: shopify store %s: %w", cfg.StoreID, err)
		}
		cfg.Currency = cur
	}
	token := cfg.AccessToken
	c, err := newClient(registry.PlatformShopify, cfg.BaseURL, cfg.HTTPClient,
		func(h http.Header) { h.Set("X-Shopify-Access-Token", token) }, shopifyMessage)
	if err != nil {
		return nil, err
	}
	return &Shopify{cfg: cfg, c: c, now: time.Now}, nil
}

// Platform implements Remote.
func (s *Shopify) Platform() string { return registry.PlatformShopify }

// StoreID implements Remote.
func (s *Shopify) StoreID() string { return s.cfg.StoreID }

func (s *Shopify) path(p string) string { return "/admin/api/" + s.cfg.Version + p }

// Want implements Remote. Shopify schedules the start itself; it has no
// first-order-only rule.
func (s *Shopify) Want(c *schemas.Code, now time.Time) (Coupon, error) {
	return want(c, now, capabilities{platform: registry.PlatformShopify, startsAt: true, oncePerCustomer: true, minOrder: true, storeCurrency: s.cfg.Currency})
}

// shopifyPriceRule is the part of a price rule the sync reads.
type shopifyPriceRule struct {
	ID                        int64           `json:"id"`
	Title                     string          `json:"title"`
	ValueType                 string          `json:"value_type"`
	Value                     string          `json:"value"`
	CustomerSelection         string          `json:"customer_selection"`
	TargetType                string          `json:"target_type"`
	TargetSelection           string          `json:"target_selection"`
	AllocationMethod          string          `json:"allocation_method"`
	OncePerCustomer           bool            `json:"once_per_customer"`
	UsageLimit                *int64          `json:"usage_limit"`
	StartsAt                  *time.Time      `json:"starts_at"`
	EndsAt                    *time.Time      `json:"ends_at"`
	PrerequisiteSubtotalRange *shopifyRange   `json:"prerequisite_subtotal_range"`
	EntitledProductIDs        []int64         `json:"entitled_product_ids"`
	EntitledVariantIDs        []int64         `json:"entitled_variant_ids"`
	EntitledCollectionIDs     []int64         `json:"entitled_collection_ids"`
	EntitledCountryIDs        []int64         `json:"entitled_country_ids"`
	PrerequisiteProductIDs    []int64         `json:"prerequisite_product_ids"`
	PrerequisiteVariantIDs    []int64         `json:"prerequisite_variant_ids"`
	PrerequisiteCollectionIDs []int64         `json:"prerequisite_collection_ids"`
	PrerequisiteCustomerIDs   []int64         `json:"prerequisite_customer_ids"`
	CustomerSegmentIDs        []int64         `json:"customer_segment_prerequisite_ids"`
	PrerequisiteQuantityRange json.RawMessage `json:"prerequisite_quantity_range"`
	PrerequisiteShippingRange json.RawMessage `json:"prerequisite_shipping_price_range"`
}

type shopifyRange struct {
	GreaterThanOrEqualTo string `json:"greater_than_or_equal_to"`
}

type shopifyDiscountCode struct {
	ID          int64  `json:"id"`
	PriceRuleID int64  `json:"price_rule_id"`
	Code        string `json:"code"`
}

// Find implements Remote with GET discount_codes/lookup.json?code=, which
// redirects (303) to the discount code, then reads its price rule.
func (s *Shopify) Find(ctx context.Context, code string) (Coupon, bool, error) {
	var dc struct {
		DiscountCode shopifyDiscountCode `json:"discount_code"`
	}
	_, err := s.c.do(ctx, request{method: http.MethodGet, path: s.path("/discount_codes/lookup.json"), query: url.Values{"code": {code}}}, &dc)
	if IsNotFound(err) {
		return Coupon{}, false, nil
	}
	if err != nil {
		return Coupon{}, false, fmt.Errorf("looking up shopify discount code %s: %w", code, err)
	}
	if dc.DiscountCode.PriceRuleID == 0 {
		return Coupon{}, false, fmt.Errorf("looking up shopify discount code %s: answer has no price_rule_id", code)
	}
	pr, err := s.priceRule(ctx, dc.DiscountCode.PriceRuleID)
	if err != nil {
		return Coupon{}, false, err
	}
	return s.coupon(pr, dc.DiscountCode, 1), true, nil
}

func (s *Shopify) priceRule(ctx context.Context, id int64) (shopifyPriceRule, error) {
	var out struct {
		PriceRule shopifyPriceRule `json:"price_rule"`
	}
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: s.path("/price_rules/" + strconv.FormatInt(id, 10) + ".json")}, &out); err != nil {
		return shopifyPriceRule{}, fmt.Errorf("getting shopify price rule %d: %w", id, err)
	}
	return out.PriceRule, nil
}

// coupon maps a price rule and one of its n codes.
func (s *Shopify) coupon(pr shopifyPriceRule, dc shopifyDiscountCode, n int) Coupon {
	c := Coupon{
		ID:              strconv.FormatInt(dc.ID, 10),
		Parent:          strconv.FormatInt(pr.ID, 10),
		Code:            dc.Code,
		Active:          pr.EndsAt == nil || pr.EndsAt.After(s.now()),
		StartsAt:        seconds(pr.StartsAt),
		EndsAt:          seconds(pr.EndsAt),
		MaxUses:         pr.UsageLimit,
		OncePerCustomer: pr.OncePerCustomer,
		Currency:        s.cfg.Currency,
	}
	var unmapped []string
	v := strings.TrimPrefix(strings.TrimSpace(pr.Value), "-")
	switch pr.ValueType {
	case "percentage":
		bp, err := money.ParseScale(v, 2)
		if err != nil {
			unmapped = append(unmapped, "value "+pr.Value)
		}
		c.DiscountType, c.DiscountValue, c.Currency = registry.Percent, bp, ""
	case "fixed_amount":
		amt, err := s.amount(v)
		if err != nil {
			unmapped = append(unmapped, "value "+pr.Value)
		}
		c.DiscountType, c.DiscountValue = registry.Fixed, amt
	default:
		unmapped = append(unmapped, "value_type "+pr.ValueType)
	}
	if r := pr.PrerequisiteSubtotalRange; r != nil && r.GreaterThanOrEqualTo != "" {
		amt, err := s.amount(r.GreaterThanOrEqualTo)
		if err != nil {
			unmapped = append(unmapped, "prerequisite_subtotal_range "+r.GreaterThanOrEqualTo)
		}
		c.MinOrder = &amt
		c.Currency = s.cfg.Currency
	}
	if pr.TargetType != "" && pr.TargetType != "line_item" {
		unmapped = append(unmapped, "target_type "+pr.TargetType)
	}
	if pr.TargetSelection != "" && pr.TargetSelection != "all" {
		unmapped = append(unmapped, "target_selection "+pr.TargetSelection)
	}
	if pr.CustomerSelection != "" && pr.CustomerSelection != "all" {
		unmapped = append(unmapped, "customer_selection "+pr.CustomerSelection)
	}
	for name, ids := range map[string][]int64{
		"entitled_product_ids": pr.EntitledProductIDs, "entitled_variant_ids": pr.EntitledVariantIDs,
		"entitled_collection_ids": pr.EntitledCollectionIDs, "entitled_country_ids": pr.EntitledCountryIDs,
		"prerequisite_product_ids": pr.PrerequisiteProductIDs, "prerequisite_variant_ids": pr.PrerequisiteVariantIDs,
		"prerequisite_collection_ids": pr.PrerequisiteCollectionIDs, "prerequisite_customer_ids": pr.PrerequisiteCustomerIDs,
		"customer_segment_prerequisite_ids": pr.CustomerSegmentIDs,
	} {
		if len(ids) > 0 {
			unmapped = append(unmapped, name)
		}
	}
	for name, raw := range map[string]json.RawMessage{"prerequisite_quantity_range": pr.PrerequisiteQuantityRange, "prerequisite_shipping_price_range": pr.PrerequisiteShippingRange} {
		if len(raw) > 0 && string(raw) != "null" && string(raw) != "{}" {
			unmapped = append(unmapped, name)
		}
	}
	if n > 1 {
		unmapped = append(unmapped, fmt.Sprintf("price rule %d holds %d codes (the registry keeps one rule per code)", pr.ID, n))
	}
	sort.Strings(unmapped)
	c.Unmapped = strings.Join(unmapped, ", ")
	return c
}

// amount reads a decimal in the shop's currency (two decimals when it is
// not configured).
func (s *Shopify) amount(v string) (int64, error) {
	if s.cfg.Currency != "" {
		return money.Parse(v, s.cfg.Currency)
	}
	return money.ParseScale(v, 2)
}

// ruleBody is the price rule for want. Null fields clear the rule's limit.
func (s *Shopify) ruleBody(want Coupon) map[string]any {
	pr := map[string]any{
		"title":              want.Code,
		"target_type":        "line_item",
		"target_selection":   "all",
		"allocation_method":  "across",
		"customer_selection": "all",
		"once_per_customer":  want.OncePerCustomer,
		"usage_limit":        want.MaxUses,
		"ends_at":            want.EndsAt,
	}
	if want.DiscountType == registry.Percent {
		pr["value_type"], pr["value"] = "percentage", "-"+bpDecimal(want.DiscountValue)
	} else {
		pr["value_type"], pr["value"] = "fixed_amount", "-"+money.Format(want.DiscountValue, want.Currency)
	}
	if want.MinOrder != nil {
		pr["prerequisite_subtotal_range"] = shopifyRange{GreaterThanOrEqualTo: money.Format(*want.MinOrder, want.Currency)}
	} else {
		pr["prerequisite_subtotal_range"] = nil
	}
	if want.StartsAt != nil {
		pr["starts_at"] = want.StartsAt
	}
	if !want.Active {
		pr["ends_at"] = s.now().UTC().Truncate(time.Second)
	}
	return pr
}

// Create implements Remote: POST price_rules.json, then POST
// price_rules/{id}/discount_codes.json. When the second call fails the new
// price rule is deleted again, so a retry starts clean.
func (s *Shopify) Create(ctx context.Context, want Coupon, _ string) (Coupon, error) {
	body := s.ruleBody(want)
	if want.StartsAt == nil {
		body["starts_at"] = s.now().UTC().Truncate(time.Second)
	}
	var pr struct {
		PriceRule shopifyPriceRule `json:"price_rule"`
	}
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: s.path("/price_rules.json"), json: map[string]any{"price_rule": body}}, &pr); err != nil {
		return Coupon{}, fmt.Errorf("creating shopify price rule for %s: %w", want.Code, err)
	}
	rule := pr.PriceRule
	var dc struct {
		DiscountCode shopifyDiscountCode `json:"discount_code"`
	}
	id := strconv.FormatInt(rule.ID, 10)
	_, err := s.c.do(ctx, request{method: http.MethodPost, path: s.path("/price_rules/" + id + "/discount_codes.json"),
		json: map[string]any{"discount_code": map[string]string{"code": want.Code}}}, &dc)
	if err != nil {
		if _, derr := s.c.do(context.WithoutCancel(ctx), request{method: http.MethodDelete, path: s.path("/price_rules/" + id + ".json")}, nil); derr != nil {
			err = fmt.Errorf("%w (and deleting the new price rule %s: %v)", err, id, derr)
		}
		return Coupon{}, fmt.Errorf("creating shopify discount code %s: %w", want.Code, err)
	}
	dc.DiscountCode.PriceRuleID = rule.ID
	return s.coupon(rule, dc.DiscountCode, 1), nil
}

// Update implements Remote with PUT price_rules/{id}.json.
func (s *Shopify) Update(ctx context.Context, have, want Coupon, _ string) (Coupon, error) {
	return s.putRule(ctx, have, s.ruleBody(want))
}

// Deactivate implements Remote: the price rule ends now (Shopify's own
// deactivation does the same).
func (s *Shopify) Deactivate(ctx context.Context, have Coupon) (Coupon, error) {
	return s.putRule(ctx, have, map[string]any{"ends_at": s.now().UTC().Truncate(time.Second)})
}

func (s *Shopify) putRule(ctx context.Context, have Coupon, body map[string]any) (Coupon, error) {
	id, err := strconv.ParseInt(have.Parent, 10, 64)
	if err != nil {
		return Coupon{}, fmt.Errorf("updating shopify code %s: bad price rule id %q", have.Code, have.Parent)
	}
	body["id"] = id
	var pr struct {
		PriceRule shopifyPriceRule `json:"price_rule"`
	}
	if _, err := s.c.do(ctx, request{method: http.MethodPut, path: s.path("/price_rules/" + have.Parent + ".json"), json: map[string]any{"price_rule": body}}, &pr); err != nil {
		return Coupon{}, fmt.Errorf("updating shopify price rule %s of %s: %w", have.Parent, have.Code, err)
	}
	dcID, _ := strconv.ParseInt(have.ID, 10, 64)
	return s.coupon(pr.PriceRule, shopifyDiscountCode{ID: dcID, PriceRuleID: id, Code: have.Code}, 1), nil
}

// Delete implements Remote: deleting the price rule deletes its code.
func (s *Shopify) Delete(ctx context.Context, have Coupon) error {
	_, err := s.c.do(ctx, request{method: http.MethodDelete, path: s.path("/price_rules/" + have.Parent + ".json")}, nil)
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("deleting shopify price rule %s of %s: %w", have.Parent, have.Code, err)
	}
	return nil
}

// List implements Remote: every price rule (250 a page, following the Link
// header), and the discount codes of each.
func (s *Shopify) List(ctx context.Context, fn func(Coupon) error) error {
	next := request{method: http.MethodGet, path: s.path("/price_rules.json"), query: url.Values{"limit": {"250"}}}
	for {
		var page struct {
			PriceRules []shopifyPriceRule `json:"price_rules"`
		}
		h, err := s.c.do(ctx, next, &page)
		if err != nil {
			return fmt.Errorf("listing shopify price rules: %w", err)
		}
		for _, pr := range page.PriceRules {
			dcs, err := s.discountCodes(ctx, pr.ID)
			if err != nil {
				return err
			}
			for _, dc := range dcs {
				dc.PriceRuleID = pr.ID
				if err := fn(s.coupon(pr, dc, len(dcs))); err != nil {
					return err
				}
			}
		}
		q, ok := nextPage(h)
		if !ok {
			return nil
		}
		next.query = q
	}
}

func (s *Shopify) discountCodes(ctx context.Context, rule int64) ([]shopifyDiscountCode, error) {
	var all []shopifyDiscountCode
	next := request{method: http.MethodGet, path: s.path("/price_rules/" + strconv.FormatInt(rule, 10) + "/discount_codes.json"), query: url.Values{"limit": {"250"}}}
	for {
		var page struct {
			DiscountCodes []shopifyDiscountCode `json:"discount_codes"`
		}
		h, err := s.c.do(ctx, next, &page)
		if err != nil {
			return nil, fmt.Errorf("listing discount codes of shopify price rule %d: %w", rule, err)
		}
		all = append(all, page.DiscountCodes...)
		q, ok := nextPage(h)
		if !ok {
			return all, nil
		}
		next.query = q
	}
}

var linkNext = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// nextPage reads the query of the rel="next" URL of a Link header
// (Shopify's cursor pagination: page_info and limit).
func nextPage(h http.Header) (url.Values, bool) {
	m := linkNext.FindStringSubmatch(h.Get("Link"))
	if m == nil {
		return nil, false
	}
	u, err := url.Parse(m[1])
	if err != nil {
		return nil, false
	}
	return u.Query(), true
}

// shopifyMessage reads Shopify's error body: {"errors": "text"} or
// {"errors": {"field": ["message", ...]}}.
func shopifyMessage(b []byte) string {
	var e struct {
		Errors json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(b, &e) != nil || len(e.Errors) == 0 {
		return strings.TrimSpace(string(b))
	}
	var text string
	if json.Unmarshal(e.Errors, &text) == nil {
		return text
	}
	var fields map[string][]string
	if json.Unmarshal(e.Errors, &fields) == nil {
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+": "+strings.Join(fields[k], ", "))
		}
		return strings.Join(parts, "; ")
	}
	return string(e.Errors)
}
