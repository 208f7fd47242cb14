package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/paddle"
	"github.com/heldsway/heldsway/connectors/stripe"
	"github.com/heldsway/heldsway/schemas"
)

// campaignNow is the edge's clock during the campaign.
var campaignNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// conversionMaxBody is the conversion API's own body limit (64 KiB, below
// --max-body-bytes).
const conversionMaxBody = 64 << 10

// target is one kind of request an endpoint takes, with a builder for a
// valid body (fresh ids on every call) and where each hostile value goes.
type target struct {
	name string
	path string
	// limit is the endpoint's body limit.
	limit int
	// build returns a valid body after edit changed its decoded form.
	build func(edit func(m map[string]any)) []byte
	// auth returns the headers that authenticate body.
	auth func(body []byte) map[string]string
	// setTime puts an event time where it becomes the record's
	// occurred_at; timeField names it in the reason.
	setTime   func(m map[string]any, t time.Time)
	timeField string
	// setText puts s into a free-text JSON string.
	setText func(m map[string]any, s string)
	// amounts, when set, puts the class's hostile amount ("negative",
	// "overflowing", "over-precise") in the endpoint's own form (decimal
	// string, minor-unit string or JSON integer) and returns the reason
	// expected.
	amounts func(m map[string]any, class string) string
	// setCurrency, when set, puts a currency code.
	setCurrency func(m map[string]any, code string)
}

// attack is one request of the campaign and its documented answer.
type attack struct {
	name    string
	method  string
	path    string
	body    []byte
	header  map[string]string
	chunked bool // no Content-Length: the body streams
	status  int
	reason  string // substring of the answer's reason (error and item errors)
	// sameAs names an earlier accepted attack whose event ids this one
	// must repeat (a replayed webhook).
	sameAs string
	// stall sends the first half of body, announcing all of it, then
	// nothing until the answer came: a refusal must not wait for it.
	stall bool
	// unrecorded marks an accepted request that must publish nothing
	// (HEAD /c/{code}); its click id must not be on Kafka.
	unrecorded bool
}

