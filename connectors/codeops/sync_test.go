package codeops

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/heldsway/heldsway/codes/csvfile"
	"github.com/heldsway/heldsway/codes/registry/registrytest"
)

// wooStore is a WooCommerce store's REST API (wc/v3) as far as a dry run
// uses it: coupons listed and looked up by code or search, read/write
// keys by HTTP Basic auth (401 woocommerce_rest_cannot_view without
// them), status "any" matching every status, as the WordPress REST API
// does. It records every request that would change the store.
type wooStore struct {
	ck, cs  string
	coupons []map[string]any

	mu     sync.Mutex
	writes []string
}

func (s *wooStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if ck, cs, ok := r.BasicAuth(); !ok || ck != s.ck || cs != s.cs {
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.", "data": map[string]int{"status": 401}})
		return
	}
	if r.Method != http.MethodGet {
		s.mu.Lock()
		s.writes = append(s.writes, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
	}
	if r.Method != http.MethodGet || r.URL.Path != "/wp-json/wc/v3/coupons" {
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": "rest_no_route", "message": "No route was found matching the URL and request method.", "data": map[string]int{"status": 404}})
		return
	}
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	out := []map[string]any{}
	for _, c := range s.coupons {
		code := c["code"].(string)
		switch {
		case page > 1:
		case q.Has("code") && !strings.EqualFold(code, q.Get("code")):
		case q.Has("search") && !strings.Contains(code, strings.ToLower(q.Get("search"))):
		case q.Has("status") && q.Get("status") != "any" && c["status"] != q.Get("status"):
		default:
			out = append(out, c)
		}
	}
	w.Header().Set("X-WP-Total", strconv.Itoa(len(out)))
	w.Header().Set("X-WP-TotalPages", "1")
	_ = json.NewEncoder(w).Encode(out)
}

// TestSyncDryRun pushes, then imports, in dry runs against a WooCommerce
// store named in a stores file, and checks what Sync writes and that the
// store got no write.
func TestSyncDryRun(t *testing.T) {
	store := &wooStore{ck: "ck_test", cs: "cs_test", coupons: []map[string]any{
		{"id": 7, "code": "summer5", "status": "publish", "discount_type": "percent", "amount": "5.00"},
	}}
	srv := httptest.NewServer(store)
	defer srv.Close()
	t.Setenv("CODEOPS_TEST_WC_KEYS", store.ck+":"+store.cs)
	t.Setenv("CODEOPS_TEST_WC_SECRET", "whsec")
	storesFile := filepath.Join(t.TempDir(), "stores.yaml")
	yaml := "woocommerce:\n  - id: shop.example\n    secret_env: CODEOPS_TEST_WC_SECRET\n    api_key_env: CODEOPS_TEST_WC_KEYS\n    sync: {api_url: " + srv.URL + ", currency: EUR}\n"
	if err := os.WriteFile(storesFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	remotes, err := Remotes(storesFile)
	if err != nil {
		t.Fatal(err)
	}

	c := openTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), registrytest.Wait(t))
	defer cancel()
	var out bytes.Buffer
	if err := c.Import(ctx, strings.NewReader("code,affiliate_id,discount_value\nsarah10,aff_1,10\n"), "c.csv", csvfile.ImportOptions{}, &out, false); err != nil {
		t.Fatal(err)
	}

	out.Reset()
	if err := c.Sync(ctx, &out, SyncConfig{Remotes: remotes, DryRun: true}); err != nil {
		t.Fatalf("sync: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || lines[0] != "SARAH10 on woocommerce/shop.example: created" ||
		!strings.HasPrefix(lines[1], "1 codes on 1 stores: 1 created in ") || !strings.HasSuffix(lines[1], " (dry run: nothing changed)") {
		t.Errorf("sync output:\n%s", out.String())
	}

	out.Reset()
	if err := c.Sync(ctx, &out, SyncConfig{Remotes: remotes, DryRun: true, Import: true}); err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	lines = strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || lines[0] != "woocommerce/shop.example SUMMER5: created" ||
		lines[1] != "1 store coupons: 1 created, 0 linked, 0 known, 0 skipped; 0 written, 0 conflicts" {
		t.Errorf("import output:\n%s", out.String())
	}
	if len(store.writes) != 0 {
		t.Errorf("a dry run wrote to the store: %v", store.writes)
	}
}
