package harness

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/heldsway/heldsway/bench/world"
	"github.com/heldsway/heldsway/schemas"
)

// The webhook feed delivers a world the way stores and trackers would:
// orders and refunds as signed platform webhooks, clicks as POST /v1/clicks
// batches, and subscription renewals through the conversion API. Bodies
// are built up front (like the Avro inputs, so that building them is not
// measured) and signed when sent, as a platform signs a delivery.
//
// One-off orders are spread over the four platforms by order number.
// Every payload carries the world's visitor id where that platform's
// checkout snippet puts it, so the customer key the ingest derives is the
// key the Avro feed uses and the oracle expects: Shopify note_attributes or
// the landing site's hs_vid, WooCommerce order meta or the order
// attribution entry URL, Stripe metadata or client_reference_id, Paddle
// custom_data, the conversion API's visitor_id. Emails ride along (hashed
// by the ingest; the visitor id wins the key precedence).
//
// Codes: Shopify and WooCommerce name them in the payload
// (discount_codes, coupon_lines); Stripe and Paddle name a promotion code
// or discount id, which the ingest resolves from the code registry because
// the harness seeds every code with its Stripe and Paddle ids
// (seedPlatformIDs), so no platform API is asked.
//
// What the platforms cannot express is taken out of the truth before the
// oracle sees it (adaptToWebhooks): Shopify, WooCommerce and Stripe give
// event times to the second, so every event time is truncated to the
// second; no platform says when a code was applied, so code_applied_at is
// dropped. Subscriptions: the first payment is a Paddle transaction (cycle
// 1 and start known); renewals go through POST /v1/conversions with their
// cycle, because a Stripe or Paddle renewal says neither its cycle nor when
// the subscription started, and the processor does not remember it.

// endpoint is where a request goes.
type endpoint uint8

const (
	epShopify endpoint = iota
	epWooCommerce
	epStripe
	epPaddle
	epClicks
	epConversions
	epRefunds
	numEndpoints
)

var (
	endpointPaths = [numEndpoints]string{"/webhooks/shopify", "/webhooks/woocommerce", "/webhooks/stripe", "/webhooks/paddle",
		"/v1/clicks", "/v1/conversions", "/v1/refunds"}
	endpointNames = [numEndpoints]string{"shopify", "woocommerce", "stripe", "paddle", "clicks", "conversions", "refunds"}
	// oneOff is the platform of one-off order n: n % 4.
	oneOff = [4]endpoint{epShopify, epWooCommerce, epStripe, epPaddle}
)

// Request variants that need their own headers.
const (
	topicOrder  uint8 = iota // Shopify orders/create, WooCommerce order.created
	topicRefund              // Shopify refunds/create, WooCommerce order.updated
)

// Where the webhook feed's stores say they are (the ingest runs with one
// store per platform, id "default", from HELDSWAY_<PLATFORM>_SECRET).
const (
	hookStore     = "default"
	shopifyDomain = "bench-shop.myshopify.com"
	wooSite       = "https://shop.bench.example"
	apiStore      = "bench"
	// shopifyBase and friends turn a world order number into a platform
	// id; worldOrderID reverses it.
	shopifyBase       = 5_000_000_000_000
	shopifyRefundBase = 6_000_000_000_000
	wooRefundBase     = 1_000_000_000
)

// hookReq is one HTTP request of the feed.
type hookReq struct {
	ep         endpoint
	topic      uint8
	boff, blen int64
	events     int32 // world events it delivers
	order      int32 // world order number of an order's first delivery, else 0
	hid        int32 // index of the first delivery: a redelivery repeats its webhook id
	// cust hashes the customer key of an order or refund: a customer's
	// requests go through one client, in order (see hookSender.run).
	cust uint32
}

// hookFeed is a world turned into requests.
type hookFeed struct {
	arena []byte
	reqs  []hookReq
	// split is the first request of the latency phase.
	split int
	// maxOrder is the highest world order number.
	maxOrder int

	clickBatch int
	batch      []apiClick
	first      map[int32]int32    // order number -> request of its first delivery
	plat       map[int32]endpoint // order number -> where it went
	cust       map[int32]uint32   // order number -> customer key hash
	woo        map[int32]*schemas.Order
}

func newHookFeed(clickBatch int) *hookFeed {
	return &hookFeed{clickBatch: clickBatch, first: map[int32]int32{}, plat: map[int32]endpoint{}, cust: map[int32]uint32{}, woo: map[int32]*schemas.Order{}}
}

func (f *hookFeed) body(i int) []byte {
	r := f.reqs[i]
	return f.arena[r.boff : r.boff+r.blen]
}

func (f *hookFeed) push(r hookReq, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	r.boff, r.blen = int64(len(f.arena)), int64(len(b))
	r.hid = int32(len(f.reqs))
	f.arena = append(f.arena, b...)
	f.reqs = append(f.reqs, r)
	return nil
}

