package woocommerce

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
)

// TestHandler runs deliveries through the shared webhook handler.
func TestHandler(t *testing.T) {
	paid := webhooktest.Fixture(t, couponFile)
	refunded := webhooktest.Fixture(t, refundedFile)
	pending := webhooktest.Mutate(t, paid, func(m map[string]any) { m["status"] = "pending" })
	bad := webhooktest.Mutate(t, paid, func(m map[string]any) { m["total"] = "lots" })
	stores := []webhook.Store{{ID: "https://other.example/", Secret: "other-secret"}, {ID: testStore, Secret: testSecret}}
	tests := []struct {
		name     string
		now      time.Time
		topic    string
		body     []byte
		sig      string
		stores   []webhook.Store
		pubErr   error
		max      int64
		status   int
		eventIDs []string
		// deadLettered: answered 200 with the body on the dead-letter topic.
		deadLettered bool
	}{
		{name: "paid order", topic: TopicOrderCreated, body: paid, status: http.StatusOK,
			eventIDs: []string{schemas.ID("woocommerce", testStore, "963", "paid")}},
		{name: "refunds", now: refundedNow, topic: TopicOrderUpdated, body: refunded, status: http.StatusOK,
			eventIDs: []string{
				schemas.ID("woocommerce", testStore, "324", "paid"),
				schemas.ID("woocommerce", testStore, "refund", "547"),
				schemas.ID("woocommerce", testStore, "refund", "549"),
			}},
		{name: "ping unsigned", body: []byte("webhook_id=12"), sig: "-", status: http.StatusOK, eventIDs: []string{}},
		{name: "unpaid order", topic: TopicOrderCreated, body: pending, status: http.StatusAccepted},
		{name: "unused topic", topic: "product.updated", body: []byte(`{"id":1}`), status: http.StatusAccepted},
		{name: "bad payload", topic: TopicOrderUpdated, body: bad, status: http.StatusOK, deadLettered: true},
		{name: "bad signature", topic: TopicOrderCreated, body: paid, sig: webhooktest.HMACBase64("wrong", paid), status: http.StatusUnauthorized},
		{name: "no signature", topic: TopicOrderCreated, body: paid, sig: "-", status: http.StatusUnauthorized},
		{name: "too large", topic: TopicOrderCreated, body: paid, max: 1024, status: http.StatusRequestEntityTooLarge},
		{name: "kafka down", topic: TopicOrderCreated, body: paid, pubErr: publish.ErrUnavailable, status: http.StatusServiceUnavailable},
		{name: "no store configured", topic: TopicOrderCreated, body: paid, stores: []webhook.Store{}, status: http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &webhooktest.Recorder{Err: tt.pubErr}
			h := &webhook.Handler{
				Platform:        newPlatform(t),
				Stores:          stores,
				Publisher:       rec,
				DeadLetterTopic: "dead",
				MaxBodyBytes:    tt.max,
				Now:             func() time.Time { return testNow },
			}
			if !tt.now.IsZero() {
				h.Now = func() time.Time { return tt.now }
			}
			if tt.stores != nil {
				h.Stores = tt.stores
			}
			req := httptest.NewRequest(http.MethodPost, "/webhooks/woocommerce", bytes.NewReader(tt.body))
			if tt.topic != "" {
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-WC-Webhook-Topic", tt.topic)
				req.Header.Set("X-WC-Webhook-Source", testStore)
			} else {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			switch tt.sig {
			case "":
				req.Header.Set("X-WC-Webhook-Signature", webhooktest.HMACBase64(testSecret, tt.body))
			case "-":
			default:
				req.Header.Set("X-WC-Webhook-Signature", tt.sig)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if tt.deadLettered {
				if len(rec.Events()) != 1 || rec.Events()[0].Topic != "dead" {
					t.Fatalf("published %+v, want one dead letter", rec.Events())
				}
				if dl, ok := rec.Events()[0].Value.(*schemas.DeadLetter); !ok || !bytes.Equal(dl.Value, tt.body) || dl.Reason == "" {
					t.Fatalf("dead letter %+v, want the raw body and a reason", rec.Events()[0].Value)
				}
				return
			}
			if len(rec.Events()) != len(tt.eventIDs) {
				t.Fatalf("published %d events, want %d", len(rec.Events()), len(tt.eventIDs))
			}
			if tt.status != http.StatusOK {
				return
			}
			var resp struct {
				EventIDs []string `json:"event_ids"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			webhooktest.JSONEqual(t, resp.EventIDs, tt.eventIDs)
		})
	}
}
