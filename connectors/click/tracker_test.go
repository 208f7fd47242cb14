package click

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/schemas"
)

type mapCodes map[string]schemas.Code

func (m mapCodes) Get(code string) (schemas.Code, bool) { c, ok := m[code]; return c, ok }

// recorder is a Publisher that keeps what it was given, or fails.
type recorder struct {
	mu     sync.Mutex
	events []publish.Event
	fail   bool
}

func (r *recorder) Publish(_ context.Context, evs ...publish.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return publish.ErrUnavailable
	}
	r.events = append(r.events, evs...)
	return nil
}

var fixedNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func newTestServer(t *testing.T, pub *recorder) *httptest.Server {
	t.Helper()
	h, _ := identity.NewHasher([]byte("0123456789abcdef"))
	topics, _ := schemas.NewTopics("t")
	tr, err := New(Config{Destinations: map[string]string{
		"default": "https://shop.example/?utm_source=aff",
		"spring":  "https://shop.example/collections/spring",
	}}, mapCodes{"SARAH10": {Code: "SARAH10", AffiliateID: "aff-sarah", AllowedAffiliates: []string{"aff-mike"}}}, pub, h, topics)
	if err != nil {
		t.Fatal(err)
	}
	tr.SetClock(func() time.Time { return fixedNow })
	srv, err := edge.New(edge.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	tr.Register(srv, "tok")
	ts := httptest.NewServer(srvHandler(srv))
	t.Cleanup(ts.Close)
	return ts
}

// srvHandler exposes the edge server's mux for httptest.
func srvHandler(s *edge.Server) http.Handler { return s.Handler() }

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string, mod func(*http.Request)) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (Macintosh) Safari/605.1.15")
	if mod != nil {
		mod(req)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestRedirect(t *testing.T) {
	pub := &recorder{}
	ts := newTestServer(t, pub)
	c := noRedirect()

	resp := get(t, c, ts.URL+"/c/sarah10", nil)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Host != "shop.example" || loc.Query().Get("utm_source") != "aff" {
		t.Fatalf("location %s: destination or its own parameters lost", loc)
	}
	cid, vid := loc.Query().Get(ParamClick), loc.Query().Get(ParamVisitor)
	if v, ok := identity.VisitorFromClickID(cid); !ok || v != vid {
		t.Fatalf("click id %q does not embed visitor %q", cid, vid)
	}
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == Cookie {
			cookie = ck
		}
	}
	if cookie == nil || cookie.Value != vid || cookie.SameSite != http.SameSiteLaxMode || cookie.MaxAge <= 0 {
		t.Fatalf("visitor cookie %+v", cookie)
	}
	if len(pub.events) != 1 {
		t.Fatalf("%d events published, want 1", len(pub.events))
	}
	ev := pub.events[0]
	click := ev.Value.(*schemas.Click)
	if ev.Key != vid || click.VisitorID != vid || click.ClickID != cid || *click.Code != "SARAH10" || *click.AffiliateID != "aff-sarah" ||
		click.IsBot || click.Source != "redirect" || !click.OccurredAt.Equal(fixedNow) || click.IPHash == nil || strings.Contains(*click.IPHash, "127.0.0.1") {
		t.Fatalf("click %+v key %q", click, ev.Key)
	}

	// The cookie is reused on the next click; a second destination works.
	resp = get(t, c, ts.URL+"/c/SARAH10/spring", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: Cookie, Value: vid}) })
	loc, _ = url.Parse(resp.Header.Get("Location"))
	if loc.Path != "/collections/spring" || loc.Query().Get(ParamVisitor) != vid {
		t.Fatalf("second click: %s", loc)
	}
	if got := pub.events[1].Value.(*schemas.Click); got.VisitorID != vid || *got.DestinationID != "spring" {
		t.Fatalf("second click %+v", got)
	}
	// A forged cookie is replaced.
	resp = get(t, c, ts.URL+"/c/SARAH10", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: Cookie, Value: "<script>"}) })
	loc, _ = url.Parse(resp.Header.Get("Location"))
	if v := loc.Query().Get(ParamVisitor); v == "<script>" || !identity.ValidVisitorID(v) {
		t.Fatalf("forged cookie reused: %q", v)
	}
}

