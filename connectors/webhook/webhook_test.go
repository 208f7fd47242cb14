package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/hmacsig"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/schemas"
)

// fakePlatform verifies a shared-secret header and fails to map any body
// that is not "ok".
type fakePlatform struct{}

func (fakePlatform) Name() string                 { return "fake" }
func (fakePlatform) StoreHint(http.Header) string { return "" }
func (fakePlatform) Verify(secret string, h http.Header, _ []byte, _ time.Time) error {
	switch h.Get("X-Sig") {
	case secret:
		return nil
	case "stale":
		return fmt.Errorf("%w: t=1", hmacsig.ErrStale)
	}
	return fmt.Errorf("%w: no match", hmacsig.ErrSignature)
}
func (fakePlatform) Parse(d Delivery) (Result, error) {
	if string(d.Body) == "ok" {
		return Result{Events: []publish.Event{{Topic: "orders", Value: &schemas.Order{EventID: "e1"}}}}, nil
	}
	return Result{}, fmt.Errorf("%w: created_at: 1970-01-01T00:00:01Z is outside [now-400d, now+10m]", ErrPayload)
}

type recorder struct{ events []publish.Event }

func (r *recorder) Publish(_ context.Context, evs ...publish.Event) error {
	r.events = append(r.events, evs...)
	return nil
}

// TestSignedUnusableBodyIsDeadLettered: a correctly signed delivery whose
// content cannot be used is answered 200 and its raw body goes to the
// dead-letter topic with the reason (Shopify removes subscriptions and
// Stripe disables endpoints that keep failing); 4xx stays for signatures.
func TestSignedUnusableBodyIsDeadLettered(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, sig, body, dlTopic string
		status                   int
		topic                    string // of the one event published, "" for none
	}{
		{"usable", "s3cret", "ok", "dead", http.StatusOK, "orders"},
		{"out-of-range time", "s3cret", `{"created_at":"1970-01-01T00:00:01Z"}`, "dead", http.StatusOK, "dead"},
		{"not UTF-8", "s3cret", "\xff\xfe", "dead", http.StatusOK, "dead"},
		{"no dead-letter topic: retried, not refused", "s3cret", "{}", "", http.StatusServiceUnavailable, ""},
		{"bad signature", "wrong", "{}", "dead", http.StatusUnauthorized, ""},
		{"stale signature", "stale", "{}", "dead", http.StatusUnauthorized, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			h := &Handler{Platform: fakePlatform{}, Stores: []Store{{ID: "store-1", Secret: "s3cret"}}, Publisher: rec,
				DeadLetterTopic: tt.dlTopic, Now: func() time.Time { return now }}
			req := httptest.NewRequest(http.MethodPost, "/webhooks/fake", strings.NewReader(tt.body))
			req.Header.Set("X-Sig", tt.sig)
			req.Header.Set("X-Fake-Topic", "orders/paid")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if tt.topic == "" {
				if len(rec.events) != 0 {
					t.Fatalf("published %+v, want nothing", rec.events)
				}
				return
			}
			if len(rec.events) != 1 || rec.events[0].Topic != tt.topic {
				t.Fatalf("published %+v, want one event on %s", rec.events, tt.topic)
			}
			if tt.topic != "dead" {
				return
			}
			dl := rec.events[0].Value.(*schemas.DeadLetter)
			if !bytes.Equal(dl.Value, []byte(tt.body)) || string(dl.Key) != "store-1" || dl.Source != "webhook/fake" ||
				dl.Stage != "edge" || !dl.OccurredAt.Equal(now) {
				t.Errorf("dead letter %+v, want the raw body from store-1", dl)
			}
			if !strings.Contains(dl.Reason, "invalid payload") || !strings.Contains(dl.Reason, "X-Fake-Topic: orders/paid") {
				t.Errorf("reason %q, want the error and the event header", dl.Reason)
			}
			var ans struct {
				Status  string `json:"status"`
				Reason  string `json:"reason"`
				EventID string `json:"event_id"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil {
				t.Fatal(err)
			}
			if ans.Status != "dead_lettered" || ans.EventID != dl.EventID || ans.Reason == "" {
				t.Errorf("answer %s, want dead_lettered with the dead letter's event id %s", w.Body, dl.EventID)
			}
			// A redelivery of the same body is the same dead letter.
			w2 := httptest.NewRecorder()
			req2 := httptest.NewRequest(http.MethodPost, "/webhooks/fake", strings.NewReader(tt.body))
			req2.Header.Set("X-Sig", tt.sig)
			h.ServeHTTP(w2, req2)
			if len(rec.events) != 2 || rec.events[1].Value.(*schemas.DeadLetter).EventID != dl.EventID {
				t.Errorf("redelivery gave another dead letter id")
			}
		})
	}
}
