package codeadmin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/heldsway/heldsway/codes/csvfile"
	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

const token = "test-token"

// newAPI runs the admin API against a registry on kfake.
func newAPI(t *testing.T) (*httptest.Server, *registry.Registry) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	conn := kafka.Conn{Brokers: c.ListenAddrs()}
	cl, err := conn.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const topic = "hs.codes.v1"
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 2, 1, map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}, topic); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.NewRegistry(registry.RegistryConfig{Topic: topic, Serde: schemas.NewSerde(), Conn: conn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	if err := reg.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := registry.NewWriter(reg, registry.WriterConfig{Conn: conn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	mux := http.NewServeMux()
	(&Handlers{Registry: reg, Writer: w}).Register(mux, token)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, reg
}

// call does a request and decodes a JSON answer into out (when not nil).
func call(t *testing.T, srv *httptest.Server, method, path, ctype, body string, hdr map[string]string, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decoding %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode, string(b)
}

func TestAPIEndToEnd(t *testing.T) {
	srv, reg := newAPI(t)
	example, err := os.ReadFile("../../codes/testdata/example.csv")
	if err != nil {
		t.Fatal(err)
	}

	// No token, no access.
	resp, err := http.Get(srv.URL + "/v1/codes")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without token: %d", resp.StatusCode)
	}

	// Dry run writes nothing; atomic with a bad row writes nothing.
	var rep csvfile.Report
	if st, body := call(t, srv, "POST", "/v1/codes/import?dry_run=1", "text/csv", string(example), nil, &rep); st != 200 || rep.Created != 10 || !rep.DryRun {
		t.Fatalf("dry run: %d %s", st, body)
	}
	bad := string(example) + "BAD CODE,aff_x,,,,,,,,,,,,,,,,,,\n"
	if st, body := call(t, srv, "POST", "/v1/codes/import?atomic=1", "text/csv", bad, nil, &rep); st != 422 || rep.Written != 0 || rep.Errors[0].Line != 12 || rep.Errors[0].Field != "code" {
		t.Fatalf("atomic bad: %d %s", st, body)
	}
	if reg.Len() != 0 {
		t.Fatalf("registry holds %d after failed atomic import", reg.Len())
	}
	if st, body := call(t, srv, "POST", "/v1/codes/import", "text/csv", "code,affiliate_id,shoe_size\n", nil, nil); st != 400 || !strings.Contains(body, "shoe_size") {
		t.Fatalf("bad header: %d %s", st, body)
	}
	rep = csvfile.Report{}
	if st, body := call(t, srv, "POST", "/v1/codes/import?atomic=1", "text/csv", string(example), nil, &rep); st != 200 || rep.Written != 10 {
		t.Fatalf("import: %d %s", st, body)
	}

	// List and get.
	var list struct {
		Count int             `json:"count"`
		Codes []csvfile.Entry `json:"codes"`
	}
	if st, body := call(t, srv, "GET", "/v1/codes?affiliate=aff_deep_dive", "", "", nil, &list); st != 200 || list.Count != 2 || list.Codes[0].Code != "DEEPDIVE10" {
		t.Fatalf("list: %d %s", st, body)
	}
	var e csvfile.Entry
	if st, body := call(t, srv, "GET", "/v1/codes/sarah15", "", "", nil, &e); st != 200 || e.Version != 1 || e.DiscountValue != "15" || e.ValidUntil != "2099-12-31" {
		t.Fatalf("get: %d %s", st, body)
	}
	if st, _ := call(t, srv, "GET", "/v1/codes/NOPE", "", "", nil, nil); st != 404 {
		t.Fatalf("get missing: %d", st)
	}

	// PUT: update with the right version, conflict with a stale one,
	// create a new code, reject invalid values.
	if st, body := call(t, srv, "PUT", "/v1/codes/SARAH15", "application/json", `{"status":"paused","max_uses":750,"version":1}`, nil, &e); st != 200 || e.DisplayCode != "SARAH15" || e.Version != 2 || e.Status != "paused" || e.MaxUses != "750" {
		t.Fatalf("put update: %d %s", st, body)
	}
	if st, body := call(t, srv, "PUT", "/v1/codes/SARAH15", "application/json", `{"status":"active"}`, map[string]string{"If-Match": `"1"`}, nil); st != 409 {
		t.Fatalf("put stale: %d %s", st, body)
	}
	if st, body := call(t, srv, "PUT", "/v1/codes/newbie10", "application/json", `{"affiliate_id":"aff_new","discount_value":10,"requires_click":true}`, nil, &e); st != 201 || e.Code != "NEWBIE10" || !e.RequiresClick || e.Coupon != "percent-10" {
		t.Fatalf("put create: %d %s", st, body)
	}
	if st, body := call(t, srv, "PUT", "/v1/codes/NEWBIE10", "application/json", `{"discount_value":150}`, nil, nil); st != 422 || !strings.Contains(body, "over 100") {
		t.Fatalf("put invalid: %d %s", st, body)
	}
	// An Entry sent back unchanged changes nothing.
	var cur csvfile.Entry
	call(t, srv, "GET", "/v1/codes/NEWBIE10", "", "", nil, &cur)
	raw, _ := json.Marshal(cur)
	if st, body := call(t, srv, "PUT", "/v1/codes/NEWBIE10", "application/json", string(raw), nil, &e); st != 200 || e.Version != cur.Version {
		t.Fatalf("put entry back: %d %s", st, body)
	}

	// Generate for two affiliates; again, it returns the same codes.
	gen := `{"rule":"{first}{discount}","affiliates":[{"id":"aff_g1","name":"Sarah Parker"},{"id":"aff_g2","name":"Omar Haddad"}],"defaults":{"coupon":"spring-launch","discount_value":"15","currency":"USD"}}`
	if st, body := call(t, srv, "POST", "/v1/codes/generate", "application/json", gen, nil, &rep); st != 200 || rep.Created != 2 || rep.Results[1].Code != "OMAR15" || !strings.HasPrefix(rep.Results[0].Code, "SARAH15") || rep.Results[0].Code == "SARAH15" {
		t.Fatalf("generate: %d %s", st, body)
	}
	first := rep.Results
	if st, body := call(t, srv, "POST", "/v1/codes/generate", "application/json", gen, nil, &rep); st != 200 || rep.Unchanged != 2 || rep.Results[0].Code != first[0].Code {
		t.Fatalf("generate again: %d %s", st, body)
	}

	// Deactivate and expire.
	var bulk BulkResult
	if st, body := call(t, srv, "POST", "/v1/codes/deactivate", "application/json", `{"affiliate_id":"aff_deep_dive"}`, nil, &bulk); st != 200 || bulk.Changed != 2 {
		t.Fatalf("deactivate: %d %s", st, body)
	}
	if st, body := call(t, srv, "POST", "/v1/codes/expire?dry_run=1", "application/json", `{"before":"2100-01-01"}`, nil, &bulk); st != 200 || bulk.Changed != 7 || !bulk.DryRun {
		t.Fatalf("expire dry run: %d %s", st, body)
	}
	if st, body := call(t, srv, "POST", "/v1/codes/expire", "application/json", `{"before":"2100-01-01"}`, nil, &bulk); st != 200 || bulk.Changed != 7 {
		t.Fatalf("expire: %d %s", st, body)
	}
	if c, _ := reg.Get("JENNA15"); c.Status != registry.StatusInactive {
		t.Fatalf("JENNA15 = %s", c.Status)
	}

	// Export round-trips through import.
	st, csv := call(t, srv, "GET", "/v1/codes/export", "", "", nil, nil)
	if st != 200 || !strings.HasPrefix(csv, strings.Join(csvfile.Columns, ",")) {
		t.Fatalf("export: %d %s", st, csv)
	}
	if st, body := call(t, srv, "POST", "/v1/codes/import", "text/csv", csv, nil, &rep); st != 200 || rep.Unchanged != reg.Len() || rep.Written != 0 {
		t.Fatalf("re-import export: %d %s", st, body)
	}

	// Delete.
	if st, body := call(t, srv, "DELETE", "/v1/codes/NEWBIE10?version=5", "", "", nil, nil); st != 409 {
		t.Fatalf("delete stale: %d %s", st, body)
	}
	if st, body := call(t, srv, "DELETE", "/v1/codes/NEWBIE10", "", "", nil, nil); st != 204 {
		t.Fatalf("delete: %d %s", st, body)
	}
	if st, _ := call(t, srv, "DELETE", "/v1/codes/NEWBIE10", "", "", nil, nil); st != 404 {
		t.Fatalf("delete again: %d", st)
	}
}
