package woocommerce

import (
	"encoding/json"
	"errors"
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

// Order meta_data keys HeldSway's checkout snippet writes, with or without
// the leading underscore WordPress uses to hide meta from the admin.
var (
	visitorKeys    = []string{"_heldsway_vid", "heldsway_vid"}
	clickKeys      = []string{"_heldsway_cid", "heldsway_cid"}
	firstOrderKeys = []string{"_heldsway_first_order", "heldsway_first_order"}
	// landingKeys is where WooCommerce's order attribution (8.5+) keeps the
	// first page of the session.
	landingKeys = []string{"_wc_order_attribution_session_entry"}
)

const (
	visitorParam = "hs_vid"
	clickParam   = "hs_cid"
	// maxURL is the longest landing URL kept.
	maxURL = 2048
	// paidKind replaces the topic in an order's event id, so that every
	// delivery of a paid order (order.created, each order.updated) has one
	// id and downstream keeps the first.
	paidKind = "paid"
)

// paidStatuses are the statuses of an order whose money was received.
// unpaidStatuses never credit. Any other (a plugin's custom status, e.g.
// "shipped") counts as paid when date_paid_gmt is set.
var (
	paidStatuses   = map[string]bool{"processing": true, "completed": true, "refunded": true}
	unpaidStatuses = map[string]bool{
		"pending": true, "on-hold": true, "cancelled": true, "failed": true,
		"trash": true, "checkout-draft": true, "draft": true, "auto-draft": true,
	}
)

// order is the part of the wc/v3 order resource HeldSway reads.
type order struct {
	ID              jsonfield.ID          `json:"id"`
	Status          string                `json:"status"`
	Currency        string                `json:"currency"`
	DateCreated     string                `json:"date_created"`
	DateCreatedGMT  string                `json:"date_created_gmt"`
	DateModifiedGMT string                `json:"date_modified_gmt"`
	DatePaidGMT     jsonfield.LooseString `json:"date_paid_gmt"`
	DiscountTotal   jsonfield.Decimal     `json:"discount_total"`
	ShippingTotal   jsonfield.Decimal     `json:"shipping_total"`
	CartTax         jsonfield.Decimal     `json:"cart_tax"`
	TotalTax        jsonfield.Decimal     `json:"total_tax"`
	Total           jsonfield.Decimal     `json:"total"`
	CustomerID      jsonfield.ID          `json:"customer_id"`
	Billing         struct {
		Email jsonfield.LooseString `json:"email"`
	} `json:"billing"`
	LineItems []struct {
		Subtotal jsonfield.Decimal `json:"subtotal"`
	} `json:"line_items"`
	CouponLines []struct {
		Code     string            `json:"code"`
		Discount jsonfield.Decimal `json:"discount"`
	} `json:"coupon_lines"`
	MetaData []struct {
		Key   jsonfield.LooseString `json:"key"`
		Value jsonfield.LooseString `json:"value"`
	} `json:"meta_data"`
	Refunds []struct {
		ID     jsonfield.ID          `json:"id"`
		Reason jsonfield.LooseString `json:"reason"`
		Total  jsonfield.Decimal     `json:"total"`
	} `json:"refunds"`
}

func (o *order) paid() bool {
	if paidStatuses[o.Status] {
		return true
	}
	return !unpaidStatuses[o.Status] && o.Status != "" && o.DatePaidGMT != ""
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
	paid := o.paid()
	if !paid && len(o.Refunds) == 0 {
		return webhook.Result{Ignored: fmt.Sprintf("%s of order %s with status %q: not paid", topic, orderID, jsonfield.Abbrev([]byte(o.Status)))}, nil
	}
	ord, err := p.mapOrder(&o, orderID, topic, d)
	if err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "order %s: %w", orderID, err)
	}
	var events []publish.Event
	if paid {
		// The order's own time decides for the order; its refunds have
		// theirs (date_modified_gmt). An order created before the window
		// that carries refunds is left out rather than refused: every
		// delivery of a paid order has one event id, so it was published
		// (or refused) when it was created, and the refunds may be new.
		err := eventtime.Check(o.createdField(), ord.OccurredAt, d.Now)
		var re *eventtime.RangeError
		switch {
		case err == nil:
			events = append(events, publish.Event{Topic: p.cfg.Topics.Orders, Key: ord.Customer.Key, Value: ord})
		case errors.As(err, &re) && !re.Ahead && len(o.Refunds) > 0:
			// left out; the refunds follow
		default:
			return webhook.Result{}, webhook.PayloadError(Name, "order %s: %w", orderID, err)
		}
	}
	refunds, err := p.mapRefunds(&o, ord, d)
	if err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "order %s: %w", orderID, err)
	}
	key := schemas.OrderRef(Name, ord.StoreID, orderID)
	for _, rf := range refunds {
		events = append(events, publish.Event{Topic: p.cfg.Topics.Refunds, Key: key, Value: rf})
	}
	return webhook.Result{Events: events}, nil
}

