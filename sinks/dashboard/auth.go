package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SessionCookie is the name of the dashboard's session cookie.
const SessionCookie = "heldsway_dashboard"

// SessionTTL is how long a login lasts.
const SessionTTL = 12 * time.Hour

// LoginPath is the login form (GET) and where it posts (POST).
const LoginPath = Prefix + "/login"

// RequireToken wraps h so that it runs only for requests that present the
// API token: a browser logs in once on LoginPath with the token and gets
// an HttpOnly, SameSite=Strict session cookie (Secure over TLS) derived
// from the token, valid for SessionTTL; scripts send
// "Authorization: Bearer <token>" (or the token as an HTTP Basic
// password). Comparisons are constant time; an empty token refuses every
// request. A browser without a session is sent to the login form; an API
// call gets 401 with the reason. The static assets (code, no figures) are
// served without a session. The figures are commercial data: never serve
// them unguarded on a public address.
func RequireToken(token string, h http.Handler) http.Handler {
	return &auth{token: token, next: h, now: time.Now}
}

type auth struct {
	token string
	next  http.Handler
	now   func() time.Time
}

func (a *auth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == LoginPath && r.Method == http.MethodPost:
		a.login(w, r)
	case r.URL.Path == LoginPath:
		loginPage(w, http.StatusOK, "")
	case strings.HasPrefix(r.URL.Path, Prefix+"/static/"):
		a.next.ServeHTTP(w, r)
	case a.token != "" && (a.headerOK(r) || a.sessionOK(r)):
		a.next.ServeHTTP(w, r)
	case strings.HasPrefix(r.URL.Path, Prefix+"/api/"):
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "dashboard: log in at " + LoginPath + " or send the API token as a Bearer token"})
	default:
		http.Redirect(w, r, LoginPath, http.StatusSeeOther)
	}
}

// equal compares s with the token in constant time.
func (a *auth) equal(s string) bool {
	got, want := sha256.Sum256([]byte(s)), sha256.Sum256([]byte(a.token))
	return a.token != "" && subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

func (a *auth) headerOK(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		_, got, ok = r.BasicAuth()
	}
	return ok && a.equal(got)
}

// sessionMAC signs a session's expiry with a key derived from the token,
// so rotating the token ends every session.
func (a *auth) sessionMAC(expiry string) string {
	key := sha256.Sum256([]byte("heldsway dashboard session key\x00" + a.token))
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(expiry))
	return hex.EncodeToString(m.Sum(nil))
}

// sessionValue is the session cookie's value for a login at now: its
// expiry and the expiry's MAC.
func (a *auth) sessionValue(now time.Time) string {
	expiry := strconv.FormatInt(now.Add(SessionTTL).Unix(), 10)
	return expiry + "." + a.sessionMAC(expiry)
}

func (a *auth) sessionOK(r *http.Request) bool {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return false
	}
	expiry, mac, ok := strings.Cut(c.Value, ".")
	if !ok {
		return false
	}
	unix, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil || !a.now().Before(time.Unix(unix, 0)) {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(a.sessionMAC(expiry)))
}

func (a *auth) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		loginPage(w, http.StatusBadRequest, "The form could not be read: "+err.Error())
		return
	}
	if !a.equal(strings.TrimSpace(r.PostForm.Get("token"))) {
		loginPage(w, http.StatusUnauthorized, "That is not the API token.")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    a.sessionValue(a.now()),
		Path:     Prefix,
		MaxAge:   int(SessionTTL / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
}

var loginTmpl = template.Must(template.ParseFS(staticFiles, "static/login.html"))

func loginPage(w http.ResponseWriter, status int, problem string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = loginTmpl.Execute(w, struct{ Problem, Action string }{problem, LoginPath})
}