// endPhase closes the current click batch and marks the start of the
// next phase.
func (f *hookFeed) endPhase() error {
	if err := f.flush(); err != nil {
		return err
	}
	f.split = len(f.reqs)
	return nil
}

// flush sends the pending clicks as one batch.
func (f *hookFeed) flush() error {
	if len(f.batch) == 0 {
		return nil
	}
	err := f.push(hookReq{ep: epClicks, events: int32(len(f.batch))}, apiClickBatch{Clicks: f.batch})
	f.batch = f.batch[:0]
	return err
}

// events counts the world events of reqs[from:to].
func (f *hookFeed) events(from, to int) int {
	n := 0
	for _, r := range f.reqs[from:to] {
		n += int(r.events)
	}
	return n
}

// add turns one world event (already adapted) into requests.
func (f *hookFeed) add(e *world.Event) error {
	switch e.Kind {
	case world.KindClick:
		f.batch = append(f.batch, clickRequest(e.Click))
		if len(f.batch) >= f.clickBatch {
			return f.flush()
		}
		return nil
	case world.KindOrder:
		n, ok := worldOrderNumber(e.Order.OrderID)
		if !ok {
			return fmt.Errorf("webhook feed: order id %q is not a world order id", e.Order.OrderID)
		}
		f.maxOrder = max(f.maxOrder, n)
		if i, dup := f.first[int32(n)]; dup {
			// A redelivery: the same body, the same webhook id.
			r := f.reqs[i]
			r.order = 0
			f.reqs = append(f.reqs, r)
			return nil
		}
		f.first[int32(n)] = int32(len(f.reqs))
		ep := orderEndpoint(n, e.Order)
		f.plat[int32(n)] = ep
		h := fnv.New32a()
		h.Write([]byte(e.Key))
		f.cust[int32(n)] = h.Sum32()
		r := hookReq{ep: ep, events: 1, order: int32(n), cust: h.Sum32()}
		switch ep {
		case epShopify:
			return f.push(r, shopifyOrderBody(n, e.Order))
		case epWooCommerce:
			f.woo[int32(n)] = e.Order
			return f.push(r, wooOrderBody(n, e.Order, nil))
		case epStripe:
			return f.push(r, stripeCheckoutEvent(n, e.Order))
		case epPaddle:
			return f.push(r, paddleTransactionEvent(n, e.Order))
		}
		return f.push(r, conversionBody(e.Order))
	case world.KindRefund:
		rf := e.Refund
		n, ok := worldOrderNumber(rf.OrderID)
		if !ok {
			return fmt.Errorf("webhook feed: refund of %q: not a world order id", rf.OrderID)
		}
		ep, ok := f.plat[int32(n)]
		if !ok {
			return fmt.Errorf("webhook feed: refund of order %s before the order", rf.OrderID)
		}
		r := hookReq{ep: ep, topic: topicRefund, events: 1, cust: f.cust[int32(n)]}
		switch ep {
		case epShopify:
			return f.push(r, shopifyRefundBody(n, rf))
		case epWooCommerce:
			o := f.woo[int32(n)]
			if o == nil {
				return fmt.Errorf("webhook feed: second refund of WooCommerce order %s", rf.OrderID)
			}
			delete(f.woo, int32(n))
			return f.push(r, wooOrderBody(n, o, rf))
		case epStripe:
			return f.push(r, stripeRefundEvent(n, rf))
		case epPaddle:
			return f.push(r, paddleAdjustmentEvent(n, rf))
		}
		r.ep = epRefunds
		return f.push(r, refundBody(rf))
	}
	return fmt.Errorf("webhook feed: event kind %d", e.Kind)
}

// orderEndpoint is where the first delivery of order n goes.
func orderEndpoint(n int, o *schemas.Order) endpoint {
	if s := o.Subscription; s != nil {
		if s.Cycle <= 1 {
			return epPaddle
		}
		return epConversions
	}
	return oneOff[n%4]
}