// TestRedirectAllowedAffiliate: /c/{code}?aff= credits an affiliate the
// code's allowed_affiliates lists; any other affiliate is recorded as
// claimed (the processor does not let it qualify) and counted; a
// malformed value is ignored (the owner).
func TestRedirectAllowedAffiliate(t *testing.T) {
	for _, tt := range []struct {
		name, query, want string
		notAllowed        int64
	}{
		{"owner by default", "", "aff-sarah", 0},
		{"allowed affiliate", "?aff=aff-mike", "aff-mike", 0},
		{"owner named", "?aff=aff-sarah", "aff-sarah", 0},
		{"not allowed", "?aff=aff-eve", "aff-eve", 1},
		{"malformed", "?aff=a%20b", "aff-sarah", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pub := &recorder{}
			h, _ := identity.NewHasher([]byte("0123456789abcdef"))
			topics, _ := schemas.NewTopics("t")
			tr, err := New(Config{Destinations: map[string]string{"default": "https://shop.example/"}},
				mapCodes{"SARAH10": {Code: "SARAH10", AffiliateID: "aff-sarah", AllowedAffiliates: []string{"aff-mike"}}}, pub, h, topics)
			if err != nil {
				t.Fatal(err)
			}
			srv, _ := edge.New(edge.Config{Addr: "127.0.0.1:0"})
			tr.Register(srv, "tok")
			ts := httptest.NewServer(srv.Handler())
			defer ts.Close()
			if resp := get(t, noRedirect(), ts.URL+"/c/SARAH10"+tt.query, nil); resp.StatusCode != http.StatusFound {
				t.Fatalf("status %d, want 302", resp.StatusCode)
			}
			if len(pub.events) != 1 {
				t.Fatalf("%d clicks", len(pub.events))
			}
			if got := *pub.events[0].Value.(*schemas.Click).AffiliateID; got != tt.want {
				t.Errorf("affiliate %q, want %q", got, tt.want)
			}
			if n := tr.Stats.NotAllowed.Load(); n != tt.notAllowed {
				t.Errorf("not-allowed count %d, want %d", n, tt.notAllowed)
			}
		})
	}
}

