package paddleapi

import (
	"strings"
	"testing"

	"github.com/heldsway/heldsway/connectors/apiclient"
)

// FuzzReadError reads arbitrary error bodies: never a panic, the body kept
// whole, an Error message naming the status, a reason (apiclient.Answered).
func FuzzReadError(f *testing.F) {
	f.Add(`{"error":{"type":"request_error","code":"entity_not_found","detail":"Entity dsc_x not found","errors":[{"field":"code","message":"bad"}]}}`, 404)
	f.Add(`{"error":"not an object"}`, 400)
	f.Add(`<html>bad gateway</html>`, 502)
	f.Add(``, 500)
	f.Fuzz(func(t *testing.T, body string, status int) {
		e := readError(&apiclient.StatusError{Platform: "paddle", Method: "GET", Path: "/discounts/x", Status: status, Body: body})
		if e.Body != body || e.Status != status || !strings.HasPrefix(e.Error(), "paddle answered ") {
			t.Fatalf("%#v from %q", e, body)
		}
		// The reason is the body itself or read from its error object;
		// either way it never comes out empty for a body that is not.
		if r := e.Reason(); body != "" && r == "" {
			t.Fatalf("empty reason from %q", body)
		}
		if a := e.Answer(); a.Body != body || a.Status != status {
			t.Fatalf("answer %#v from %q", a, body)
		}
	})
}
