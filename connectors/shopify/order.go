package shopify

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/heldsway/heldsway/connectors/checkout"
	"github.com/heldsway/heldsway/connectors/eventtime"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/jsonfield"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/urlscrub"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/schemas"
)

// Cart attribute (note_attributes) names and landing-site query parameters
// that carry HeldSway's visitor and click ids into checkout.
var (
	visitorAttrs = []string{"heldsway_vid", "_heldsway_vid"}
	clickAttrs   = []string{"heldsway_cid", "_heldsway_cid"}
)

const (
	visitorParam = "hs_vid"
	clickParam   = "hs_cid"
	// maxURL is the longest landing URL kept.
	maxURL = 2048
)

// paidOnCreate are the financial statuses with which an orders/create
// delivery is published: money was captured. Any other status (pending,
// authorized, partially_paid, voided, expired) waits for orders/paid.
var paidOnCreate = map[string]bool{
	"paid":               true,
	"partially_refunded": true,
	"refunded":           true,
}

// order is the part of Shopify's REST Order resource HeldSway reads.
type order struct {
	ID                    jsonfield.ID      `json:"id"`
	Email                 string            `json:"email"`
	ContactEmail          string            `json:"contact_email"`
	CreatedAt             string            `json:"created_at"`
	UpdatedAt             string            `json:"updated_at"`
	ProcessedAt           string            `json:"processed_at"`
	Currency              string            `json:"currency"`
	FinancialStatus       string            `json:"financial_status"`
	TotalLineItemsPrice   jsonfield.Decimal `json:"total_line_items_price"`
	TotalDiscounts        jsonfield.Decimal `json:"total_discounts"`
	TotalTax              jsonfield.Decimal `json:"total_tax"`
	TotalPrice            jsonfield.Decimal `json:"total_price"`
	TotalShippingPriceSet *priceSet         `json:"total_shipping_price_set"`
	ShippingLines         []struct {
		Price jsonfield.Decimal `json:"price"`
	} `json:"shipping_lines"`
	DiscountCodes []struct {
		Code   string            `json:"code"`
		Amount jsonfield.Decimal `json:"amount"`
	} `json:"discount_codes"`
	NoteAttributes []struct {
		Name  jsonfield.LooseString `json:"name"`
		Value jsonfield.LooseString `json:"value"`
	} `json:"note_attributes"`
	LandingSite jsonfield.LooseString `json:"landing_site"`
	Customer    *struct {
		ID          jsonfield.ID `json:"id"`
		Email       string       `json:"email"`
		OrdersCount *int64       `json:"orders_count"`
	} `json:"customer"`
}

// priceSet is a MoneyBag: the amount in shop and presentment currency.
type priceSet struct {
	ShopMoney struct {
		Amount       jsonfield.Decimal `json:"amount"`
		CurrencyCode string            `json:"currency_code"`
	} `json:"shop_money"`
}

// occurrence is what makes a delivery of an order its own event: the
// topic, and for orders/updated also the order's updated_at (each update
// is its own event, a redelivery of one update the same).
func occurrence(topic, updatedAt string) []string {
	if topic == TopicOrdersUpdated {
		return []string{topic, updatedAt}
	}
	return []string{topic}
}

func (p *Platform) parseOrder(d webhook.Delivery, topic string) (webhook.Result, error) {
	var o order
	if err := json.Unmarshal(d.Body, &o); err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "decoding %s body: %v", topic, err)
	}
	orderID, err := o.ID.Check("order id", true)
	if err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "%s: %v", topic, err)
	}
	if (topic == TopicOrdersCreate || topic == TopicOrdersUpdated) && !paidOnCreate[o.FinancialStatus] {
		return webhook.Result{Ignored: fmt.Sprintf("%s of order %s with financial_status %q: not paid, waiting for orders/paid",
			topic, orderID, jsonfield.Abbrev([]byte(o.FinancialStatus)))}, nil
	}
	ord, err := p.mapOrder(&o, orderID, topic, d)
	if err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "order %s: %w", orderID, err)
	}
	return webhook.Result{Events: []publish.Event{{Topic: p.cfg.Topics.Orders, Key: ord.Customer.Key, Value: ord}}}, nil
}