// TestIntegrationBadInputCampaign sends every class of hostile input the
// "Bad input" table of docs/faults.md lists to every endpoint that takes it, on a
// running edge publishing to the embedded broker over TCP, and checks each
// documented status and reason; then that the edge still answers /healthz,
// and that Kafka holds exactly the events of the accepted requests (the
// valid controls and the replays), none of any refused one.
func TestIntegrationBadInputCampaign(t *testing.T) {
	s := newStack(t)
	s.setNow(campaignNow)
	now := campaignNow
	seq := 0
	next := func() int { seq++; return seq }
	visitor := identity.NewVisitorID()

	decode := func(b []byte) map[string]any {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	encode := func(m map[string]any) []byte {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	obj := func(m map[string]any) map[string]any { return m["data"].(map[string]any)["object"].(map[string]any) }
	data := func(m map[string]any) map[string]any { return m["data"].(map[string]any) }
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	wooTime := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }
	num := func(s string) json.Number { return json.Number(s) }

	shopAuth := func(topic string) func([]byte) map[string]string {
		return func(b []byte) map[string]string {
			return map[string]string{"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": "shop.myshopify.com",
				"X-Shopify-Hmac-Sha256": b64hmac(shopifySecret, b), "X-Shopify-Webhook-Id": "wh-campaign"}
		}
	}
	wooAuth := func(topic string) func([]byte) map[string]string {
		return func(b []byte) map[string]string {
			return map[string]string{"X-WC-Webhook-Topic": topic, "X-WC-Webhook-Source": "https://shop.example/",
				"X-WC-Webhook-Signature": b64hmac(wooSecret, b)}
		}
	}
	stripeAuth := func(b []byte) map[string]string {
		return map[string]string{"Stripe-Signature": stripe.Sign(stripeSecret, now, b)}
	}
	paddleAuth := func(b []byte) map[string]string {
		return map[string]string{"Paddle-Signature": paddle.Sign(paddleSecret, now, b)}
	}
	bearer := func([]byte) map[string]string { return map[string]string{"Authorization": "Bearer " + apiToken} }

	// Decimal-string platforms (Shopify, WooCommerce) and minor-unit ones
	// (Stripe, Paddle as strings, the APIs as JSON numbers) get the same
	// hostile values in their own form.
	decimalAmount := func(set func(m map[string]any, v string), field string) func(map[string]any, string) string {
		return func(m map[string]any, class string) string {
			switch class {
			case "negative":
				set(m, "-1.00")
				return field + ": -1.00 is negative"
			case "overflowing":
				set(m, "99999999999999999999999.99")
				return `money: invalid amount: "99999999999999999999999.99" exceeds`
			default: // over-precise
				set(m, "59.901")
				return `money: invalid amount: "59.901" has more than 2 decimal places`
			}
		}
	}
	intAmount := func(set func(m map[string]any, v json.Number), negative string) func(map[string]any, string) string {
		return func(m map[string]any, class string) string {
			switch class {
			case "negative":
				set(m, num("-1"))
				return negative
			case "overflowing":
				set(m, num("99999999999999999999999"))
				return "cannot unmarshal number 99999999999999999999999 into Go struct field"
			default:
				set(m, num("5990.5"))
				return "cannot unmarshal number 5990.5 into Go struct field"
			}
		}
	}

	shopOrder := fixture(t, "../shopify/testdata/order_450789469.rest-2026-07.json")
	shopRefund := fixture(t, "../shopify/testdata/refund_509562969.rest-2026-07.json")
	wooOrder := fixture(t, "../woocommerce/testdata/order_963_with_coupon_lines.json")
	wooRefunded := fixture(t, "../woocommerce/testdata/order_324_partially_refunded.json")
	stripeEvent := fixture(t, "../stripe/testdata/fixtures3.event.json")
	stripeSession := fixture(t, "../stripe/testdata/fixtures3.checkout.session.json")
	stripeRefund := fixture(t, "../stripe/testdata/fixtures3.refund.json")
	paddleTxn := fixture(t, "../paddle/testdata/notification_data.transaction.completed.json")
	paddleAdj := fixture(t, "../paddle/testdata/notification_data.adjustment.created.json")

	stripeBuild := func(typ string, object []byte, prep func(n int, o map[string]any)) func(func(map[string]any)) []byte {
		return func(edit func(map[string]any)) []byte {
			n := next()
			ev := decode(stripeEvent)
			o := decode(object)
			prep(n, o)
			ev["id"], ev["type"], ev["created"] = fmt.Sprintf("evt_campaign_%d", n), typ, now.Add(-time.Hour).Unix()
			ev["data"] = map[string]any{"object": o}
			edit(ev)
			return encode(ev)
		}
	}
	paddleBuild := func(typ string, d []byte, prep func(n int, d map[string]any)) func(func(map[string]any)) []byte {
		return func(edit func(map[string]any)) []byte {
			n := next()
			dm := decode(d)
			prep(n, dm)
			m := map[string]any{"event_id": fmt.Sprintf("evt_campaign_%d", n), "event_type": typ,
				"occurred_at": now.Add(-time.Hour).Format(time.RFC3339Nano), "notification_id": fmt.Sprintf("ntf_%d", n), "data": dm}
			edit(m)
			return encode(m)
		}
	}
	paddleTotals := func(m map[string]any) map[string]any {
		return data(m)["details"].(map[string]any)["totals"].(map[string]any)
	}

	targets := []target{
		{
			name: "shopify orders/paid", path: "/webhooks/shopify", limit: maxBody, auth: shopAuth("orders/paid"),
			build: func(edit func(map[string]any)) []byte {
				m := decode(shopOrder)
				m["id"], m["created_at"] = 900000+next(), rfc(now.Add(-time.Hour))
				edit(m)
				return encode(m)
			},
			setTime: func(m map[string]any, t time.Time) { m["created_at"] = rfc(t) }, timeField: "created_at",
			setText:     func(m map[string]any, s string) { m["note"] = s },
			amounts:     decimalAmount(func(m map[string]any, v string) { m["total_line_items_price"] = v }, "total_line_items_price"),
			setCurrency: func(m map[string]any, c string) { m["currency"] = c },
		},
		{
			name: "shopify refunds/create", path: "/webhooks/shopify", limit: maxBody, auth: shopAuth("refunds/create"),
			build: func(edit func(map[string]any)) []byte {
				m := decode(shopRefund)
				m["id"], m["created_at"] = 900000+next(), rfc(now.Add(-time.Hour))
				edit(m)
				return encode(m)
			},
			setTime: func(m map[string]any, t time.Time) { m["created_at"] = rfc(t) }, timeField: "created_at",
			setText: func(m map[string]any, s string) { m["note"] = s },
		},
		{
			name: "woocommerce order.created", path: "/webhooks/woocommerce", limit: maxBody, auth: wooAuth("order.created"),
			build: func(edit func(map[string]any)) []byte {
				m := decode(wooOrder)
				m["id"], m["date_created_gmt"], m["date_modified_gmt"] = 900000+next(), wooTime(now.Add(-time.Hour)), wooTime(now.Add(-time.Hour))
				edit(m)
				return encode(m)
			},
			setTime: func(m map[string]any, t time.Time) { m["date_created_gmt"] = wooTime(t) }, timeField: "date_created_gmt",
			setText:     func(m map[string]any, s string) { m["customer_note"] = s },
			amounts:     decimalAmount(func(m map[string]any, v string) { m["total"] = v }, "total"),
			setCurrency: func(m map[string]any, c string) { m["currency"] = c },
		},
		{
			name: "woocommerce order.updated with refunds", path: "/webhooks/woocommerce", limit: maxBody, auth: wooAuth("order.updated"),
			build: func(edit func(map[string]any)) []byte {
				m := decode(wooRefunded)
				n := next()
				m["id"], m["date_created_gmt"], m["date_modified_gmt"] = 900000+n, wooTime(now.Add(-2*time.Hour)), wooTime(now.Add(-time.Hour))
				for i, r := range m["refunds"].([]any) {
					r.(map[string]any)["id"] = 900000 + 10*n + i
				}
				edit(m)
				return encode(m)
			},
			// A refund's own time: the order's date_modified_gmt.
			setTime: func(m map[string]any, t time.Time) { m["date_modified_gmt"] = wooTime(t) }, timeField: "date_modified_gmt",
			setText: func(m map[string]any, s string) { m["refunds"].([]any)[0].(map[string]any)["reason"] = s },
		},
		{
			name: "stripe checkout.session.completed", path: "/webhooks/stripe", limit: maxBody, auth: stripeAuth,
			build: stripeBuild("checkout.session.completed", stripeSession, func(n int, o map[string]any) {
				o["id"], o["payment_intent"] = fmt.Sprintf("cs_campaign_%d", n), fmt.Sprintf("pi_campaign_%d", n)
				o["payment_status"], o["status"], o["currency"] = "paid", "complete", "usd"
				o["amount_subtotal"], o["amount_total"] = 5000, 4500
				o["total_details"] = map[string]any{"amount_discount": 500, "amount_shipping": 0, "amount_tax": 0}
			}),
			setTime: func(m map[string]any, t time.Time) { m["created"] = t.Unix() }, timeField: "created",
			setText: func(m map[string]any, s string) { obj(m)["client_reference_id"] = s },
			amounts: intAmount(func(m map[string]any, v json.Number) { obj(m)["amount_subtotal"] = v }, "subtotal -1 is out of range"),
			setCurrency: func(m map[string]any, c string) {
				obj(m)["currency"] = strings.ToLower(c)
			},
		},
		{
			name: "stripe refund.created", path: "/webhooks/stripe", limit: maxBody, auth: stripeAuth,
			build: stripeBuild("refund.created", stripeRefund, func(n int, o map[string]any) {
				o["id"], o["payment_intent"], o["status"] = fmt.Sprintf("re_campaign_%d", n), fmt.Sprintf("pi_campaign_r%d", n), "succeeded"
				o["created"] = now.Add(-time.Hour).Unix()
			}),
			// A refund's own time, not its event's.
			setTime: func(m map[string]any, t time.Time) { obj(m)["created"] = t.Unix() }, timeField: "refund created",
			setText: func(m map[string]any, s string) { obj(m)["reason"] = s },
			amounts: intAmount(func(m map[string]any, v json.Number) { obj(m)["amount"] = v }, "checkout: invalid checkout: amount -1 is out of range"),
			setCurrency: func(m map[string]any, c string) {
				obj(m)["currency"] = strings.ToLower(c)
			},
		},
		{
			name: "paddle transaction.completed", path: "/webhooks/paddle", limit: maxBody, auth: paddleAuth,
			build: paddleBuild("transaction.completed", paddleTxn, func(n int, d map[string]any) {
				d["id"] = fmt.Sprintf("txn_campaign_%d", n)
			}),
			setTime: func(m map[string]any, t time.Time) { m["occurred_at"] = t.UTC().Format(time.RFC3339Nano) }, timeField: "occurred_at",
			setText: func(m map[string]any, s string) { data(m)["invoice_number"] = s },
			amounts: func(m map[string]any, class string) string {
				set := func(v string) { paddleTotals(m)["subtotal"] = v }
				switch class {
				case "negative":
					set("-1")
					return `subtotal "-1" is not a non-negative integer`
				case "overflowing":
					set("99999999999999999999999")
					return `subtotal: money: invalid amount: "99999999999999999999999" exceeds`
				default:
					set("5990.5")
					return `subtotal "5990.5" is not a non-negative integer`
				}
			},
			setCurrency: func(m map[string]any, c string) { data(m)["currency_code"] = c },
		},
		{
			name: "paddle adjustment.updated", path: "/webhooks/paddle", limit: maxBody, auth: paddleAuth,
			build: paddleBuild("adjustment.updated", paddleAdj, func(n int, d map[string]any) {
				d["id"], d["status"] = fmt.Sprintf("adj_campaign_%d", n), "approved"
			}),
			setTime: func(m map[string]any, t time.Time) { m["occurred_at"] = t.UTC().Format(time.RFC3339Nano) }, timeField: "occurred_at",
			setText:     func(m map[string]any, s string) { data(m)["reason"] = s },
			setCurrency: func(m map[string]any, c string) { data(m)["currency_code"] = c },
		},
		{
			name: "conversion", path: "/v1/conversions", limit: conversionMaxBody, auth: bearer,
			build: func(edit func(map[string]any)) []byte {
				m := map[string]any{"order_id": fmt.Sprintf("conv-%d", next()), "currency": "EUR", "subtotal": 5990,
					"codes": []any{"SARAH10"}, "visitor_id": visitor, "occurred_at": rfc(now.Add(-time.Hour))}
				edit(m)
				return encode(m)
			},
			setTime: func(m map[string]any, t time.Time) { m["occurred_at"] = rfc(t) }, timeField: "occurred_at",
			setText:     func(m map[string]any, s string) { m["landing_url"] = s },
			amounts:     intAmount(func(m map[string]any, v json.Number) { m["subtotal"] = v }, "subtotal: -1 is negative"),
			setCurrency: func(m map[string]any, c string) { m["currency"] = c },
		},
		{
			name: "conversion refund", path: "/v1/refunds", limit: conversionMaxBody, auth: bearer,
			build: func(edit func(map[string]any)) []byte {
				n := next()
				m := map[string]any{"refund_id": fmt.Sprintf("conv-refund-%d", n), "order_id": fmt.Sprintf("conv-%d", n),
					"currency": "EUR", "amount": 100, "occurred_at": rfc(now.Add(-time.Hour))}
				edit(m)
				return encode(m)
			},
			setTime: func(m map[string]any, t time.Time) { m["occurred_at"] = rfc(t) }, timeField: "occurred_at",
			setText:     func(m map[string]any, s string) { m["reason"] = s },
			amounts:     intAmount(func(m map[string]any, v json.Number) { m["amount"] = v }, "amount: -1 is negative"),
			setCurrency: func(m map[string]any, c string) { m["currency"] = c },
		},
		{
			name: "click batch", path: "/v1/clicks", limit: maxBody, auth: bearer,
			build: func(edit func(map[string]any)) []byte {
				c := map[string]any{"id": fmt.Sprintf("click-%d", next()), "visitor_id": visitor, "code": "SARAH10",
					"occurred_at": rfc(now.Add(-time.Hour))}
				m := map[string]any{"clicks": []any{c}}
				edit(m)
				return encode(m)
			},
			setTime: func(m map[string]any, t time.Time) {
				m["clicks"].([]any)[0].(map[string]any)["occurred_at"] = rfc(t)
			},
			timeField: "occurred_at",
			setText:   func(m map[string]any, s string) { m["clicks"].([]any)[0].(map[string]any)["user_agent"] = s },
		},
	}

	var attacks []attack
	add := func(a attack) {
		if a.method == "" {
			a.method = http.MethodPost
		}
		attacks = append(attacks, a)
	}
	const badUTF8 = "\xff\xfe"
	nested := func(depth int) []byte { return bytes.Repeat([]byte("["), depth) }
	for _, tg := range targets {
		keep := func(map[string]any) {}
		control := tg.build(keep)
		add(attack{name: tg.name + ": control", path: tg.path, body: control, header: tg.auth(control), status: okStatus(tg.path)})

		// Over the body limit, announced and streamed.
		pad := func(n int) []byte {
			return append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("a"), n-10)...), `"}`...)
		}
		big := pad(tg.limit + 1)
		add(attack{name: tg.name + ": body over the limit", path: tg.path, body: big, header: tg.auth(big),
			status: http.StatusRequestEntityTooLarge, reason: fmt.Sprintf("body of %d bytes exceeds the %d byte limit", len(big), tg.limit)})
		add(attack{name: tg.name + ": streamed body over the limit", path: tg.path, body: big, header: tg.auth(big), chunked: true,
			status: http.StatusRequestEntityTooLarge, reason: fmt.Sprintf("body exceeds the %d byte limit", tg.limit)})

		// Deeply nested JSON: 100k levels, or as many as the conversion
		// API's 64 KiB allow (60k; the decoder stops at 10k).
		depth := 100_000
		if tg.limit < depth {
			depth = 60_000
		}
		deep := nested(depth)
		add(attack{name: tg.name + ": deeply nested JSON", path: tg.path, body: deep, header: tg.auth(deep),
			status: contentStatus(tg.path), reason: "exceeded max depth"})

		// Invalid UTF-8 inside a JSON string.
		raw := bytes.Replace(tg.build(func(m map[string]any) { tg.setText(m, "MARKER") }), []byte("MARKER"), []byte("bad "+badUTF8), 1)
		add(attack{name: tg.name + ": invalid UTF-8 in a string", path: tg.path, body: raw, header: tg.auth(raw),
			status: contentStatus(tg.path), reason: "body is not valid UTF-8"})

		if tg.amounts != nil {
			for _, class := range []string{"negative", "overflowing", "over-precise"} {
				var want string
				b := tg.build(func(m map[string]any) { want = tg.amounts(m, class) })
				add(attack{name: tg.name + ": " + class + " amount", path: tg.path, body: b, header: tg.auth(b),
					status: contentStatus(tg.path), reason: want})
			}
		}
		if tg.setCurrency != nil {
			b := tg.build(func(m map[string]any) { tg.setCurrency(m, "XYZ") })
			add(attack{name: tg.name + ": unknown currency", path: tg.path, body: b, header: tg.auth(b),
				status: contentStatus(tg.path), reason: "money: unknown currency"})
			// ISO-4217's "no currency" and "testing" codes (issue 15).
			for _, c := range []string{"XXX", "XTS"} {
				b := tg.build(func(m map[string]any) { tg.setCurrency(m, c) })
				add(attack{name: tg.name + ": currency " + c, path: tg.path, body: b, header: tg.auth(b),
					status: contentStatus(tg.path), reason: "is not a currency a sale is priced in"})
			}
		}
		edgeHardening(tg, add)

		// Event times outside [now-400d, now+10m].
		for _, tt := range []struct {
			name string
			at   time.Time
			side string
		}{
			{"year 9999", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), "more than 10 minutes ahead of the server clock"},
			{"an hour ahead", now.Add(time.Hour), "more than 10 minutes ahead of the server clock"},
			{"1970", time.Unix(1, 0).UTC(), "more than 400 days before the server clock"},
			{"401 days back", now.AddDate(0, 0, -401), "more than 400 days before the server clock"},
		} {
			b := tg.build(func(m map[string]any) { tg.setTime(m, tt.at) })
			add(attack{name: tg.name + ": event time " + tt.name, path: tg.path, body: b, header: tg.auth(b),
				status: contentStatus(tg.path), reason: fmt.Sprintf("%s: %s is outside [now-400d, now+10m]: %s %s", tg.timeField, rfc(tt.at), tt.side, rfc(now))})
		}

		// Authentication: missing and wrong.
		b := tg.build(keep)
		missing := tg.auth(b)
		wrong := tg.auth(b)
		for k := range missing {
			switch k {
			case "X-Shopify-Hmac-Sha256", "X-WC-Webhook-Signature", "Stripe-Signature", "Paddle-Signature", "Authorization":
				delete(missing, k)
			}
		}
		missingReason, wrongReason := "missing or invalid bearer token", "missing or invalid bearer token"
		switch tg.path {
		case "/webhooks/shopify":
			wrong["X-Shopify-Hmac-Sha256"] = b64hmac("not-the-secret", b)
			missingReason, wrongReason = "missing X-Shopify-Hmac-Sha256 header", "HMAC does not match"
		case "/webhooks/woocommerce":
			wrong["X-WC-Webhook-Signature"] = b64hmac("not-the-secret", b)
			missingReason, wrongReason = "missing X-WC-Webhook-Signature header", "HMAC does not match"
		case "/webhooks/stripe":
			wrong["Stripe-Signature"] = stripe.Sign("whsec_not_the_secret", now, b)
			missingReason, wrongReason = "missing Stripe-Signature header", "no v1 signature matches"
		case "/webhooks/paddle":
			wrong["Paddle-Signature"] = paddle.Sign("pdl_not_the_secret", now, b)
			missingReason, wrongReason = "missing Paddle-Signature header", "no h1 signature matches"
		default:
			wrong["Authorization"] = "Bearer not-the-token"
		}
		add(attack{name: tg.name + ": missing signature", path: tg.path, body: b, header: missing, status: http.StatusUnauthorized, reason: missingReason})
		add(attack{name: tg.name + ": wrong signature", path: tg.path, body: b, header: wrong, status: http.StatusUnauthorized, reason: wrongReason})

		// Replays.
		switch tg.path {
		case "/webhooks/stripe", "/webhooks/paddle":
			sign := func(at time.Time) map[string]string {
				if tg.path == "/webhooks/stripe" {
					return map[string]string{"Stripe-Signature": stripe.Sign(stripeSecret, at, control)}
				}
				return map[string]string{"Paddle-Signature": paddle.Sign(paddleSecret, at, control)}
			}
			for _, off := range []time.Duration{-6 * time.Minute, -time.Hour, -400 * 24 * time.Hour, 6 * time.Minute} {
				add(attack{name: fmt.Sprintf("%s: replay signed %s from now", tg.name, off), path: tg.path, body: control, header: sign(now.Add(off)),
					status: http.StatusUnauthorized, reason: "signature timestamp outside tolerance"})
			}
		case "/webhooks/shopify", "/webhooks/woocommerce":
			add(attack{name: tg.name + ": replay", path: tg.path, body: control, header: tg.auth(control), status: http.StatusOK,
				sameAs: tg.name + ": control"})
		}
	}
	add(attack{name: "click redirect: control", method: http.MethodGet, path: "/c/SARAH10", status: http.StatusFound})
	campaignEdgeInputs(t, targets, add)

	// Send everything, in order.
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	accepted := map[string]int{}      // event id -> answers that returned it
	acceptedBy := map[string]string{} // event id -> attack name
	idsOf := map[string][]string{}
	for _, a := range attacks {
		status, out, loc := send(t, client, s.base, a)
		if a.unrecorded {
			if status != a.status {
				t.Errorf("%s: answered %d, want %d", a.name, status, a.status)
			}
			t.Logf("%s: %d (nothing recorded)", a.name, status)
			continue
		}
		ids := eventIDs(out, loc)
		t.Logf("%s: %d %s", a.name, status, reasonOf(out))
		ok := status == a.status
		if a.reason != "" && !strings.Contains(reasonOf(out), a.reason) {
			ok = false
		}
		if !ok {
			t.Errorf("%s: answered %d %v, want %d with a reason containing %q", a.name, status, out, a.status, a.reason)
		}
		if status >= 300 && status != http.StatusFound {
			continue
		}
		if status < 300 && len(ids) == 0 || status == http.StatusFound && len(ids) != 1 {
			t.Errorf("%s: accepted without event ids: %v (Location %q)", a.name, out, loc)
		}
		if a.sameAs != "" && strings.Join(ids, ",") != strings.Join(idsOf[a.sameAs], ",") {
			t.Errorf("%s: event ids %v, want the first delivery's %v", a.name, ids, idsOf[a.sameAs])
		}
		idsOf[a.name] = ids
		for _, id := range ids {
			accepted[id]++
			acceptedBy[id] = a.name
		}
	}
	for _, tg := range targets {
		if len(idsOf[tg.name+": control"]) == 0 {
			t.Errorf("%s: the valid control was not accepted", tg.name)
		}
	}

	// (a) The edge still answers.
	resp, err := client.Get(s.base + "/healthz")
	if err != nil {
		t.Fatalf("healthz after the campaign: %v", err)
	}
	hb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(hb), `"kafka":"ok"`) {
		t.Fatalf("healthz after the campaign: %d %s", resp.StatusCode, hb)
	}

	// (b) Kafka holds exactly the accepted events: every control and
	// replay, nothing from a refused request.
	onKafka := readToEnd(t, s, s.topics.Orders, s.topics.Refunds, s.topics.Clicks, s.topics.DeadLetter)
	for id, n := range onKafka {
		if n.pii {
			t.Errorf("event %s (%s) on Kafka holds the email %s", id, n.what, campaignEmail)
		}
		if accepted[id] != n.count {
			t.Errorf("event %s (%s) is on Kafka %d times; accepted %d times (by %q)", id, n.what, n.count, accepted[id], acceptedBy[id])
		}
	}
	for id, n := range accepted {
		if onKafka[id].count != n {
			t.Errorf("event %s accepted by %q is on Kafka %d times, want %d", id, acceptedBy[id], onKafka[id].count, n)
		}
	}
	t.Logf("%d requests, %d accepted events, %d records on Kafka", len(attacks), len(accepted), len(onKafka))
}