// adaptToWebhooks takes out of a world event what no webhook can carry:
// sub-second event times and the time a code was applied.
func adaptToWebhooks(e *world.Event) {
	sec := func(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
	e.At = sec(e.At)
	switch e.Kind {
	case world.KindClick:
		e.Click.OccurredAt, e.Click.ReceivedAt = sec(e.Click.OccurredAt), sec(e.Click.ReceivedAt)
	case world.KindOrder:
		e.Order.OccurredAt, e.Order.ReceivedAt = sec(e.Order.OccurredAt), sec(e.Order.ReceivedAt)
		e.Order.CodeAppliedAt = nil
	case world.KindRefund:
		e.Refund.OccurredAt, e.Refund.ReceivedAt = sec(e.Refund.OccurredAt), sec(e.Refund.ReceivedAt)
	}
}

// seedPlatformIDs records a code as synced to the Stripe and Paddle
// stores, so the ingest resolves their promotion code and discount ids
// from the registry.
func seedPlatformIDs(c *schemas.Code, at time.Time) {
	for _, p := range []struct{ platform, id string }{{"stripe", stripePromoID(c.Code)}, {"paddle", paddleDiscountID(c.Code)}} {
		id := p.id
		c.Platforms = append(c.Platforms, schemas.PlatformSync{Platform: p.platform, StoreID: hookStore, RemoteID: &id, Status: "synced", SyncedAt: &at})
	}
}

func stripePromoID(code string) string    { return "promo_1Bench" + code }
func paddleDiscountID(code string) string { return "dsc_01hsbench" + strings.ToLower(code) }

// worldOrderNumber parses a world order id (o%09d).
func worldOrderNumber(id string) (int, bool) {
	if len(id) < 2 || id[0] != 'o' {
		return 0, false
	}
	n, err := strconv.Atoi(id[1:])
	return n, err == nil && n > 0
}

// worldOrderID maps an order id the ingest published back to the world's:
// the conversion API keeps it, the platforms' ids end in the world order
// number (Shopify's offset by shopifyBase).
func worldOrderID(platform, id string) string {
	if platform == "api" {
		return id
	}
	i := len(id)
	for i > 0 && id[i-1] >= '0' && id[i-1] <= '9' {
		i--
	}
	n, err := strconv.ParseInt(id[i:], 10, 64)
	if err != nil {
		return platform + "/" + id
	}
	if platform == "shopify" {
		n -= shopifyBase
	}
	return fmt.Sprintf("o%09d", n)
}

func visitorOf(o *schemas.Order) string {
	if o.Customer.VisitorID != nil {
		return *o.Customer.VisitorID
	}
	return o.Customer.Key
}

func emailOf(visitor string) string { return visitor + "@example.net" }

// decimal writes minor units of a two-decimal currency as the platforms'
// decimal strings.
func decimal(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}

func code(o *schemas.Order) (string, int64, bool) {
	if len(o.Codes) == 0 {
		return "", 0, false
	}
	return o.Codes[0].Code, o.Codes[0].Amount, true
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Clicks (POST /v1/clicks), as a server-side tracker reports them.

type apiClickBatch struct {
	Clicks []apiClick `json:"clicks"`
}

type apiClick struct {
	ID          string    `json:"id"`
	VisitorID   string    `json:"visitor_id"`
	Code        string    `json:"code,omitempty"`
	AffiliateID string    `json:"affiliate_id,omitempty"`
	OccurredAt  time.Time `json:"occurred_at"`
	IP          string    `json:"ip,omitempty"`
	UserAgent   string    `json:"user_agent"`
	LandingURL  string    `json:"landing_url,omitempty"`
	PageType    string    `json:"page_type,omitempty"`
}

const (
	browserUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
	botUA     = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)

func clickRequest(c *schemas.Click) apiClick {
	h := 0
	for i := 0; i < len(c.ClickID); i++ {
		h = h*31 + int(c.ClickID[i])
	}
	r := apiClick{ID: c.ClickID, VisitorID: c.VisitorID, OccurredAt: c.OccurredAt.UTC(), UserAgent: browserUA, PageType: "landing",
		IP: fmt.Sprintf("198.51.100.%d", 1+(h&0x7fffffff)%250)}
	if c.IsBot {
		r.UserAgent = botUA
	}
	if c.Code != nil {
		r.Code = *c.Code
		r.LandingURL = wooSite + "/?ref=" + *c.Code
	}
	if c.AffiliateID != nil {
		r.AffiliateID = *c.AffiliateID
	}
	return r
}

// Shopify: the REST Order and Refund resources (webhook bodies carry the
// bare resource), fields as in the fixtures.

type shopifyMoney struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currency_code"`
}

type shopifyPriceSet struct {
	ShopMoney        shopifyMoney `json:"shop_money"`
	PresentmentMoney shopifyMoney `json:"presentment_money"`
}

func shopifySet(minor int64, cur string) *shopifyPriceSet {
	m := shopifyMoney{Amount: decimal(minor), CurrencyCode: cur}
	return &shopifyPriceSet{ShopMoney: m, PresentmentMoney: m}
}

type shopifyOrder struct {
	ID                    int64                 `json:"id"`
	AdminGraphqlAPIID     string                `json:"admin_graphql_api_id"`
	Name                  string                `json:"name"`
	OrderNumber           int64                 `json:"order_number"`
	Email                 string                `json:"email"`
	ContactEmail          string                `json:"contact_email"`
	CreatedAt             string                `json:"created_at"`
	ProcessedAt           string                `json:"processed_at"`
	UpdatedAt             string                `json:"updated_at"`
	Currency              string                `json:"currency"`
	PresentmentCurrency   string                `json:"presentment_currency"`
	FinancialStatus       string                `json:"financial_status"`
	SubtotalPrice         string                `json:"subtotal_price"`
	TotalLineItemsPrice   string                `json:"total_line_items_price"`
	TotalDiscounts        string                `json:"total_discounts"`
	TotalTax              string                `json:"total_tax"`
	TotalPrice            string                `json:"total_price"`
	TotalShippingPriceSet *shopifyPriceSet      `json:"total_shipping_price_set"`
	TaxesIncluded         bool                  `json:"taxes_included"`
	DiscountCodes         []shopifyDiscountCode `json:"discount_codes"`
	NoteAttributes        []shopifyNoteAttr     `json:"note_attributes"`
	LandingSite           *string               `json:"landing_site"`
	LineItems             []shopifyLineItem     `json:"line_items"`
	ShippingLines         []struct{}            `json:"shipping_lines"`
	Customer              shopifyCustomer       `json:"customer"`
}

type shopifyDiscountCode struct {
	Code   string `json:"code"`
	Amount string `json:"amount"`
	Type   string `json:"type"`
}

type shopifyNoteAttr struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type shopifyLineItem struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Quantity int    `json:"quantity"`
	Price    string `json:"price"`
	SKU      string `json:"sku"`
}

