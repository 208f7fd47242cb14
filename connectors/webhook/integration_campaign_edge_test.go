package webhook_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The email the campaign hides in URLs (issue 15); no record on Kafka may
// hold its local part.
const (
	campaignCanary = "campaign-canary-9b2e"
	campaignEmail  = campaignCanary + "@example.com"
)

// piiURL is u with campaignEmail in its userinfo, path, query and fragment,
// next to an allowlisted parameter.
func piiURL(u string) string {
	return strings.Replace(u, "://", "://"+campaignCanary+":pw@", 1) + "/account/" + campaignEmail +
		"?utm_source=campaign&email=" + url.QueryEscape(campaignEmail) + "#" + campaignEmail
}

// edgeHardening adds, for one target, the inputs of issue 15 every
// endpoint takes: a request without its signature or token whose body
// stalls (refused at once, before the body), and for the JSON APIs the
// Bearer scheme in lower case (accepted) and a duplicate key (refused).
func edgeHardening(tg target, add func(attack)) {
	b := tg.build(func(map[string]any) {})
	h := tg.auth(b)
	reason := "missing or invalid bearer token"
	for k := range h {
		switch k {
		case "X-Shopify-Hmac-Sha256", "X-WC-Webhook-Signature", "Stripe-Signature", "Paddle-Signature":
			reason = "missing " + k + " header"
			delete(h, k)
		case "Authorization":
			delete(h, k)
		}
	}
	add(attack{name: tg.name + ": unsigned, body stalls", path: tg.path, body: b, header: h, stall: true,
		status: http.StatusUnauthorized, reason: reason})
	if strings.HasPrefix(tg.path, "/webhooks/") {
		return
	}
	lower := tg.build(func(map[string]any) {})
	add(attack{name: tg.name + ": lower-case bearer scheme", path: tg.path, body: lower,
		header: map[string]string{"Authorization": "bearer " + apiToken}, status: okStatus(tg.path)})
	dup := tg.build(func(map[string]any) {})
	key := firstKey(dup)
	dup = append([]byte(`{"`+strings.ToUpper(key)+`":null,`), dup[1:]...)
	add(attack{name: tg.name + ": duplicate key", path: tg.path, body: dup, header: tg.auth(dup),
		status: http.StatusBadRequest, reason: `decoding JSON: duplicate key "` + key + `" in the top-level object`})
}

// firstKey is the first key of a JSON object.
func firstKey(b []byte) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	_, _ = dec.Token()
	k, _ := dec.Token()
	s, _ := k.(string)
	return s
}

// campaignEdgeInputs adds the inputs of issue 15 that concern one
// endpoint: emails inside every URL field (accepted, and checked absent
// from Kafka), totals inconsistent with their parts or over the cap, and
// HEAD /c/{code} (redirected, nothing recorded).
func campaignEdgeInputs(t *testing.T, targets []target, add func(attack)) {
	by := map[string]target{}
	for _, tg := range targets {
		by[tg.name] = tg
	}
	get := func(name string) target {
		tg, ok := by[name]
		if !ok {
			t.Fatalf("no campaign target %q", name)
		}
		return tg
	}
	accepted := func(name string, edit func(m map[string]any)) {
		tg := get(name)
		b := tg.build(edit)
		add(attack{name: name + ": email inside URLs", path: tg.path, body: b, header: tg.auth(b), status: okStatus(tg.path)})
	}
	accepted("shopify orders/paid", func(m map[string]any) {
		m["landing_site"] = strings.TrimPrefix(piiURL("https://x"), "https://"+campaignCanary+":pw@x")
		m["referring_site"] = piiURL("https://search.example/q")
	})
	accepted("conversion", func(m map[string]any) { m["landing_url"] = piiURL("https://shop.example/checkout") })
	accepted("click batch", func(m map[string]any) {
		c := m["clicks"].([]any)[0].(map[string]any)
		c["landing_url"], c["referrer"] = piiURL("https://shop.example/landing"), piiURL("https://news.example/issue")
	})
	add(attack{name: "click redirect: email inside the Referer", method: http.MethodGet, path: "/c/SARAH10",
		header: map[string]string{"Referer": piiURL("https://mail.example/read")}, status: http.StatusFound})
	add(attack{name: "click redirect: HEAD", method: http.MethodHead, path: "/c/SARAH10", status: http.StatusFound, unrecorded: true})

	conv := get("conversion")
	for _, tt := range []struct {
		name   string
		edit   func(m map[string]any)
		reason string
	}{
		{"total below its parts", func(m map[string]any) { m["total"] = 100 },
			"total 100 differs from subtotal - discount + shipping + tax = 5990 by -5890, more than the tolerance 5"},
		{"total above its parts", func(m map[string]any) { m["total"] = 5996 },
			"total 5996 differs from subtotal - discount + shipping + tax = 5990 by 6, more than the tolerance 5"},
		{"total over the cap", func(m map[string]any) { m["total"] = json.Number("1000000000000001") },
			"total: 1000000000000001 exceeds the maximum 1000000000000000"},
		{"parts over the cap", func(m map[string]any) {
			m["subtotal"], m["shipping"], m["tax"] = json.Number("1000000000000000"), json.Number("1000000000000000"), 0
		}, "subtotal - discount + shipping + tax: 2000000000000000 exceeds the maximum 1000000000000000"},
	} {
		b := conv.build(tt.edit)
		add(attack{name: "conversion: " + tt.name, path: conv.path, body: b, header: conv.auth(b),
			status: http.StatusBadRequest, reason: tt.reason})
	}
	b := conv.build(func(m map[string]any) { m["total"] = 5993 })
	add(attack{name: "conversion: total within the tolerance", path: conv.path, body: b, header: conv.auth(b), status: http.StatusAccepted})
}