func (p *Platform) mapOrder(o *order, orderID, topic string, d webhook.Delivery) (*schemas.Order, error) {
	cur, _, err := checkout.Currency(o.Currency)
	if err != nil {
		return nil, err
	}
	var subtotal int64
	for i, li := range o.LineItems {
		v, err := li.Subtotal.NonNegative(fmt.Sprintf("line_items[%d].subtotal", i), cur, true)
		if err != nil {
			return nil, err
		}
		if subtotal, err = checkout.Add(subtotal, v); err != nil {
			return nil, fmt.Errorf("line_items: %w", err)
		}
	}
	discount, err := o.DiscountTotal.NonNegative("discount_total", cur, false)
	if err != nil {
		return nil, err
	}
	shipping, err := o.ShippingTotal.NonNegative("shipping_total", cur, false)
	if err != nil {
		return nil, err
	}
	tax, err := o.TotalTax.NonNegative("total_tax", cur, false)
	if err != nil {
		return nil, err
	}
	total, err := o.Total.NonNegative("total", cur, true)
	if err != nil {
		return nil, err
	}
	applied, err := o.codes(cur)
	if err != nil {
		return nil, err
	}
	occurred, err := o.createdAt()
	if err != nil {
		return nil, err
	}
	customerID, err := o.CustomerID.Check("customer_id", false)
	if err != nil {
		return nil, err
	}
	if customerID == "0" {
		customerID = "" // a guest checkout
	}
	visitor, click, landing := o.visitor()
	return checkout.Build(checkout.Checkout{
		Platform:    Name,
		Store:       d.Store.ID,
		OrderID:     orderID,
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
		Email:       string(o.Billing.Email),
		CustomerID:  customerID,
		FirstOrder:  o.firstOrder(),
		LandingURL:  urlscrub.Lenient(landing),
		OccurredAt:  occurred,
		ReceivedAt:  d.Now,
	}, p.cfg.Hasher)
}

// codes returns the coupon lines, normalised, each with its discount
// (without tax, like discount_total); a repeated code is summed; a code
// Normalize refuses cannot be in the registry and is left out.
func (o *order) codes(cur string) ([]schemas.AppliedCode, error) {
	var out checkout.Codes
	for i, cl := range o.CouponLines {
		v, err := cl.Discount.NonNegative(fmt.Sprintf("coupon_lines[%d].discount", i), cur, false)
		if err != nil {
			return nil, err
		}
		if err := out.Add(cl.Code, v); err != nil {
			return nil, fmt.Errorf("coupon_lines: %w", err)
		}
	}
	return out.List(), nil
}

func (o *order) meta(keys []string) string {
	for _, m := range o.MetaData {
		for _, k := range keys {
			if string(m.Key) == k && m.Value != "" {
				return string(m.Value)
			}
		}
	}
	return ""
}

// visitor returns the visitor and click ids from the order meta, else
// from the query of the session's landing page, and that landing page.
// Values without the shape HeldSway issues are dropped.
func (o *order) visitor() (visitor, click, landing string) {
	visitor, click, landing = o.meta(visitorKeys), o.meta(clickKeys), o.meta(landingKeys)
	if len(landing) > maxURL {
		landing = ""
	}
	if (visitor == "" || click == "") && landing != "" {
		if _, raw, ok := strings.Cut(landing, "?"); ok {
			raw, _, _ = strings.Cut(raw, "#")
			q, _ := url.ParseQuery(raw) // keeps the pairs that parse
			if visitor == "" {
				visitor = strings.TrimSpace(q.Get(visitorParam))
			}
			if click == "" {
				click = strings.TrimSpace(q.Get(clickParam))
			}
		}
	}
	if !identity.ValidVisitorID(visitor) {
		visitor = ""
	}
	if _, ok := identity.VisitorFromClickID(click); !ok {
		click = ""
	}
	return visitor, click, landing
}

// firstOrder is what HeldSway's checkout snippet recorded, if anything:
// WooCommerce itself does not say.
func (o *order) firstOrder() *bool {
	var v bool
	switch strings.ToLower(o.meta(firstOrderKeys)) {
	case "1", "true", "yes":
		v = true
	case "0", "false", "no":
		v = false
	default:
		return nil
	}
	return &v
}

// createdAt is date_created_gmt (WooCommerce writes it without a zone),
// or date_created, read as UTC, when the GMT form is absent.
func (o *order) createdAt() (time.Time, error) {
	return gmtTime(o.createdField(), o.createdValue())
}

// createdField names the field createdAt reads.
func (o *order) createdField() string {
	if o.DateCreatedGMT != "" {
		return "date_created_gmt"
	}
	return "date_created"
}

func (o *order) createdValue() string {
	if o.DateCreatedGMT != "" {
		return o.DateCreatedGMT
	}
	return o.DateCreated
}

// gmtTime parses a WooCommerce GMT time ("2019-06-06T17:17:55") or an RFC
// 3339 time to UTC milliseconds.
func gmtTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%s is missing", field)
	}
	t, err := time.Parse("2006-01-02T15:04:05", s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			return time.Time{}, fmt.Errorf("%s: %q is not a time", field, jsonfield.Abbrev([]byte(s)))
		}
	}
	return t.UTC().Truncate(time.Millisecond), nil
}