func (p *Platform) mapOrder(o *order, orderID, topic string, d webhook.Delivery) (*schemas.Order, error) {
	cur, _, err := checkout.Currency(o.Currency)
	if err != nil {
		return nil, err
	}
	subtotal, err := o.TotalLineItemsPrice.NonNegative("total_line_items_price", cur, true)
	if err != nil {
		return nil, err
	}
	discount, err := o.TotalDiscounts.NonNegative("total_discounts", cur, false)
	if err != nil {
		return nil, err
	}
	tax, err := o.TotalTax.NonNegative("total_tax", cur, false)
	if err != nil {
		return nil, err
	}
	total, err := o.TotalPrice.NonNegative("total_price", cur, true)
	if err != nil {
		return nil, err
	}
	shipping, err := o.shipping(cur)
	if err != nil {
		return nil, err
	}
	applied, err := o.codes(cur)
	if err != nil {
		return nil, err
	}
	occurred, err := occurredAt(o.CreatedAt, o.ProcessedAt, d.Now)
	if err != nil {
		return nil, err
	}
	visitor, click := o.visitor()
	email := firstNonEmpty(o.Email, o.ContactEmail)
	var customerID string
	var firstOrder *bool
	if c := o.Customer; c != nil {
		if customerID, err = c.ID.Check("customer.id", false); err != nil {
			return nil, err
		}
		email = firstNonEmpty(email, c.Email)
		firstOrder = isFirstOrder(c.OrdersCount)
	}
	var landing string
	// Published without what may identify the buyer (urlscrub); a
	// landing_site that is not a URL is dropped.
	if s := string(o.LandingSite); s != "" && len(s) <= maxURL {
		landing = urlscrub.Lenient(s)
	}
	return checkout.Build(checkout.Checkout{
		Platform:    Name,
		Store:       d.Store.ID,
		OrderID:     orderID,
		Occurrence:  occurrence(topic, o.UpdatedAt),
		SourceEvent: topic,
		Currency:    cur,
		Subtotal:    subtotal,
		Discount:    discount,
		Shipping:    shipping,
		Tax:         tax,
		Total:       total,
		Codes:       applied,
		VisitorID:   visitor,
		ClickID:     click,
		Email:       email,
		CustomerID:  customerID,
		FirstOrder:  firstOrder,
		LandingURL:  landing,
		OccurredAt:  occurred,
		ReceivedAt:  d.Now,
	}, p.cfg.Hasher)
}

// shipping is total_shipping_price_set in shop money, or the sum of the
// shipping lines' prices when the set is absent.
func (o *order) shipping(cur string) (int64, error) {
	if s := o.TotalShippingPriceSet; s != nil && s.ShopMoney.Amount != "" {
		return s.ShopMoney.Amount.NonNegative("total_shipping_price_set.shop_money.amount", cur, false)
	}
	var sum int64
	for i, l := range o.ShippingLines {
		v, err := l.Price.NonNegative(fmt.Sprintf("shipping_lines[%d].price", i), cur, false)
		if err != nil {
			return 0, err
		}
		if sum, err = checkout.Add(sum, v); err != nil {
			return 0, fmt.Errorf("shipping_lines: %w", err)
		}
	}
	return sum, nil
}

// codes returns the discount codes, normalised, each with the discount it
// gave; a code used twice is listed once with the amounts summed. A code
// that cannot be normalised (e.g. it contains a space) cannot be in the
// registry, so it is left out rather than failing the order.
func (o *order) codes(cur string) ([]schemas.AppliedCode, error) {
	var out checkout.Codes
	for i, dc := range o.DiscountCodes {
		v, err := dc.Amount.NonNegative(fmt.Sprintf("discount_codes[%d].amount", i), cur, false)
		if err != nil {
			return nil, err
		}
		if err := out.Add(dc.Code, v); err != nil {
			return nil, fmt.Errorf("discount_codes: %w", err)
		}
	}
	return out.List(), nil
}

// visitor returns the visitor and click ids carried into checkout: cart
// attributes first, then the landing site's query. Values that do not have
// the shape HeldSway issues are dropped: buyers can type anything into a
// cart attribute.
func (o *order) visitor() (visitor, click string) {
	attr := func(names []string) string {
		for _, a := range o.NoteAttributes {
			for _, n := range names {
				if string(a.Name) == n && a.Value != "" {
					return string(a.Value)
				}
			}
		}
		return ""
	}
	visitor, click = attr(visitorAttrs), attr(clickAttrs)
	if (visitor == "" || click == "") && o.LandingSite != "" {
		q := landingQuery(string(o.LandingSite))
		if visitor == "" {
			visitor = strings.TrimSpace(q.Get(visitorParam))
		}
		if click == "" {
			click = strings.TrimSpace(q.Get(clickParam))
		}
	}
	if !identity.ValidVisitorID(visitor) {
		visitor = ""
	}
	if _, ok := identity.VisitorFromClickID(click); !ok {
		click = ""
	}
	return visitor, click
}

// landingQuery returns the query of a landing site, which Shopify gives as
// an absolute URL or a path ("/products/x?hs_vid=...").
func landingQuery(s string) url.Values {
	_, raw, ok := strings.Cut(s, "?")
	if !ok {
		return nil
	}
	raw, _, _ = strings.Cut(raw, "#")
	q, _ := url.ParseQuery(raw) // keeps the pairs that parse
	return q
}

// isFirstOrder reads the customer's orders_count. Shopify counts the order
// being delivered by the time orders/create and orders/paid fire, so 1
// means this is the first order and more than 1 means it is not. 0 (the
// count not yet updated) and an absent count (API versions from 2024-07 no
// longer send it) are unknown.
func isFirstOrder(n *int64) *bool {
	if n == nil || *n <= 0 {
		return nil
	}
	first := *n == 1
	return &first
}

// occurredAt is created_at, or processed_at when created_at is absent,
// parsed to UTC milliseconds and checked against the server clock now
// (eventtime's window).
func occurredAt(createdAt, processedAt string, now time.Time) (time.Time, error) {
	field, s := "created_at", createdAt
	if s == "" && processedAt != "" {
		field, s = "processed_at", processedAt
	}
	if s == "" {
		return time.Time{}, fmt.Errorf("%s is missing", field)
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is not an RFC 3339 time", field, jsonfield.Abbrev([]byte(s)))
	}
	t = t.UTC().Truncate(time.Millisecond)
	if err := eventtime.Check(field, t, now); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