type shopifyCustomer struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

func shopifyOrderBody(n int, o *schemas.Order) shopifyOrder {
	id := int64(shopifyBase + n)
	at := rfc3339(o.OccurredAt)
	v := visitorOf(o)
	b := shopifyOrder{
		ID: id, AdminGraphqlAPIID: fmt.Sprintf("gid://shopify/Order/%d", id), Name: fmt.Sprintf("#%d", 1000+n), OrderNumber: int64(1000 + n),
		Email: emailOf(v), ContactEmail: emailOf(v), CreatedAt: at, ProcessedAt: at, UpdatedAt: at,
		Currency: o.Currency, PresentmentCurrency: o.Currency, FinancialStatus: "paid",
		SubtotalPrice: decimal(o.Subtotal - o.Discount), TotalLineItemsPrice: decimal(o.Subtotal), TotalDiscounts: decimal(o.Discount),
		TotalTax: decimal(o.Tax), TotalPrice: decimal(o.Total), TotalShippingPriceSet: shopifySet(o.Shipping, o.Currency),
		DiscountCodes:  []shopifyDiscountCode{},
		NoteAttributes: []shopifyNoteAttr{{Name: "gift_wrap", Value: "no"}},
		LineItems:      []shopifyLineItem{{ID: id + 1, Title: "Bench item", Quantity: 1, Price: decimal(o.Subtotal), SKU: "BENCH-1"}},
		ShippingLines:  []struct{}{},
		Customer:       shopifyCustomer{ID: 7_000_000_000_000 + int64(n), Email: emailOf(v)},
	}
	if c, amt, ok := code(o); ok {
		b.DiscountCodes = append(b.DiscountCodes, shopifyDiscountCode{Code: c, Amount: decimal(amt), Type: "percentage"})
	}
	// Half the orders carry the visitor id as a cart attribute, the others
	// in the landing site's query.
	if n%2 == 0 {
		b.NoteAttributes = append(b.NoteAttributes, shopifyNoteAttr{Name: "_heldsway_vid", Value: v})
	} else {
		s := "/products/bench-item?hs_vid=" + v + "&utm_source=affiliate"
		b.LandingSite = &s
	}
	return b
}

type shopifyRefund struct {
	ID                  int64                   `json:"id"`
	OrderID             int64                   `json:"order_id"`
	AdminGraphqlAPIID   string                  `json:"admin_graphql_api_id"`
	CreatedAt           string                  `json:"created_at"`
	ProcessedAt         string                  `json:"processed_at"`
	Note                string                  `json:"note"`
	Restock             bool                    `json:"restock"`
	TotalDutiesSet      *shopifyPriceSet        `json:"total_duties_set"`
	RefundLineItems     []shopifyRefundLineItem `json:"refund_line_items"`
	RefundShippingLines []struct{}              `json:"refund_shipping_lines"`
	Transactions        []shopifyTransaction    `json:"transactions"`
}

type shopifyRefundLineItem struct {
	ID          int64            `json:"id"`
	Quantity    int              `json:"quantity"`
	LineItemID  int64            `json:"line_item_id"`
	Subtotal    json.Number      `json:"subtotal"`
	TotalTax    json.Number      `json:"total_tax"`
	SubtotalSet *shopifyPriceSet `json:"subtotal_set"`
	TotalTaxSet *shopifyPriceSet `json:"total_tax_set"`
}

