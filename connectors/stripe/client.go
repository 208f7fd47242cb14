package stripe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heldsway/heldsway/connectors/apiclient"
	"github.com/heldsway/heldsway/connectors/stripe/stripeapi"
)

// DefaultBaseURL is the Stripe API.
const DefaultBaseURL = stripeapi.DefaultBaseURL

// ClientConfig configures a Client.
type ClientConfig struct {
	// BaseURL of the API. Default DefaultBaseURL; tests point it at
	// stripe-mock or an httptest server.
	BaseURL string
	// SecretKeys maps a store id to its secret (or restricted, with read
	// access to promotion codes and invoices) API key. Required.
	SecretKeys map[string]string
	// HTTPClient sends the requests. Default: a client with a 5s timeout.
	HTTPClient *http.Client
	// CacheSize bounds the promotion codes kept in memory. Default 10000.
	CacheSize int
	// CacheTTL is how long a resolved code is kept. A promotion code's code
	// never changes, so this only bounds memory held by stale ids.
	// Default 24h.
	CacheTTL time.Duration
	// Now is the clock for cache expiry. Default time.Now.
	Now func() time.Time
}

// Validate reports a configuration that cannot work.
func (c ClientConfig) Validate() error { return c.api().Validate() }

// api is c in the terms apiclient validates and opens.
func (c ClientConfig) api() apiclient.Config {
	return apiclient.Config{
		Platform:   "stripe",
		KeyName:    "secret key",
		BaseURL:    c.BaseURL,
		Keys:       c.SecretKeys,
		HTTPClient: c.HTTPClient,
		CacheSize:  c.CacheSize,
		CacheTTL:   c.CacheTTL,
		Now:        c.Now,
	}
}

// Client reads promotion codes and invoice discounts from the Stripe API.
// It implements PromotionCodes (cached) and InvoiceDiscounts (not cached:
// each invoice is asked about once per delivery).
type Client struct {
	api apiclient.Conn
	// stores holds each store's API client, by store id.
	stores map[string]*stripeapi.Client
}

var (
	_ PromotionCodes   = (*Client)(nil)
	_ InvoiceDiscounts = (*Client)(nil)
)

// NewClient returns a Client for cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	api, err := apiclient.Open(cfg.api(), DefaultBaseURL, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	c := &Client{api: api, stores: make(map[string]*stripeapi.Client, len(api.Keys))}
	for store, key := range api.Keys {
		if c.stores[store], err = stripeapi.New(stripeapi.Config{BaseURL: api.BaseURL, Key: key, HTTPClient: api.HTTP}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// validID reports whether id looks like a Stripe object id with prefix, so
// that nothing else is ever put in a request path.
func validID(id, prefix string) bool {
	if !strings.HasPrefix(id, prefix) || len(id) <= len(prefix) || len(id) > 255 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Code implements PromotionCodes with GET /v1/promotion_codes/{id}.
func (c *Client) Code(ctx context.Context, storeID, promoID string) (string, error) {
	if !validID(promoID, "promo_") {
		return "", fmt.Errorf("%w: %q is not a promotion code id", ErrNotFound, promoID)
	}
	key := storeID + "\x00" + promoID
	if code, ok := c.api.Cache.Get(key, c.api.Now()); ok {
		return code, nil
	}
	var pc struct {
		ID     string `json:"id"`
		Object string `json:"object"`
		Code   string `json:"code"`
	}
	if err := c.get(ctx, storeID, "/v1/promotion_codes/"+promoID, nil, &pc); err != nil {
		return "", fmt.Errorf("getting promotion code %s: %w", promoID, err)
	}
	if pc.Code == "" {
		return "", fmt.Errorf("%w: getting promotion code %s: response has no code", ErrTemporary, promoID)
	}
	c.api.Cache.Put(key, pc.Code, c.api.Now())
	return pc.Code, nil
}

// InvoiceDiscounts implements InvoiceDiscounts with
// GET /v1/invoices/{id}?expand[]=discounts.
func (c *Client) InvoiceDiscounts(ctx context.Context, storeID, invoiceID string) (map[string]string, error) {
	if !validID(invoiceID, "in_") {
		return nil, fmt.Errorf("%w: %q is not an invoice id", ErrNotFound, invoiceID)
	}
	var inv struct {
		Discounts []discountRef `json:"discounts"`
	}
	q := url.Values{"expand[]": {"discounts"}}
	if err := c.get(ctx, storeID, "/v1/invoices/"+invoiceID, q, &inv); err != nil {
		return nil, fmt.Errorf("getting invoice %s discounts: %w", invoiceID, err)
	}
	out := make(map[string]string, len(inv.Discounts))
	for _, d := range inv.Discounts {
		if d.ID != "" {
			out[d.ID] = d.PromotionCode.ID
		}
	}
	return out, nil
}

// get performs an authenticated GET through the store's stripeapi.Client
// and decodes a 200 body into out. A 404 wraps ErrNotFound; every other
// failure wraps ErrTemporary, including 401 and 403: a wrong key is fixed
// by an operator while Stripe keeps retrying, which loses nothing.
func (c *Client) get(ctx context.Context, storeID, path string, q url.Values, out any) error {
	api, ok := c.stores[storeID]
	if !ok {
		return fmt.Errorf("%w: no API key for store %q", ErrTemporary, storeID)
	}
	_, err := api.Do(ctx, stripeapi.Request{Method: http.MethodGet, Path: path, Query: q}, out)
	var ae *stripeapi.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae):
		msg := ae.Message
		if msg == "" {
			msg = http.StatusText(ae.Status)
		}
		kind := ErrTemporary
		if ae.Status == http.StatusNotFound {
			kind = ErrNotFound
		}
		return fmt.Errorf("%w: stripe answered %d: %s", kind, ae.Status, msg)
	}
	return fmt.Errorf("%w: %w", ErrTemporary, err)
}

var _ PaymentInvoices = (*Client)(nil)

// InvoiceForPayment implements PaymentInvoices with
// GET /v1/invoice_payments?payment[type]=payment_intent&payment[payment_intent]=pi.
// The answer never changes, so it is cached, "no invoice" included.
func (c *Client) InvoiceForPayment(ctx context.Context, storeID, paymentIntentID string) (string, error) {
	if !validID(paymentIntentID, "pi_") {
		return "", nil
	}
	key := storeID + "\x00" + paymentIntentID
	if inv, ok := c.api.Cache.Get(key, c.api.Now()); ok {
		return inv, nil
	}
	var list struct {
		Data []struct {
			Invoice ref    `json:"invoice"`
			Status  string `json:"status"`
		} `json:"data"`
	}
	q := url.Values{
		"payment[type]":           {"payment_intent"},
		"payment[payment_intent]": {paymentIntentID},
		"limit":                   {"10"},
	}
	if err := c.get(ctx, storeID, "/v1/invoice_payments", q, &list); err != nil {
		return "", fmt.Errorf("listing invoice payments of %s: %w", paymentIntentID, err)
	}
	inv := ""
	for _, p := range list.Data {
		if p.Invoice.ID != "" {
			inv = p.Invoice.ID
			if p.Status == "paid" {
				break
			}
		}
	}
	c.api.Cache.Put(key, inv, c.api.Now())
	return inv, nil
}
