package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/schemas"
)

// TestIntegrationUpAttribution runs the real binary with the processor and
// drives the public edges only: codes imported through the admin API, a
// click through the redirect, orders and refunds through the conversion
// API. It reads the outcome from the output topics as a payout system
// would.
func TestIntegrationUpAttribution(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole stack")
	}
	dataDir := t.TempDir()
	httpAddr, kafkaAddr := freeAddr(t), freeAddr(t)
	env := []string{"HELDSWAY_API_TOKEN=tok-attr", "HELDSWAY_HASH_KEY=0123456789abcdef-attr"}
	up := start(t, env, "up", "--data-dir", dataDir, "--http-addr", httpAddr, "--kafka-listen", kafkaAddr,
		"--clickhouse", "none", "--log-format", "json", "--partitions", "2", "--destination", "default=https://shop.example/")
	waitHealthy(t, up, httpAddr)
	base := "http://" + httpAddr
	call := func(method, path, ctype, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok-attr")
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// The registry: a podcast code, a link partner's code that requires a
	// click, both 20% commission of net.
	csv := "code,affiliate_id,affiliate_name,discount_type,discount_value,commission_type,commission_value,requires_click\n" +
		"PODCAST20,aff-pod,Pod Cast,percent,20,percent,20,false\n" +
		"LINK15,aff-link,Link Partner,percent,15,percent,20,true\n"
	if code, body := call(http.MethodPost, "/v1/codes/import?atomic=1", "text/csv", csv); code != http.StatusOK {
		t.Fatalf("import: %d %s", code, body)
	}

	// A click on the link partner's link, then an order with the podcast
	// code from the same visitor: coupon_priority credits the code.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	creq, _ := http.NewRequest(http.MethodGet, base+"/c/link15", nil)
	creq.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
	resp, err := browser.Do(creq) // a person's browser: Go's own user agent counts as a bot
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	visitor := loc.Query().Get("hs_vid")
	if resp.StatusCode != http.StatusFound || visitor == "" || loc.Host != "shop.example" {
		t.Fatalf("click redirect: %d %s", resp.StatusCode, loc)
	}
	time.Sleep(200 * time.Millisecond) // the click is published before the redirect; give the order a later timestamp
	order := func(id, code, visitor string, subtotal, discount int64) {
		t.Helper()
		v := ""
		if visitor != "" {
			v = `,"visitor_id":"` + visitor + `"`
		}
		body := fmt.Sprintf(`{"order_id":"%s","currency":"EUR","subtotal":%d,"discount":%d,"codes":["%s"]%s}`, id, subtotal, discount, code, v)
		if code, out := call(http.MethodPost, "/v1/conversions", "application/json", body); code != http.StatusAccepted {
			t.Fatalf("conversion %s: %d %s", id, code, out)
		}
	}
	order("A-1", "podcast20", visitor, 10000, 2000) // code wins over the click
	order("A-2", "link15", "", 10000, 1500)         // stuffing: the link code without a click
	order("A-3", "NOSUCHCODE", visitor, 5000, 0)    // unknown code: falls back to the click
	if code, out := call(http.MethodPost, "/v1/refunds", "application/json",
		`{"refund_id":"R-1","order_id":"A-1","currency":"EUR","amount":4000}`); code != http.StatusAccepted {
		t.Fatalf("refund: %d %s", code, out)
	}
	if code, _ := call(http.MethodPost, "/v1/conversions", "application/json", `{"order_id":"bad","currency":"EUR","subtotal":-1}`); code != http.StatusBadRequest {
		t.Fatalf("invalid conversion answered %d", code)
	}

	topics, _ := schemas.NewTopics("heldsway")
	serde := schemas.NewSerde(schemas.WithTopics(topics))
	cons, err := kgo.NewClient(kgo.SeedBrokers(kafkaAddr), kgo.ConsumeTopics(topics.Attributions, topics.Adjustments, topics.Flags),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	atts := map[string]*schemas.Attribution{}
	var adjs []*schemas.Adjustment
	flags := map[string]*schemas.Flag{}
	for len(atts) < 3 || len(adjs) < 1 || len(flags) < 1 {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("within 60s: %d attributions, %d adjustments, %d flags", len(atts), len(adjs), len(flags))
		}
		for _, r := range fs.Records() {
			v, err := serde.DecodeAny(r.Value)
			if err != nil {
				t.Fatalf("undecodable output on %s: %v", r.Topic, err)
			}
			switch x := v.(type) {
			case *schemas.Attribution:
				if cur := atts[x.OrderID]; cur == nil || x.Version > cur.Version {
					atts[x.OrderID] = x
				}
			case *schemas.Adjustment:
				adjs = append(adjs, x)
			case *schemas.Flag:
				flags[x.Type] = x
			}
		}
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	if a := atts["A-1"]; a.Method != "code" || str(a.AffiliateID) != "aff-pod" || a.Commission != 1600 || a.Status != "approved" || a.Rule != "coupon_priority" {
		t.Errorf("A-1: %+v; want the podcast code, 20%% of net 8000 = 1600, approved", a)
	}
	if a := atts["A-2"]; a.Method != "code" || str(a.AffiliateID) != "aff-link" || a.Status != "pending_review" {
		t.Errorf("A-2: %+v; want credited to the link partner but held for review", a)
	}
	if f := flags["code_without_click"]; f == nil || str(f.OrderID) != "A-2" || str(f.Code) != "LINK15" {
		t.Errorf("stuffing flag: %+v", f)
	}
	if a := atts["A-3"]; a.Method != "click" || str(a.AffiliateID) != "aff-link" || !strings.Contains(strings.Join(a.Reasons, ","), "unknown") {
		t.Errorf("A-3: %+v touches %s; want the click, with the unknown code in the reasons", a, touchReasons(a))
	}
	if len(adjs) != 1 || adjs[0].OrderID != "A-1" || adjs[0].Amount != -800 || adjs[0].AffiliateID != "aff-pod" {
		t.Errorf("adjustments %+v; want -800 (half the net refunded) for aff-pod on A-1", adjs)
	}
	if err := up.stop(t); err != nil {
		t.Fatalf("up after SIGTERM: %v", err)
	}
}

func touchReasons(a *schemas.Attribution) string {
	var b strings.Builder
	for _, tc := range a.Touches {
		r := ""
		if tc.Reason != nil {
			r = *tc.Reason
		}
		fmt.Fprintf(&b, "[%s qualified=%v %s] ", tc.Kind, tc.Qualified, r)
	}
	return b.String()
}