type shopifyTransaction struct {
	ID       int64  `json:"id"`
	OrderID  int64  `json:"order_id"`
	Kind     string `json:"kind"`
	Gateway  string `json:"gateway"`
	Status   string `json:"status"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func shopifyRefundBody(n int, rf *schemas.Refund) shopifyRefund {
	id, order := int64(shopifyRefundBase+n), int64(shopifyBase+n)
	at := rfc3339(rf.OccurredAt)
	return shopifyRefund{
		ID: id, OrderID: order, AdminGraphqlAPIID: fmt.Sprintf("gid://shopify/Refund/%d", id), CreatedAt: at, ProcessedAt: at,
		Note: "customer returned the item", Restock: true, TotalDutiesSet: shopifySet(0, rf.Currency),
		RefundLineItems: []shopifyRefundLineItem{{ID: id + 1, Quantity: 1, LineItemID: order + 1,
			Subtotal: json.Number(decimal(rf.Amount)), TotalTax: "0.00", SubtotalSet: shopifySet(rf.Amount, rf.Currency), TotalTaxSet: shopifySet(0, rf.Currency)}},
		RefundShippingLines: []struct{}{},
		Transactions: []shopifyTransaction{{ID: id + 2, OrderID: order, Kind: "refund", Gateway: "shopify_payments", Status: "success",
			Amount: decimal(rf.Total), Currency: rf.Currency}},
	}
}

// WooCommerce: the wc/v3 order resource; a refund is an order.updated
// delivery of the order with its refunds.

type wooOrder struct {
	ID               int64         `json:"id"`
	ParentID         int64         `json:"parent_id"`
	Status           string        `json:"status"`
	Currency         string        `json:"currency"`
	Version          string        `json:"version"`
	PricesIncludeTax bool          `json:"prices_include_tax"`
	DateCreated      string        `json:"date_created"`
	DateCreatedGMT   string        `json:"date_created_gmt"`
	DateModified     string        `json:"date_modified"`
	DateModifiedGMT  string        `json:"date_modified_gmt"`
	DatePaid         string        `json:"date_paid"`
	DatePaidGMT      string        `json:"date_paid_gmt"`
	DiscountTotal    string        `json:"discount_total"`
	DiscountTax      string        `json:"discount_tax"`
	ShippingTotal    string        `json:"shipping_total"`
	ShippingTax      string        `json:"shipping_tax"`
	CartTax          string        `json:"cart_tax"`
	Total            string        `json:"total"`
	TotalTax         string        `json:"total_tax"`
	CustomerID       int64         `json:"customer_id"`
	OrderKey         string        `json:"order_key"`
	Billing          wooBilling    `json:"billing"`
	PaymentMethod    string        `json:"payment_method"`
	LineItems        []wooLineItem `json:"line_items"`
	CouponLines      []wooCoupon   `json:"coupon_lines"`
	MetaData         []wooMeta     `json:"meta_data"`
	Refunds          []wooRefund   `json:"refunds"`
}

type wooBilling struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Country   string `json:"country"`
	Email     string `json:"email"`
}

type wooLineItem struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ProductID   int64  `json:"product_id"`
	Quantity    int    `json:"quantity"`
	Subtotal    string `json:"subtotal"`
	SubtotalTax string `json:"subtotal_tax"`
	Total       string `json:"total"`
	TotalTax    string `json:"total_tax"`
}

type wooCoupon struct {
	ID          int64  `json:"id"`
	Code        string `json:"code"`
	Discount    string `json:"discount"`
	DiscountTax string `json:"discount_tax"`
}

type wooMeta struct {
	ID    int64  `json:"id"`
	Key   string `json:"key"`
	Value string `json:"value"`
}

type wooRefund struct {
	ID     int64  `json:"id"`
	Reason string `json:"reason"`
	Total  string `json:"total"`
}

// wooOrderBody is order n; with rf, as updated by that refund.
func wooOrderBody(n int, o *schemas.Order, rf *schemas.Refund) wooOrder {
	v := visitorOf(o)
	created := o.OccurredAt.UTC().Format("2006-01-02T15:04:05")
	b := wooOrder{
		ID: int64(n), Status: "processing", Currency: o.Currency, Version: "9.3.3",
		DateCreated: created, DateCreatedGMT: created, DateModified: created, DateModifiedGMT: created, DatePaid: created, DatePaidGMT: created,
		DiscountTotal: decimal(o.Discount), DiscountTax: "0.00", ShippingTotal: decimal(o.Shipping), ShippingTax: "0.00",
		CartTax: decimal(o.Tax), Total: decimal(o.Total), TotalTax: decimal(o.Tax),
		OrderKey: fmt.Sprintf("wc_order_bench%d", n), Billing: wooBilling{FirstName: "Bench", LastName: "Customer", Country: "DE", Email: emailOf(v)},
		PaymentMethod: "stripe",
		LineItems: []wooLineItem{{ID: int64(n)*10 + 1, Name: "Bench item", ProductID: 93, Quantity: 1, Subtotal: decimal(o.Subtotal), SubtotalTax: "0.00",
			Total: decimal(o.Subtotal - o.Discount), TotalTax: "0.00"}},
		CouponLines: []wooCoupon{},
		MetaData:    []wooMeta{{ID: int64(n)*10 + 3, Key: "_wc_order_attribution_source_type", Value: "referral"}},
		Refunds:     []wooRefund{},
	}
	if c, amt, ok := code(o); ok {
		// WooCommerce stores coupon codes lower-cased.
		b.CouponLines = append(b.CouponLines, wooCoupon{ID: int64(n)*10 + 2, Code: strings.ToLower(c), Discount: decimal(amt), DiscountTax: "0.00"})
	}
	if n%2 == 0 {
		b.MetaData = append(b.MetaData, wooMeta{ID: int64(n)*10 + 4, Key: "_heldsway_vid", Value: v})
	} else {
		b.MetaData = append(b.MetaData, wooMeta{ID: int64(n)*10 + 4, Key: "_wc_order_attribution_session_entry", Value: wooSite + "/?hs_vid=" + v})
	}
	if rf != nil {
		mod := rf.OccurredAt.UTC().Format("2006-01-02T15:04:05")
		b.DateModified, b.DateModifiedGMT = mod, mod
		if rf.Full {
			b.Status = "refunded"
		}
		b.Refunds = append(b.Refunds, wooRefund{ID: int64(wooRefundBase + n), Reason: "returned", Total: decimal(-rf.Total)})
	}
	return b
}

// Stripe: event envelopes of API version 2026-08-26.dahlia.

type stripeEvent struct {
	ID              string          `json:"id"`
	Object          string          `json:"object"`
	APIVersion      string          `json:"api_version"`
	Created         int64           `json:"created"`
	Livemode        bool            `json:"livemode"`
	PendingWebhooks int             `json:"pending_webhooks"`
	Type            string          `json:"type"`
	Data            stripeEventData `json:"data"`
}

type stripeEventData struct {
	Object any `json:"object"`
}

type stripeSession struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Mode              string            `json:"mode"`
	Status            string            `json:"status"`
	PaymentStatus     string            `json:"payment_status"`
	Created           int64             `json:"created"`
	Currency          string            `json:"currency"`
	AmountSubtotal    int64             `json:"amount_subtotal"`
	AmountTotal       int64             `json:"amount_total"`
	ClientReferenceID *string           `json:"client_reference_id"`
	Metadata          map[string]string `json:"metadata"`
	Customer          *string           `json:"customer"`
	CustomerEmail     *string           `json:"customer_email"`
	CustomerDetails   struct {
		Email string `json:"email"`
	} `json:"customer_details"`
	PaymentIntent string `json:"payment_intent"`
	TotalDetails  struct {
		AmountDiscount int64 `json:"amount_discount"`
		AmountShipping int64 `json:"amount_shipping"`
		AmountTax      int64 `json:"amount_tax"`
	} `json:"total_details"`
	Discounts []stripeSessionDiscount `json:"discounts"`
}

type stripeSessionDiscount struct {
	Coupon        *string `json:"coupon"`
	PromotionCode string  `json:"promotion_code"`
}

const stripeAPIVersion = "2026-08-26.dahlia"

func stripeIDs(n int) (session, intent, charge string) {
	return fmt.Sprintf("cs_live_b1Bench%010d", n), fmt.Sprintf("pi_3Bench%010d", n), fmt.Sprintf("ch_3Bench%010d", n)
}

func stripeCheckoutEvent(n int, o *schemas.Order) stripeEvent {
	v := visitorOf(o)
	session, intent, _ := stripeIDs(n)
	s := stripeSession{ID: session, Object: "checkout.session", Mode: "payment", Status: "complete", PaymentStatus: "paid",
		Created: o.OccurredAt.Unix(), Currency: strings.ToLower(o.Currency), AmountSubtotal: o.Subtotal, AmountTotal: o.Total,
		Metadata: map[string]string{}, PaymentIntent: intent, Discounts: []stripeSessionDiscount{}}
	s.CustomerDetails.Email = emailOf(v)
	s.TotalDetails.AmountDiscount, s.TotalDetails.AmountShipping, s.TotalDetails.AmountTax = o.Discount, o.Shipping, o.Tax
	if n%2 == 0 {
		s.Metadata["heldsway_vid"] = v
	} else {
		s.ClientReferenceID = &v
	}
	if c, _, ok := code(o); ok {
		coupon := "bench" + strings.ToLower(c)
		s.Discounts = append(s.Discounts, stripeSessionDiscount{Coupon: &coupon, PromotionCode: stripePromoID(c)})
	}
	return stripeEvent{ID: fmt.Sprintf("evt_1Bench%010d", n), Object: "event", APIVersion: stripeAPIVersion, Created: o.OccurredAt.Unix(),
		PendingWebhooks: 1, Type: "checkout.session.completed", Data: stripeEventData{Object: s}}
}

type stripeRefund struct {
	ID            string `json:"id"`
	Object        string `json:"object"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	Charge        string `json:"charge"`
	PaymentIntent string `json:"payment_intent"`
	Status        string `json:"status"`
	Reason        string `json:"reason"`
	Created       int64  `json:"created"`
}