// contentStatus is an endpoint's answer to a request that is
// authenticated but whose content cannot be used: 200 and a dead letter
// for a correctly signed webhook (a platform disables endpoints that keep
// failing), 400 with the reason for HeldSway's own APIs.
func contentStatus(path string) int {
	if strings.HasPrefix(path, "/webhooks/") {
		return http.StatusOK
	}
	return http.StatusBadRequest
}

// okStatus is an endpoint's answer to a valid request.
func okStatus(path string) int {
	if strings.HasPrefix(path, "/webhooks/") {
		return http.StatusOK
	}
	return http.StatusAccepted
}

// send makes the request of a and returns the status, the decoded JSON
// answer and the Location header.
func send(t *testing.T, client *http.Client, base string, a attack) (int, map[string]any, string) {
	t.Helper()
	var body io.Reader
	if a.body != nil {
		body = bytes.NewReader(a.body)
		if a.chunked {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
	}
	var answered chan struct{}
	if a.stall {
		answered = make(chan struct{})
		defer close(answered)
		body = io.MultiReader(bytes.NewReader(a.body[:len(a.body)/2]), stalled{answered})
	}
	req, err := http.NewRequest(a.method, base+a.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if a.stall {
		req.ContentLength = int64(len(a.body))
	}
	if a.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range a.header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", a.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(b) > 0 && resp.Header.Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Errorf("%s: answer is not JSON: %q", a.name, b)
		}
	}
	return resp.StatusCode, out, resp.Header.Get("Location")
}

