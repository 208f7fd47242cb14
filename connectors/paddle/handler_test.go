package paddle

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
)

func TestHandler(t *testing.T) {
	order := notify(t, "transaction.completed", "notification_data.transaction.completed.json", nil)
	refund := notify(t, "adjustment.updated", "notification_data.adjustment.created.json", func(d map[string]any) { d["status"] = "approved" })
	pending := notify(t, "adjustment.created", "notification_data.adjustment.created.json", nil)
	customer, _ := os.ReadFile("testdata/signature_vectors/standard_payload.body")
	bad := []byte(`{"event_id":"evt_1","event_type":"transaction.completed","occurred_at":"2024-01-01T00:00:00Z","data":{"id":"nope"}}`)
	sign := func(secret string, at time.Time) func([]byte) string {
		return func(b []byte) string { return Sign(secret, at, b) }
	}
	tests := []struct {
		name    string
		body    []byte
		sign    func([]byte) string
		status  int
		records int
	}{
		{"order", order, sign(testSecret, testNow), http.StatusOK, 1},
		{"approved refund", refund, sign(testSecret, testNow), http.StatusOK, 1},
		{"pending refund", pending, sign(testSecret, testNow), http.StatusAccepted, 0},
		{"other event type", customer, sign(testSecret, testNow), http.StatusAccepted, 0},
		{"bad payload dead-lettered", bad, sign(testSecret, testNow), http.StatusOK, 1},
		{"wrong secret", order, sign("pdl_ntfset_wrong", testNow), http.StatusUnauthorized, 0},
		{"stale", order, sign(testSecret, testNow.Add(-10*time.Minute)), http.StatusUnauthorized, 0},
		{"no header", order, func([]byte) string { return "" }, http.StatusUnauthorized, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &webhooktest.Recorder{}
			srv := httptest.NewServer(&webhook.Handler{
				Platform:        newTestPlatform(t, nil),
				Stores:          []webhook.Store{{ID: "other", Secret: "pdl_ntfset_other"}, {ID: testStore, Secret: testSecret}},
				Publisher:       rec,
				DeadLetterTopic: "dead",
				Now:             func() time.Time { return testNow },
			})
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/paddle", bytes.NewReader(tt.body))
			if h := tt.sign(tt.body); h != "" {
				req.Header.Set(SignatureHeader, h)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status || len(rec.Events()) != tt.records {
				t.Fatalf("status %d with %d records, want %d with %d", resp.StatusCode, len(rec.Events()), tt.status, tt.records)
			}
		})
	}
}
