package stripe

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
)

// TestHandler runs deliveries through the shared webhook.Handler.
func TestHandler(t *testing.T) {
	order := body(t, "checkout.session.completed", "fixtures3.checkout.session.json", paidSession)
	plan := body(t, "plan.created", "fixtures3.event.json", nil)
	bad := []byte(`{"id":"evt_1","type":"charge.refunded","created":1,"data":{"object":{"object":"refund"}}}`)
	tests := []struct {
		name    string
		body    []byte
		sign    func(b []byte) string
		promos  PromotionCodes
		status  int
		records int
	}{
		{"order published", order, func(b []byte) string { return Sign(testSecret, testNow, b) }, nil, http.StatusOK, 1},
		{"second store's secret", order, func(b []byte) string { return Sign("whsec_store2", testNow, b) }, nil, http.StatusOK, 1},
		{"ignored type", plan, func(b []byte) string { return Sign(testSecret, testNow, b) }, nil, http.StatusAccepted, 0},
		{"bad payload dead-lettered", bad, func(b []byte) string { return Sign(testSecret, testNow, b) }, nil, http.StatusOK, 1},
		{"bad signature", order, func(b []byte) string { return Sign("whsec_nope", testNow, b) }, nil, http.StatusUnauthorized, 0},
		{"stale", order, func(b []byte) string { return Sign(testSecret, testNow.Add(-time.Hour), b) }, nil, http.StatusUnauthorized, 0},
		// A lookup that is down is answered 503: Stripe retries, nothing
		// is published.
		{"promotion lookup down is not acknowledged", order, func(b []byte) string { return Sign(testSecret, testNow, b) },
			&fakeCodes{err: errors.New("down")}, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &webhooktest.Recorder{}
			h := &webhook.Handler{
				Platform:        newTestPlatform(t, tt.promos),
				Stores:          []webhook.Store{{ID: "acct_other", Secret: "whsec_store2"}, {ID: testStore, Secret: testSecret}},
				Publisher:       rec,
				DeadLetterTopic: "dead",
				Now:             func() time.Time { return testNow },
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/stripe", bytes.NewReader(tt.body))
			req.Header.Set(SignatureHeader, tt.sign(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if tt.status == -1 {
				if resp.StatusCode < 300 {
					t.Fatalf("status %d acknowledges an unresolved order", resp.StatusCode)
				}
			} else if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if len(rec.Events()) != tt.records {
				t.Fatalf("published %d records, want %d", len(rec.Events()), tt.records)
			}
			for _, ev := range rec.Events() {
				if dl, ok := ev.Value.(*schemas.DeadLetter); ok {
					if ev.Topic != "dead" || !bytes.Equal(dl.Value, tt.body) || dl.Reason == "" {
						t.Fatalf("dead letter %+v on %s, want the raw body and a reason", dl, ev.Topic)
					}
					continue
				}
				o := ev.Value.(*schemas.Order)
				if o.StoreID == "" || o.EventID == "" {
					t.Fatalf("incomplete order %+v", o)
				}
			}
		})
	}
}
