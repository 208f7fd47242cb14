package checkout

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

const (
	testVID = "vabcdefghijklmnopqrstuvwxyz"
	testCID = "v234567abcdefghijklmnopqrst.abcdefghijklmnop"
)

var testAt = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func valid() Checkout {
	return Checkout{
		Platform: "acme", Store: "s1", OrderID: "o/1", SourceEvent: "order.paid", Currency: "eur",
		Subtotal: 10000, Discount: 1000, Shipping: 500, Tax: 1900, Total: 11400,
		Codes:      []schemas.AppliedCode{{Code: "SARAH10", Amount: 1000}},
		Email:      " Buyer@Example.com ",
		CustomerID: "c9",
		LandingURL: "https://shop.example/?hs_vid=" + testVID,
		OccurredAt: testAt, ReceivedAt: testAt.Add(time.Second),
	}
}

func TestBuildRefuses(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*Checkout)
		want string
	}{
		{"no platform", func(c *Checkout) { c.Platform = "" }, "platform and order id are required"},
		{"no order id", func(c *Checkout) { c.OrderID = "" }, "platform and order id are required"},
		{"unknown currency", func(c *Checkout) { c.Currency = "EURO" }, "currency: "},
		{"no currency", func(c *Checkout) { c.Currency = "" }, "currency: "},
		{"negative subtotal", func(c *Checkout) { c.Subtotal = -1 }, "subtotal -1 is out of range"},
		{"discount above max", func(c *Checkout) { c.Discount = money.Max + 1 }, "discount "},
		{"negative shipping", func(c *Checkout) { c.Shipping = -5 }, "shipping -5"},
		{"negative tax", func(c *Checkout) { c.Tax = -5 }, "tax -5"},
		{"total above max", func(c *Checkout) { c.Total = money.Max + 1 }, "total "},
		{"empty code", func(c *Checkout) { c.Codes = []schemas.AppliedCode{{Amount: 1}} }, "codes[0] is empty"},
		{"negative code amount", func(c *Checkout) { c.Codes[0].Amount = -1 }, "codes[0].amount -1"},
		{"no time", func(c *Checkout) { c.OccurredAt = time.Time{} }, "time is missing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.edit(&c)
			o, err := Build(c, nil)
			if !errors.Is(err, ErrCheckout) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build: %v, %+v; want an ErrCheckout containing %q", err, o, tt.want)
			}
		})
	}
}

func TestBuild(t *testing.T) {
	h, err := identity.NewHasher([]byte("0123456789abcdef-hash"))
	if err != nil {
		t.Fatal(err)
	}
	emailHash := h.Email("buyer@example.com")
	ref := schemas.OrderRef("acme", "s1", "o/1")
	for _, tt := range []struct {
		name    string
		edit    func(*Checkout)
		hasher  *identity.Hasher
		wantKey string
		check   func(t *testing.T, o *schemas.Order)
	}{
		{"email keys the customer, hashed", nil, h, identity.CustomerKey("", "", emailHash, "", ref), func(t *testing.T, o *schemas.Order) {
			if o.Customer.EmailHash == nil || *o.Customer.EmailHash != emailHash {
				t.Errorf("email hash %v, want %s", o.Customer.EmailHash, emailHash)
			}
			if b, _ := json.Marshal(o); strings.Contains(strings.ToLower(string(b)), "buyer@example.com") {
				t.Errorf("the email is published: %s", b)
			}
		}},
		{"without a hasher no email token", nil, nil, identity.CustomerKey("", "", "", "", ref), func(t *testing.T, o *schemas.Order) {
			if o.Customer.EmailHash != nil {
				t.Errorf("email hash %q without a hasher", *o.Customer.EmailHash)
			}
		}},
		{"visitor id beats email", func(c *Checkout) { c.VisitorID = testVID }, h, identity.CustomerKey(testVID, "", emailHash, "", ref), nil},
		{"click id", func(c *Checkout) { c.ClickID = testCID }, h, identity.CustomerKey("", testCID, emailHash, "", ref), nil},
		{"customer id does not key by default", func(c *Checkout) { c.Email = "" }, h, identity.CustomerKey("", "", "", "", ref), nil},
		{"customer id keys when the platform says so", func(c *Checkout) { c.Email, c.KeyByCustomerID = "", true }, h,
			identity.CustomerKey("", "", "", schemas.OrderRef("acme", "s1", "c9"), ref), nil},
		{"no customer id: the order keys", func(c *Checkout) { c.Email, c.CustomerID, c.KeyByCustomerID = "", "", true }, h,
			identity.CustomerKey("", "", "", "", ref), func(t *testing.T, o *schemas.Order) {
				if o.Customer.CustomerID != nil {
					t.Errorf("customer id %q", *o.Customer.CustomerID)
				}
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			if tt.edit != nil {
				tt.edit(&c)
			}
			o, err := Build(c, tt.hasher)
			if err != nil {
				t.Fatal(err)
			}
			if o.Customer.Key != tt.wantKey {
				t.Errorf("customer key %q, want %q", o.Customer.Key, tt.wantKey)
			}
			if o.Currency != "EUR" || o.Platform != "acme" || o.StoreID != "s1" || o.OrderID != "o/1" || o.SourceEvent != "order.paid" ||
				o.Subtotal != 10000 || o.Discount != 1000 || o.Shipping != 500 || o.Tax != 1900 || o.Total != 11400 ||
				!o.OccurredAt.Equal(testAt) || !o.ReceivedAt.Equal(testAt.Add(time.Second)) || len(o.Codes) != 1 {
				t.Errorf("order %+v", o)
			}
			if want := schemas.ID("acme", "s1", "order", "o/1"); o.EventID != want {
				t.Errorf("event id %s, want %s", o.EventID, want)
			}
			if tt.check != nil {
				tt.check(t, o)
			}
		})
	}
}

