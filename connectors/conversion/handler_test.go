package conversion

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
			srv, err := edge.New(edge.Config{Addr: "127.0.0.1:0", MaxBodyBytes: tt.server}, nil)
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
