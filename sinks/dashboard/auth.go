package dashboard

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// RequireToken wraps h so that it runs only for requests that present
// token, either as "Authorization: Bearer <token>" (scripts) or as the
// password of HTTP Basic authentication, any user name (browsers prompt
// for it). The comparison is constant time; an empty token refuses every
// request. The figures are commercial data: never serve them unguarded
// on a public address.
func RequireToken(token string, h http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			_, got, ok = r.BasicAuth()
		}
		sum := sha256.Sum256([]byte(got))
		if token == "" || !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="heldsway dashboard (password: the API token)"`)
			http.Error(w, "dashboard: the API token is required (as Basic auth password or Bearer token)", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