// reasonOf is an answer's error with its items' errors (click batches).
func reasonOf(out map[string]any) string {
	r, _ := out["error"].(string)
	if out["status"] == "dead_lettered" {
		r, _ = out["reason"].(string)
	}
	items, _ := out["items"].([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			e, _ := m["error"].(string)
			r += "; " + e
		}
	}
	return r
}

// eventIDs are the event ids an accepted answer names; for a click
// redirect, the click's, from the hs_cid it appends to the destination.
func eventIDs(out map[string]any, location string) []string {
	if location != "" {
		u, err := url.Parse(location)
		if err != nil || u.Query().Get("hs_cid") == "" {
			return nil
		}
		return []string{schemas.ID("click", u.Query().Get("hs_cid"))}
	}
	var ids []string
	if id, ok := out["event_id"].(string); ok {
		ids = append(ids, id)
	}
	list, _ := out["event_ids"].([]any)
	for _, v := range list {
		if id, ok := v.(string); ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

type seen struct {
	count int
	what  string
	pii   bool // the record holds campaignEmail's local part
}

// readToEnd reads topics from the start to their end offsets (taken after
// every request was answered) and counts each record's event id.
func readToEnd(t *testing.T, s *stack, topics ...string) map[string]seen {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.addr), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topics...)
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]int64{} // topic/partition -> end offset not yet reached
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			t.Fatalf("end offset of %s/%d: %v", o.Topic, o.Partition, o.Err)
		}
		if o.Offset > 0 {
			left[o.Topic+"/"+strconv.Itoa(int(o.Partition))] = o.Offset
		}
	})
	out := map[string]seen{}
	for len(left) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading to the end: still waiting for %v", left)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetching %s/%d: %v", topic, p, err) })
		for _, r := range fs.Records() {
			v, err := s.serde.DecodeAny(r.Value)
			if err != nil {
				t.Fatalf("undecodable record on %s: %v", r.Topic, err)
			}
			var id, what string
			switch x := v.(type) {
			case *schemas.Order:
				id, what = x.EventID, "order "+x.Platform+"/"+x.OrderID
			case *schemas.Refund:
				id, what = x.EventID, "refund "+x.Platform+"/"+x.RefundID
			case *schemas.Click:
				id, what = x.EventID, "click "+x.ClickID
			case *schemas.DeadLetter:
				id, what = x.EventID, "dead letter from "+x.Source+": "+x.Reason
				if x.Stage != "edge" || len(x.Value) == 0 || x.Reason == "" {
					t.Errorf("dead letter %s without its raw payload or reason: %+v", id, x)
				}
			default:
				t.Fatalf("record of type %T on %s", v, r.Topic)
			}
			n := out[id]
			n.count++
			n.what = what
			n.pii = n.pii || bytes.Contains(r.Value, []byte(campaignCanary))
			out[id] = n
			key := r.Topic + "/" + strconv.Itoa(int(r.Partition))
			if end, ok := left[key]; ok && r.Offset+1 >= end {
				delete(left, key)
			}
		}
	}
	return out
}

// stalled is a body that sends nothing more until the answer came, then
// ends short.
type stalled struct{ answered <-chan struct{} }

func (s stalled) Read([]byte) (int, error) {
	<-s.answered
	return 0, io.ErrUnexpectedEOF
}