func TestRedirectEdgeCases(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		mod       func(*http.Request)
		fail      bool
		status    int
		published int
		bot       string
	}{
		{"unknown destination", "/c/SARAH10/evil", nil, false, http.StatusNotFound, 0, ""},
		{"no open redirect via path", "/c/SARAH10/https:%2F%2Fevil.example", nil, false, http.StatusNotFound, 0, ""},
		{"unknown code still reaches the shop", "/c/NOPE", nil, false, http.StatusFound, 0, ""},
		{"invalid code still reaches the shop", "/c/%00%01", nil, false, http.StatusFound, 0, ""},
		{"crawler", "/c/SARAH10", func(r *http.Request) { r.Header.Set("User-Agent", "Googlebot/2.1 (+http://www.google.com/bot.html)") }, false, http.StatusFound, 1, "user_agent:bot"},
		{"link preview", "/c/SARAH10", func(r *http.Request) { r.Header.Set("User-Agent", "facebookexternalhit/1.1") }, false, http.StatusFound, 1, "user_agent:facebookexternalhit"},
		{"prefetch", "/c/SARAH10", func(r *http.Request) { r.Header.Set("Sec-Purpose", "prefetch;prerender") }, false, http.StatusFound, 1, "prefetch"},
		{"no user agent", "/c/SARAH10", func(r *http.Request) { r.Header.Del("User-Agent"); r.Header.Set("User-Agent", "") }, false, http.StatusFound, 1, "empty_user_agent"},
		{"kafka down still redirects", "/c/SARAH10", nil, true, http.StatusFound, 0, ""},
		{"referer scrubbed", "/c/SARAH10", func(r *http.Request) {
			r.Header.Set("Referer", "https://mail.example/read?msg=1&to=jane%40example.com&utm_source=nl#jane@example.com")
		}, false, http.StatusFound, 1, ""},
		{"HEAD redirects but records no click", "/c/SARAH10", func(r *http.Request) { r.Method = http.MethodHead }, false, http.StatusFound, 0, ""},
		{"HEAD to a destination records no click", "/c/SARAH10/spring", func(r *http.Request) { r.Method = http.MethodHead }, false, http.StatusFound, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &recorder{fail: tt.fail}
			ts := newTestServer(t, pub)
			resp := get(t, noRedirect(), ts.URL+tt.path, tt.mod)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if resp.StatusCode == http.StatusFound {
				if loc, _ := url.Parse(resp.Header.Get("Location")); loc.Host != "shop.example" {
					t.Fatalf("redirected to %s", loc)
				}
			}
			if len(pub.events) != tt.published {
				t.Fatalf("%d published, want %d", len(pub.events), tt.published)
			}
			if tt.name == "referer scrubbed" {
				if r := deref(pub.events[0].Value.(*schemas.Click).Referrer); r != "https://mail.example/read?utm_source=nl" {
					t.Fatalf("referrer %q", r)
				}
			}
			if tt.bot != "" {
				c := pub.events[0].Value.(*schemas.Click)
				if !c.IsBot || c.BotReason == nil || *c.BotReason != tt.bot {
					t.Fatalf("bot = %v reason %v, want %q", c.IsBot, deref(c.BotReason), tt.bot)
				}
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, d := range []map[string]string{
		{"other": "https://x.example/"},
		{"default": "javascript:alert(1)"},
		{"default": "//evil.example/"},
		{"default": "https://ok.example/", "a/b": "https://ok.example/"},
	} {
		c := Config{Destinations: d}
		if err := c.Validate(); err == nil {
			t.Errorf("destinations %v accepted", d)
		}
	}
}

func TestBatch(t *testing.T) {
	v := identity.NewVisitorID()
	tests := []struct {
		name   string
		body   string
		status int
		n      int
		check  func(t *testing.T, c *schemas.Click)
	}{
		{"valid", `{"clicks":[{"id":"t1","visitor_id":"` + v + `","code":"sarah10","page_type":"checkout","occurred_at":"2026-11-22T11:59:50Z","ip":"10.1.2.3","user_agent":"curl/8.0"}]}`, http.StatusAccepted, 1,
			func(t *testing.T, c *schemas.Click) {
				if *c.AffiliateID != "aff-sarah" || *c.PageType != "checkout" || !c.IsBot || c.Source != "api" || c.VisitorID != v || c.EventID != schemas.ID("api-click", "t1") {
					t.Fatalf("click %+v", c)
				}
			}},
		{"email key", `{"clicks":[{"id":"t2","email":"A@B.example","affiliate_id":"aff-x"}]}`, http.StatusAccepted, 1,
			func(t *testing.T, c *schemas.Click) {
				h, _ := identity.NewHasher([]byte("0123456789abcdef"))
				if c.VisitorID != "e:"+h.Email("a@b.example") || c.Code != nil || *c.AffiliateID != "aff-x" {
					t.Fatalf("click %+v", c)
				}
			}},
		{"urls scrubbed", `{"clicks":[{"id":"t3","visitor_id":"` + v + `","code":"SARAH10","landing_url":"https://shop.example/p?utm_source=nl&email=jane%40example.com#x","referrer":"https://u:p@mail.example/inbox/jane@example.com?q=1"}]}`, http.StatusAccepted, 1,
			func(t *testing.T, c *schemas.Click) {
				if deref(c.LandingURL) != "https://shop.example/p?utm_source=nl" || deref(c.Referrer) != "https://mail.example/inbox/-" {
					t.Fatalf("landing %q referrer %q", deref(c.LandingURL), deref(c.Referrer))
				}
			}},
		{"duplicate key", `{"clicks":[{"id":"x","visitor_id":"` + v + `","code":"SARAH10","code":"OTHER"}]}`, http.StatusBadRequest, 0, nil},
		{"referrer not a URL", `{"clicks":[{"id":"x","visitor_id":"` + v + `","code":"SARAH10","referrer":"mailto:jane@example.com"}]}`, http.StatusBadRequest, 0, nil},
		{"one bad item refuses the batch", `{"clicks":[{"id":"ok","visitor_id":"` + v + `","code":"SARAH10"},{"id":"bad","visitor_id":"` + v + `","code":"NOPE"}]}`, http.StatusBadRequest, 0, nil},
		{"affiliate mismatch", `{"clicks":[{"id":"x","visitor_id":"` + v + `","code":"SARAH10","affiliate_id":"someone-else"}]}`, http.StatusBadRequest, 0, nil},
		{"allowed affiliate", `{"clicks":[{"id":"x2","visitor_id":"` + v + `","code":"SARAH10","affiliate_id":"aff-mike"}]}`, http.StatusAccepted, 1, nil},
		{"foreign visitor id", `{"clicks":[{"id":"x","visitor_id":"abc","code":"SARAH10"}]}`, http.StatusBadRequest, 0, nil},
		{"no subject", `{"clicks":[{"id":"x","code":"SARAH10"}]}`, http.StatusBadRequest, 0, nil},
		{"bad page type", `{"clicks":[{"id":"x","visitor_id":"` + v + `","code":"SARAH10","page_type":"basket"}]}`, http.StatusBadRequest, 0, nil},
		{"future", `{"clicks":[{"id":"x","visitor_id":"` + v + `","code":"SARAH10","occurred_at":"2027-01-01T00:00:00Z"}]}`, http.StatusBadRequest, 0, nil},
		{"long ago", `{"clicks":[{"id":"x","visitor_id":"` + v + `","code":"SARAH10","occurred_at":"1970-01-01T00:00:00Z"}]}`, http.StatusBadRequest, 0, nil},
		{"empty", `{"clicks":[]}`, http.StatusBadRequest, 0, nil},
		{"unknown field", `{"clicks":[],"x":1}`, http.StatusBadRequest, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &recorder{}
			ts := newTestServer(t, pub)
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/clicks", strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer tok")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d %v, want %d", resp.StatusCode, out, tt.status)
			}
			if len(pub.events) != tt.n {
				t.Fatalf("%d published, want %d", len(pub.events), tt.n)
			}
			if tt.check != nil {
				tt.check(t, pub.events[0].Value.(*schemas.Click))
			}
		})
	}
	// Without the token: 401.
	ts := newTestServer(t, &recorder{})
	resp, err := http.Post(ts.URL+"/v1/clicks", "application/json", strings.NewReader(`{"clicks":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
}

// FuzzRedirectPath sends arbitrary click URLs: the answer is a 302 to a
// configured destination or a 4xx, never a crash or a foreign host.
func FuzzRedirectPath(f *testing.F) {
	for _, s := range []string{"/c/SARAH10", "/c/sarah10/spring", "/c/%ff", "/c/a/b/c", "/c/SARAH10/https:%2F%2Fevil", "/c/"} {
		f.Add(s)
	}
	pub := &recorder{}
	h, _ := identity.NewHasher([]byte("0123456789abcdef"))
	topics, _ := schemas.NewTopics("t")
	tr, _ := New(Config{Destinations: map[string]string{"default": "https://shop.example/", "spring": "https://shop.example/s"}},
		mapCodes{"SARAH10": {Code: "SARAH10", AffiliateID: "a"}}, pub, h, topics)
	srv, _ := edge.New(edge.Config{Addr: "127.0.0.1:0"})
	tr.Register(srv, "tok")
	hd := srv.Handler()
	f.Fuzz(func(t *testing.T, path string) {
		u, err := url.Parse(path)
		if err != nil || !strings.HasPrefix(u.Path, "/c/") {
			return
		}
		req := httptest.NewRequest(http.MethodGet, "http://tracker.example/", nil)
		req.URL = u
		rec := httptest.NewRecorder()
		hd.ServeHTTP(rec, req)
		if rec.Code == http.StatusFound {
			loc, err := url.Parse(rec.Header().Get("Location"))
			if err != nil || loc.Host != "shop.example" || loc.Scheme != "https" {
				t.Fatalf("%q redirected to %q", path, rec.Header().Get("Location"))
			}
			return
		}
		switch {
		case rec.Code == http.StatusMovedPermanently || rec.Code == http.StatusTemporaryRedirect:
			// ServeMux cleaning the path: it must stay on this host.
			if loc, err := url.Parse(rec.Header().Get("Location")); err != nil || loc.Host != "" {
				t.Fatalf("%q: path cleaning redirected to %q", path, rec.Header().Get("Location"))
			}
		case rec.Code < 400 || rec.Code >= 500:
			t.Fatalf("%q answered %d", path, rec.Code)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestBatchBodyLimit: a batch body is capped at MaxBatchBytes, or at the
// server's --max-body-bytes when that is lower (413 beyond).
func TestBatchBodyLimit(t *testing.T) {
	h, _ := identity.NewHasher([]byte("0123456789abcdef"))
	topics, _ := schemas.NewTopics("t")
	pub := &recorder{}
	tr, err := New(Config{}, mapCodes{}, pub, h, topics)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := edge.New(edge.Config{Addr: "127.0.0.1:0", MaxBodyBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	tr.Register(srv, "tok")
	body := `{"clicks":[{"id":"` + strings.Repeat("a", 4096) + `"}]}`
	req := httptest.NewRequest(http.MethodPost, "/v1/clicks", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "exceeds the 4096 byte limit") || len(pub.events) != 0 {
		t.Fatalf("%d-byte batch: %d %s", len(body), rec.Code, rec.Body)
	}
}
