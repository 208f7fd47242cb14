package shopify

import (
	"bytes"
	"encoding/json"
	"errors"
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
	order := webhooktest.Fixture(t, orderFile)
	refund := webhooktest.Fixture(t, refundFile)
	pending := webhooktest.Mutate(t, order, func(m map[string]any) { m["financial_status"] = "pending" })
	bad := webhooktest.Mutate(t, order, func(m map[string]any) { m["currency"] = "ZZZ" })
	stores := []webhook.Store{{ID: "other.myshopify.com", Secret: "other-secret"}, {ID: testStore, Secret: testSecret}}
	tests := []struct {
		name    string
		topic   string
		body    []byte
		sig     string
		stores  []webhook.Store
		pubErr  error
		max     int64
		status  int
		events  int
		eventID string
	}{
		{name: "order paid", topic: TopicOrdersPaid, body: order, status: http.StatusOK, events: 1,
			eventID: schemas.ID("shopify", testStore, "450789469", TopicOrdersPaid)},
		{name: "refund", topic: TopicRefundsCreate, body: refund, status: http.StatusOK, events: 1,
			eventID: schemas.ID("shopify", testStore, "refund", "509562969")},
		{name: "unpaid order created", topic: TopicOrdersCreate, body: pending, status: http.StatusAccepted},
		{name: "unused topic", topic: "products/update", body: []byte(`{"id":1}`), status: http.StatusAccepted},
		{name: "bad payload dead-lettered", topic: TopicOrdersPaid, body: bad, status: http.StatusOK, events: 1},
		{name: "bad signature", topic: TopicOrdersPaid, body: order, sig: webhooktest.HMACBase64("wrong", order), status: http.StatusUnauthorized},
		{name: "no signature", topic: TopicOrdersPaid, body: order, sig: "-", status: http.StatusUnauthorized},
		{name: "too large", topic: TopicOrdersPaid, body: order, max: 1024, status: http.StatusRequestEntityTooLarge},
		{name: "kafka down", topic: TopicOrdersPaid, body: order, pubErr: publish.ErrUnavailable, status: http.StatusServiceUnavailable},
		{name: "no store configured", topic: TopicOrdersPaid, body: order, stores: []webhook.Store{}, status: http.StatusServiceUnavailable},
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
				Now:             func() time.Time { return nowFor(tt.topic) },
			}
			if tt.stores != nil {
				h.Stores = tt.stores
			}
			req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Shopify-Topic", tt.topic)
			req.Header.Set("X-Shopify-Shop-Domain", testStore)
			switch tt.sig {
			case "":
				req.Header.Set("X-Shopify-Hmac-Sha256", webhooktest.HMACBase64(testSecret, tt.body))
			case "-":
			default:
				req.Header.Set("X-Shopify-Hmac-Sha256", tt.sig)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if len(rec.Events()) != tt.events {
				t.Fatalf("published %d events, want %d", len(rec.Events()), tt.events)
			}
			if tt.events == 1 && tt.eventID == "" {
				if dl, ok := rec.Events()[0].Value.(*schemas.DeadLetter); !ok || !bytes.Equal(dl.Value, tt.body) || rec.Events()[0].Topic != "dead" {
					t.Fatalf("published %+v, want the raw body as a dead letter", rec.Events()[0])
				}
			}
			if tt.eventID != "" {
				var resp struct {
					EventIDs []string `json:"event_ids"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || len(resp.EventIDs) != 1 || resp.EventIDs[0] != tt.eventID {
					t.Fatalf("answer %s, want event id %s (%v)", w.Body, tt.eventID, err)
				}
				switch v := rec.Events()[0].Value.(type) {
				case *schemas.Order:
					if v.StoreID != testStore {
						t.Fatalf("store %q, want %q", v.StoreID, testStore)
					}
				case *schemas.Refund:
					if v.StoreID != testStore {
						t.Fatalf("store %q, want %q", v.StoreID, testStore)
					}
				default:
					t.Fatalf("published %T", v)
				}
			}
		})
	}
}

func TestHandlerUnavailableIsRetryable(t *testing.T) {
	rec := &webhooktest.Recorder{Err: errors.New("broker gone")}
	h := &webhook.Handler{Platform: newPlatform(t), Stores: []webhook.Store{{ID: testStore, Secret: testSecret}}, Publisher: rec,
		Now: func() time.Time { return orderNow }}
	body := webhooktest.Fixture(t, orderFile)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", bytes.NewReader(body))
	req.Header.Set("X-Shopify-Topic", TopicOrdersPaid)
	req.Header.Set("X-Shopify-Hmac-Sha256", webhooktest.HMACBase64(testSecret, body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("status %d Retry-After %q, want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
}