func stripeRefundEvent(n int, rf *schemas.Refund) stripeEvent {
	_, intent, charge := stripeIDs(n)
	r := stripeRefund{ID: fmt.Sprintf("re_3Bench%010d", n), Object: "refund", Amount: rf.Amount, Currency: strings.ToLower(rf.Currency),
		Charge: charge, PaymentIntent: intent, Status: "succeeded", Reason: "requested_by_customer", Created: rf.OccurredAt.Unix()}
	return stripeEvent{ID: fmt.Sprintf("evt_2Bench%010d", n), Object: "event", APIVersion: stripeAPIVersion, Created: rf.OccurredAt.Unix(),
		PendingWebhooks: 1, Type: "refund.created", Data: stripeEventData{Object: r}}
}

// Paddle Billing: notifications of transaction.completed and
// adjustment.updated.

type paddleNotification struct {
	EventID        string `json:"event_id"`
	EventType      string `json:"event_type"`
	OccurredAt     string `json:"occurred_at"`
	NotificationID string `json:"notification_id"`
	Data           any    `json:"data"`
}

type paddleTotals struct {
	Subtotal        string `json:"subtotal,omitempty"`
	Discount        string `json:"discount,omitempty"`
	Tax             string `json:"tax"`
	Total           string `json:"total"`
	GrandTotal      string `json:"grand_total,omitempty"`
	Fee             string `json:"fee"`
	Earnings        string `json:"earnings"`
	CurrencyCode    string `json:"currency_code"`
	Credit          string `json:"credit,omitempty"`
	Balance         string `json:"balance,omitempty"`
	CreditToBalance string `json:"credit_to_balance,omitempty"`
}