// TestEventIDLayouts spells each layout out with schemas.ID: the recipe
// of a new platform, and those of the platforms laid out before it.
func TestEventIDLayouts(t *testing.T) {
	for _, tt := range []struct {
		name string
		k    EventKey
		want string
	}{
		{"new platform order", EventKey{Platform: "acme", Store: "s", OrderID: "1"}, schemas.ID("acme", "s", "order", "1")},
		{"new platform order, occurrence", EventKey{Platform: "acme", Store: "s", OrderID: "1", Occurrence: []string{"v2"}}, schemas.ID("acme", "s", "order", "1", "v2")},
		{"new platform refund", EventKey{Platform: "acme", Store: "s", OrderID: "1", RefundID: "r"}, schemas.ID("acme", "s", "refund", "1", "r")},
		{"stripe order", EventKey{Platform: "stripe", Store: "acct", OrderID: "pi_1"}, schemas.ID("stripe", "acct", "order", "pi_1")},
		{"stripe refund", EventKey{Platform: "stripe", Store: "acct", OrderID: "pi_1", RefundID: "re_1"}, schemas.ID("stripe", "acct", "refund", "pi_1", "re_1")},
		{"paddle refund", EventKey{Platform: "paddle", Store: "p", OrderID: "txn_1", RefundID: "adj_1"}, schemas.ID("paddle", "p", "refund", "txn_1", "adj_1")},
		{"shopify orders/paid", EventKey{Platform: "shopify", Store: "x.myshopify.com", OrderID: "9", Occurrence: []string{"orders/paid"}}, schemas.ID("shopify", "x.myshopify.com", "9", "orders/paid")},
		{"shopify orders/updated", EventKey{Platform: "shopify", Store: "x", OrderID: "9", Occurrence: []string{"orders/updated", "2026-01-01T00:00:00Z"}}, schemas.ID("shopify", "x", "9", "orders/updated", "2026-01-01T00:00:00Z")},
		{"shopify refund", EventKey{Platform: "shopify", Store: "x", OrderID: "9", RefundID: "r"}, schemas.ID("shopify", "x", "refund", "r")},
		{"woocommerce order", EventKey{Platform: "woocommerce", Store: "w", OrderID: "9"}, schemas.ID("woocommerce", "w", "9", "paid")},
		{"woocommerce refund", EventKey{Platform: "woocommerce", Store: "w", OrderID: "9", RefundID: "r"}, schemas.ID("woocommerce", "w", "refund", "r")},
		{"conversion API order", EventKey{Platform: "api", Store: "default", OrderID: "9"}, schemas.ID("api", "default", "9", "conversion")},
		{"conversion API refund", EventKey{Platform: "api", Store: "default", OrderID: "9", RefundID: "r"}, schemas.ID("api", "default", "refund", "r")},
	} {
		if got := EventID(tt.k); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestCodes(t *testing.T) {
	var c Codes
	if l := c.List(); l == nil || len(l) != 0 {
		t.Fatalf("empty list %#v", l)
	}
	for _, a := range []struct {
		raw string
		amt int64
	}{{"sarah10", 500}, {"has space", 100}, {"MIKE5", 200}, {" Sarah10 ", 250}} {
		if err := c.Add(a.raw, a.amt); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := json.Marshal(c.List())
	if want := `[{"code":"SARAH10","amount":750,"remote_id":null},{"code":"MIKE5","amount":200,"remote_id":null}]`; string(got) != want {
		t.Errorf("codes %s, want %s", got, want)
	}
	if err := c.Add("MIKE5", money.Max); err == nil {
		t.Errorf("a sum above money.Max was accepted: %+v", c.List())
	}
}

func TestOptional(t *testing.T) {
	s := "x"
	empty := ""
	if Optional("") != nil || *Optional("x") != "x" || OptionalPtr(nil) != nil || OptionalPtr(&empty) != nil || *OptionalPtr(&s) != "x" {
		t.Error("Optional")
	}
}
