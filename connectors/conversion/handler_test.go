package conversion

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/schemas"
)

type discard struct{ n int }

func (d *discard) Publish(_ context.Context, evs ...publish.Event) error { d.n += len(evs); return nil }

// TestBodyLimit: a body over the API's own limit, or over the server's
// --max-body-bytes when that is lower, is refused with 413.
func TestBodyLimit(t *testing.T) {
	for _, tt := range []struct {
		name            string
		server, handler int64
		size            int
		status          int
	}{
		{"within the default 64 KiB", 1 << 20, 0, 60 << 10, http.StatusBadRequest}, // read, then refused as JSON
		{"over the default 64 KiB", 1 << 20, 0, 64<<10 + 1, http.StatusRequestEntityTooLarge},
		{"over a lower server limit", 2048, 0, 2049, http.StatusRequestEntityTooLarge},
		{"handler limit above the server's", 2048, 1 << 20, 2049, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := edge.New(edge.Config{Addr: "127.0.0.1:0", MaxBodyBytes: tt.server})
			if err != nil {
				t.Fatal(err)
			}
			topics, _ := schemas.NewTopics("t")
			pub := &discard{}
			(&Handlers{Publisher: pub, Hasher: testHasher(t), Topics: topics, MaxBodyBytes: tt.handler}).Register(srv, "tok")
			body := append([]byte(`{"order_id":"`), bytes.Repeat([]byte("a"), tt.size-len(`{"order_id":""}`))...)
			body = append(body, `"}`...)
			req := httptest.NewRequest(http.MethodPost, "/v1/conversions", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer tok")
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, req)
			if rec.Code != tt.status || pub.n != 0 {
				t.Fatalf("%d-byte body: %d %s (%d published), want %d", len(body), rec.Code, rec.Body, pub.n, tt.status)
			}
			if tt.status == http.StatusRequestEntityTooLarge && !strings.Contains(rec.Body.String(), "byte limit") {
				t.Fatalf("reason %s", rec.Body)
			}
		})
	}
}

// TestOrderConflict: an order id posted again with the same content is
// the same event (202, one event id); with different money, currency,
// codes or customer it is answered 409 naming what differs, and nothing
// is published.
func TestOrderConflict(t *testing.T) {
	srv, err := edge.New(edge.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	topics, _ := schemas.NewTopics("t")
	pub := &discard{}
	(&Handlers{Publisher: pub, Hasher: testHasher(t), Topics: topics, Now: func() time.Time { return testNow }}).Register(srv, "tok")
	post := func(body string) (int, string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/conversions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	const first = `{"order_id":"dup-1","currency":"EUR","subtotal":7500,"codes":["SARAH10"],"customer":{"email":"a@example.com"}}`
	if code, body := post(first); code != http.StatusAccepted {
		t.Fatalf("first post: %d %s", code, body)
	}
	tests := []struct {
		name, body string
		status     int
		differs    string
	}{
		{"same content again", first, http.StatusAccepted, ""},
		{"other amount", `{"order_id":"dup-1","currency":"EUR","subtotal":9900,"codes":["SARAH10"],"customer":{"email":"a@example.com"}}`, http.StatusConflict, "subtotal"},
		{"other currency", `{"order_id":"dup-1","currency":"USD","subtotal":7500,"codes":["SARAH10"],"customer":{"email":"a@example.com"}}`, http.StatusConflict, "currency"},
		{"other code", `{"order_id":"dup-1","currency":"EUR","subtotal":7500,"codes":["MIKE5"],"customer":{"email":"a@example.com"}}`, http.StatusConflict, "codes"},
		{"other customer", `{"order_id":"dup-1","currency":"EUR","subtotal":7500,"codes":["SARAH10"],"customer":{"email":"b@example.com"}}`, http.StatusConflict, "customer"},
		{"same id in another store", `{"order_id":"dup-1","store_id":"eu","currency":"USD","subtotal":1}`, http.StatusAccepted, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := pub.n
			code, body := post(tt.body)
			if code != tt.status {
				t.Fatalf("%d %s, want %d", code, body, tt.status)
			}
			if tt.status == http.StatusConflict && (!strings.Contains(body, tt.differs) || pub.n != before) {
				t.Fatalf("409 %s (published %d), want the reason naming %q and nothing published", body, pub.n-before, tt.differs)
			}
		})
	}
}

// TestAcceptedMemoryBounds: the memory of accepted orders forgets an order
// AcceptedTTL after it was accepted (by the handler's clock) and holds at
// most AcceptedOrders orders, the least recently used going first; a
// forgotten order id may then be posted with other content.
func TestAcceptedMemoryBounds(t *testing.T) {
	srv, err := edge.New(edge.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	topics, _ := schemas.NewTopics("t")
	now := testNow
	(&Handlers{Publisher: &discard{}, Hasher: testHasher(t), Topics: topics, Now: func() time.Time { return now },
		AcceptedOrders: 2, AcceptedTTL: time.Hour}).Register(srv, "tok")
	order := func(id string, subtotal int) string {
		return fmt.Sprintf(`{"order_id":%q,"currency":"EUR","subtotal":%d,"customer":{"email":"a@example.com"}}`, id, subtotal)
	}
	for i, step := range []struct {
		advance time.Duration
		body    string
		want    int
	}{
		{0, order("a", 100), http.StatusAccepted},
		{time.Hour - time.Millisecond, order("a", 200), http.StatusConflict}, // still remembered
		{time.Millisecond, order("a", 200), http.StatusAccepted},             // forgotten after the TTL
		{0, order("b", 100), http.StatusAccepted},
		{0, order("a", 300), http.StatusConflict}, // a is now the most recently used
		{0, order("c", 100), http.StatusAccepted}, // evicts b, the least recently used
		{0, order("b", 200), http.StatusAccepted},
		{0, order("c", 200), http.StatusConflict},
	} {
		now = now.Add(step.advance)
		req := httptest.NewRequest(http.MethodPost, "/v1/conversions", strings.NewReader(step.body))
		req.Header.Set("Authorization", "Bearer tok")
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != step.want {
			t.Fatalf("step %d %s: %d %s, want %d", i, step.body, rec.Code, rec.Body.String(), step.want)
		}
	}
}