type paddlePeriod struct {
	StartsAt string `json:"starts_at"`
	EndsAt   string `json:"ends_at"`
}

type paddleTransaction struct {
	ID             string            `json:"id"`
	Status         string            `json:"status"`
	CustomerID     string            `json:"customer_id"`
	AddressID      string            `json:"address_id"`
	BusinessID     *string           `json:"business_id"`
	CustomData     map[string]string `json:"custom_data"`
	CurrencyCode   string            `json:"currency_code"`
	Origin         string            `json:"origin"`
	SubscriptionID *string           `json:"subscription_id"`
	InvoiceID      *string           `json:"invoice_id"`
	CollectionMode string            `json:"collection_mode"`
	DiscountID     *string           `json:"discount_id"`
	BillingPeriod  *paddlePeriod     `json:"billing_period"`
	CreatedAt      string            `json:"created_at"`
	UpdatedAt      string            `json:"updated_at"`
	BilledAt       string            `json:"billed_at"`
	Details        struct {
		Totals paddleTotals `json:"totals"`
	} `json:"details"`
}

type paddleAdjustment struct {
	ID             string       `json:"id"`
	Action         string       `json:"action"`
	Type           string       `json:"type"`
	Status         string       `json:"status"`
	TransactionID  string       `json:"transaction_id"`
	SubscriptionID *string      `json:"subscription_id"`
	CustomerID     string       `json:"customer_id"`
	Reason         string       `json:"reason"`
	CurrencyCode   string       `json:"currency_code"`
	Totals         paddleTotals `json:"totals"`
	CreatedAt      string       `json:"created_at"`
	UpdatedAt      string       `json:"updated_at"`
}

func paddleTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }

func paddleTxnID(n int) string { return fmt.Sprintf("txn_01hsbench%014d", n) }

func paddleTransactionEvent(n int, o *schemas.Order) paddleNotification {
	at := paddleTime(o.OccurredAt)
	tx := paddleTransaction{ID: paddleTxnID(n), Status: "completed", CustomerID: fmt.Sprintf("ctm_01hsbench%014d", n),
		AddressID: fmt.Sprintf("add_01hsbench%014d", n), CustomData: map[string]string{"heldsway_vid": visitorOf(o)},
		CurrencyCode: o.Currency, Origin: "web", CollectionMode: "automatic", CreatedAt: at, UpdatedAt: at, BilledAt: at}
	tx.Details.Totals = paddleTotals{Subtotal: strconv.FormatInt(o.Subtotal, 10), Discount: strconv.FormatInt(o.Discount, 10),
		Tax: strconv.FormatInt(o.Tax, 10), Total: strconv.FormatInt(o.Total, 10), GrandTotal: strconv.FormatInt(o.Total, 10),
		Fee: "0", Earnings: strconv.FormatInt(o.Total, 10), CurrencyCode: o.Currency, Credit: "0", Balance: "0", CreditToBalance: "0"}
	if c, _, ok := code(o); ok {
		id := paddleDiscountID(c)
		tx.DiscountID = &id
	}
	if s := o.Subscription; s != nil {
		sub := paddleSubID(s.ID, n)
		tx.SubscriptionID = &sub
		tx.BillingPeriod = &paddlePeriod{StartsAt: at, EndsAt: paddleTime(o.OccurredAt.AddDate(0, 1, 0))}
	}
	return paddleNotification{EventID: fmt.Sprintf("evt_01hsbench%014d", n), EventType: "transaction.completed", OccurredAt: at,
		NotificationID: fmt.Sprintf("ntf_01hsbench%014d", n), Data: tx}
}

