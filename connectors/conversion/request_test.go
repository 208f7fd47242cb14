package conversion

import (
	"github.com/heldsway/heldsway/connectors/edge"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/identity"
)

var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func testHasher(t testing.TB) *identity.Hasher {
	h, err := identity.NewHasher([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestOrderRequestValidation(t *testing.T) {
	tests := []struct {
		name string
		body string
		err  string // substring; "" means valid
	}{
		{"minimal", `{"order_id":"1","currency":"USD","subtotal":100}`, ""},
		{"unknown field", `{"order_id":"1","currency":"USD","subtotal":100,"subtotl":1}`, "unknown field"},
		{"trailing data", `{"order_id":"1","currency":"USD","subtotal":100} {}`, "trailing"},
		{"not json", `order_id=1`, "decoding JSON"},
		{"missing order id", `{"currency":"USD","subtotal":100}`, "order_id is required"},
		{"missing subtotal", `{"order_id":"1","currency":"USD"}`, "subtotal is required"},
		{"float amount", `{"order_id":"1","currency":"USD","subtotal":10.5}`, "decoding JSON"},
		{"negative", `{"order_id":"1","currency":"USD","subtotal":-1}`, "negative"},
		{"overflow", `{"order_id":"1","currency":"USD","subtotal":99999999999999999999}`, "decoding JSON"},
		{"too large", `{"order_id":"1","currency":"USD","subtotal":2000000000000000}`, "exceeds"},
		{"discount over subtotal", `{"order_id":"1","currency":"USD","subtotal":100,"discount":101}`, "exceeds subtotal"},
		{"unknown currency", `{"order_id":"1","currency":"ABC","subtotal":100}`, "currency"},
		{"lower-case currency", `{"order_id":"1","currency":"usd","subtotal":100}`, ""},
		{"bad code", `{"order_id":"1","currency":"USD","subtotal":100,"codes":["two words"]}`, "codes[0]"},
		{"far future", `{"order_id":"1","currency":"USD","subtotal":100,"occurred_at":"2030-01-01T00:00:00Z"}`, "outside"},
		{"far past", `{"order_id":"1","currency":"USD","subtotal":100,"occurred_at":"2001-01-01T00:00:00Z"}`, "outside"},
		{"bad time", `{"order_id":"1","currency":"USD","subtotal":100,"occurred_at":"yesterday"}`, "decoding JSON"},
		{"control char id", `{"order_id":"1\u0007","currency":"USD","subtotal":100}`, "control character"},
		{"long id", `{"order_id":"` + strings.Repeat("x", 129) + `","currency":"USD","subtotal":100}`, "longer than 128"},
		{"subscription without id", `{"order_id":"1","currency":"USD","subtotal":100,"subscription":{"cycle":2}}`, "subscription.id"},
		{"total consistent", `{"order_id":"1","currency":"USD","subtotal":10000,"discount":1000,"shipping":500,"tax":700,"total":10200}`, ""},
		{"total within tolerance", `{"order_id":"1","currency":"USD","subtotal":10000,"discount":1000,"shipping":500,"tax":700,"total":10210}`, ""},
		{"total off", `{"order_id":"1","currency":"USD","subtotal":10000,"discount":1000,"total":1}`, "total 1 differs from subtotal - discount + shipping + tax = 9000 by -8999, more than the tolerance 9"},
		{"total above the parts", `{"order_id":"1","currency":"USD","subtotal":100,"total":103}`, "more than the tolerance 2"},
		{"total over the cap", `{"order_id":"1","currency":"USD","subtotal":100,"total":1000000000000001}`, "total: 1000000000000001 exceeds the maximum"},
		{"parts over the cap", `{"order_id":"1","currency":"USD","subtotal":1000000000000000,"shipping":1000000000000000}`, "subtotal - discount + shipping + tax: 2000000000000000 exceeds the maximum"},
		{"currency XXX", `{"order_id":"1","currency":"XXX","subtotal":100}`, "not a currency a sale is priced in"},
		{"currency XTS", `{"order_id":"1","currency":"xts","subtotal":100}`, "not a currency a sale is priced in"},
		{"duplicate key", `{"order_id":"1","currency":"USD","subtotal":100,"subtotal":100000}`, "duplicate key"},
		{"landing_url not a URL", `{"order_id":"1","currency":"USD","subtotal":100,"landing_url":"mailto:jane@example.com"}`, "landing_url: urlscrub: not an http(s) URL"},
		{"invalid utf8", "{\"order_id\":\"\xff\",\"currency\":\"USD\",\"subtotal\":100}", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req OrderRequest
			err := edge.DecodeJSON([]byte(tt.body), &req)
			if err == nil {
				_, err = req.ToOrder(testHasher(t), testNow)
			}
			if tt.err == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error = %v, want containing %q", err, tt.err)
			}
		})
	}
}

// TestOrderLandingScrubbed: landing_url is published without what may
// identify the buyer (see package urlscrub).
func TestOrderLandingScrubbed(t *testing.T) {
	body := `{"order_id":"1","currency":"USD","subtotal":100,"landing_url":"https://u:p@shop.example/x?utm_campaign=c&email=jane%40example.com&fbclid=f#jane@example.com"}`
	var req OrderRequest
	if err := edge.DecodeJSON([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	o, err := req.ToOrder(testHasher(t), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if o.LandingURL == nil || *o.LandingURL != "https://shop.example/x?utm_campaign=c&fbclid=f" {
		t.Fatalf("landing_url %v", o.LandingURL)
	}
}

func TestOrderMapping(t *testing.T) {
	h := testHasher(t)
	v := identity.NewVisitorID()
	body := `{"order_id":"A-1","store_id":"eu","currency":"EUR","subtotal":10000,"discount":1000,"shipping":500,"tax":1710,` +
		`"codes":["sarah10","SARAH10"," mike5 "],"customer":{"email":"A@B.example","id":"c9","first_order":true},` +
		`"click_id":"` + identity.NewClickID(v) + `","subscription":{"id":"sub_1","cycle":3,"started_at":"2026-09-01T00:00:00Z"},` +
		`"occurred_at":"2026-11-22T11:59:59.123456Z"}`
	var req OrderRequest
	if err := edge.DecodeJSON([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	o, err := req.ToOrder(h, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if o.Total != 10000-1000+500+1710 {
		t.Errorf("total %d", o.Total)
	}
	if len(o.Codes) != 2 || o.Codes[0].Code != "SARAH10" || o.Codes[1].Code != "MIKE5" || o.Codes[0].Amount != 0 {
		t.Errorf("codes %+v: want deduplicated, normalised, no per-code amount with two codes", o.Codes)
	}
	if o.Customer.Key != v {
		t.Errorf("key %q, want the visitor in the click id %q", o.Customer.Key, v)
	}
	if *o.Customer.EmailHash != h.Email("a@b.example") || *o.Customer.CustomerID != "c9" || !*o.Customer.FirstOrder {
		t.Errorf("customer %+v", o.Customer)
	}
	if o.Subscription == nil || o.Subscription.ID != "sub_1" || o.Subscription.Cycle != 3 {
		t.Errorf("subscription %+v", o.Subscription)
	}
	if !o.OccurredAt.Equal(time.Date(2026, 11, 22, 11, 59, 59, 123_000_000, time.UTC)) {
		t.Errorf("occurred_at %v: want truncated to ms", o.OccurredAt)
	}
	if o.StoreID != "eu" || o.Platform != Platform || o.EventID == "" {
		t.Errorf("ids %+v", o)
	}
	var again OrderRequest
	_ = edge.DecodeJSON([]byte(body), &again)
	o2, _ := again.ToOrder(h, testNow.Add(time.Hour))
	if o2.EventID != o.EventID {
		t.Errorf("event id changed between deliveries: %s vs %s", o.EventID, o2.EventID)
	}
}

func TestRefundValidation(t *testing.T) {
	tests := []struct {
		body, err string
	}{
		{`{"refund_id":"r","order_id":"o","currency":"USD","amount":5}`, ""},
		{`{"order_id":"o","currency":"USD","amount":5}`, "refund_id is required"},
		{`{"refund_id":"r","order_id":"o","currency":"USD"}`, "amount is required"},
		{`{"refund_id":"r","order_id":"o","currency":"USD","amount":-5}`, "negative"},
		{`{"refund_id":"r","order_id":"o","currency":"XYZ","amount":5}`, "currency"},
	}
	for _, tt := range tests {
		var req RefundRequest
		err := edge.DecodeJSON([]byte(tt.body), &req)
		if err == nil {
			_, err = req.ToRefund(testNow)
		}
		if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: error %v, want %q", tt.body, err, tt.err)
		}
	}
}

func FuzzOrderRequest(f *testing.F) {
	f.Add(`{"order_id":"1","currency":"USD","subtotal":100,"codes":["a"]}`)
	f.Add(`{"order_id":"1","currency":"EUR","subtotal":5990,"discount":599,"customer":{"email":"x@y"},"subscription":{"id":"s","cycle":1}}`)
	f.Add(`{"order_id":"","currency":"","subtotal":-1}`)
	h := testHasher(f)
	f.Fuzz(func(t *testing.T, body string) {
		var req OrderRequest
		if err := edge.DecodeJSON([]byte(body), &req); err != nil {
			return
		}
		o, err := req.ToOrder(h, testNow)
		if err != nil {
			return
		}
		if o.Subtotal < 0 || o.Discount < 0 || o.Discount > o.Subtotal || o.Total < 0 || o.Currency == "" || o.Customer.Key == "" {
			t.Fatalf("invalid order accepted: %+v", o)
		}
	})
}

// TestOrderKeysUnambiguous: store "s/x" with order "o" and store "s" with
// order "x/o" are different orders, so an order with nothing else to
// identify its customer gets a different customer key for each.
func TestOrderKeysUnambiguous(t *testing.T) {
	h := testHasher(t)
	keys := map[string]string{}
	for _, ids := range [][2]string{{"s/x", "o"}, {"s", "x/o"}} {
		body := `{"order_id":"` + ids[1] + `","store_id":"` + ids[0] + `","currency":"EUR","subtotal":100}`
		var req OrderRequest
		if err := edge.DecodeJSON([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		o, err := req.ToOrder(h, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := keys[o.Customer.Key]; ok {
			t.Fatalf("store %q order %q has the customer key %q of %s", ids[0], ids[1], o.Customer.Key, prev)
		}
		keys[o.Customer.Key] = ids[0] + "|" + ids[1]
	}
}