// paddleSubID is the Paddle id of world subscription id ("sub-o...").
func paddleSubID(id string, n int) string {
	if m, ok := worldOrderNumber(strings.TrimPrefix(id, "sub-")); ok {
		n = m
	}
	return fmt.Sprintf("sub_01hsbench%014d", n)
}

func paddleAdjustmentEvent(n int, rf *schemas.Refund) paddleNotification {
	at := paddleTime(rf.OccurredAt)
	typ := "partial"
	if rf.Full {
		typ = "full"
	}
	a := paddleAdjustment{ID: fmt.Sprintf("adj_01hsbench%014d", n), Action: "refund", Type: typ, Status: "approved", TransactionID: paddleTxnID(n),
		CustomerID: fmt.Sprintf("ctm_01hsbench%014d", n), Reason: "other", CurrencyCode: rf.Currency,
		Totals: paddleTotals{Subtotal: strconv.FormatInt(rf.Amount, 10), Tax: "0", Total: strconv.FormatInt(rf.Total, 10), Fee: "0",
			Earnings: strconv.FormatInt(rf.Total, 10), CurrencyCode: rf.Currency},
		CreatedAt: at, UpdatedAt: at}
	return paddleNotification{EventID: fmt.Sprintf("evt_01hsbenchr%013d", n), EventType: "adjustment.updated", OccurredAt: at,
		NotificationID: fmt.Sprintf("ntf_01hsbenchr%013d", n), Data: a}
}

// The conversion API, for subscription renewals.

type conversionRequest struct {
	OrderID      string                 `json:"order_id"`
	StoreID      string                 `json:"store_id"`
	Currency     string                 `json:"currency"`
	Subtotal     int64                  `json:"subtotal"`
	Discount     int64                  `json:"discount"`
	Shipping     int64                  `json:"shipping"`
	Tax          int64                  `json:"tax"`
	Total        int64                  `json:"total"`
	Codes        []string               `json:"codes,omitempty"`
	Customer     conversionCustomer     `json:"customer"`
	VisitorID    string                 `json:"visitor_id"`
	Subscription *conversionSubscripton `json:"subscription,omitempty"`
	OccurredAt   time.Time              `json:"occurred_at"`
}

type conversionCustomer struct {
	Email string `json:"email"`
}

type conversionSubscripton struct {
	ID    string `json:"id"`
	Cycle int32  `json:"cycle"`
}

func conversionBody(o *schemas.Order) conversionRequest {
	v := visitorOf(o)
	r := conversionRequest{OrderID: o.OrderID, StoreID: apiStore, Currency: o.Currency, Subtotal: o.Subtotal, Discount: o.Discount,
		Shipping: o.Shipping, Tax: o.Tax, Total: o.Total, Customer: conversionCustomer{Email: emailOf(v)}, VisitorID: v, OccurredAt: o.OccurredAt.UTC()}
	if c, _, ok := code(o); ok {
		r.Codes = []string{c}
	}
	if s := o.Subscription; s != nil {
		// The renewal names the subscription as Paddle does for its first
		// payment, so that a renewal without the code finds who earned it.
		r.Subscription = &conversionSubscripton{ID: paddleSubID(s.ID, 0), Cycle: s.Cycle}
	}
	return r
}

type refundRequest struct {
	RefundID   string    `json:"refund_id"`
	OrderID    string    `json:"order_id"`
	StoreID    string    `json:"store_id"`
	Currency   string    `json:"currency"`
	Amount     int64     `json:"amount"`
	Total      int64     `json:"total"`
	Full       bool      `json:"full"`
	OccurredAt time.Time `json:"occurred_at"`
}

func refundBody(rf *schemas.Refund) refundRequest {
	return refundRequest{RefundID: rf.RefundID, OrderID: rf.OrderID, StoreID: apiStore, Currency: rf.Currency, Amount: rf.Amount,
		Total: rf.Total, Full: rf.Full, OccurredAt: rf.OccurredAt.UTC()}
}
