package codesync

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	wooKey    = "ck_test"
	wooSecret = "cs_test"
)

// fakeWoo implements the wc/v3 coupons contract in memory: Basic auth,
// codes lower-cased on save (wc_strtolower), unique codes, ?code= lookup,
// page/per_page with X-WP-Total(Pages), WordPress REST error bodies
// ({"code", "message", "data": {"status"}}), and DELETE refusing the trash
// without force=true. As the real controller does
// (WC_REST_Coupons_V2_Controller): a null body field is skipped
// (prepare_object_for_database sets only non-null values), so a limit or
// an expiry is cleared only by 0 or ""; only fields with a setter are
// written (date_expires, not the read-only-in-effect date_expires_gmt);
// 0 limits read back as null; ?code= finds published coupons only
// (wc_get_coupon_id_by_code), while ?search= with ?status= lists others.
type fakeWoo struct {
	fake
	nextID   int64
	coupons  map[int64]map[string]any
	template map[string]any
	// ignoreStatus makes listings ignore ?status= (stores before wc/v3
	// honoured it): only published coupons are listed.
	ignoreStatus bool
}

func newFakeWoo(t *testing.T) *fakeWoo {
	f := &fakeWoo{nextID: 700, coupons: map[int64]map[string]any{}}
	f.template = fixture(t, "woocommerce", "docs_coupon_create.response.json")
	// WooCommerce's defaults for what the docs' request set.
	for k, v := range map[string]any{"code": "", "amount": "0.00", "individual_use": false, "exclude_sale_items": false, "minimum_amount": "0.00"} {
		f.template[k] = v
	}
	f.errorBody = func(status int, msg string) any {
		return wpError("woocommerce_rest_error", msg, status)
	}
	f.start(t, f.handle)
	return f
}

func wpError(code, msg string, status int) map[string]any {
	return map[string]any{"code": code, "message": msg, "data": map[string]any{"status": status}}
}

func (f *fakeWoo) handle(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != wooKey || p != wooSecret {
		writeJSON(w, http.StatusUnauthorized, wpError("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", http.StatusUnauthorized))
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/wp-json/wc/v3/coupons")
	if !ok {
		writeJSON(w, http.StatusNotFound, wpError("rest_no_route", "No route was found matching the URL and request method.", 404))
		return
	}
	if rest == "" {
		switch r.Method {
		case http.MethodGet:
			f.list(w, r)
		case http.MethodPost:
			f.create(w, r)
		default:
			writeJSON(w, http.StatusNotFound, wpError("rest_no_route", "No route was found matching the URL and request method.", 404))
		}
		return
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(rest, "/"), 10, 64)
	c, ok := f.coupons[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, wpError("woocommerce_rest_shop_coupon_invalid_id", "Invalid ID.", 404))
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, c)
	case http.MethodPut:
		f.update(w, r, c)
	case http.MethodDelete:
		if r.URL.Query().Get("force") != "true" {
			writeJSON(w, http.StatusNotImplemented, wpError("woocommerce_rest_trash_not_supported", "The coupon does not support trashing.", 501))
			return
		}
		delete(f.coupons, id)
		writeJSON(w, http.StatusOK, c)
	}
}

func (f *fakeWoo) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 10
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page <= 0 {
		page = 1
	}
	code := strings.ToLower(q.Get("code"))
	search := strings.ToLower(q.Get("search"))
	status := q.Get("status")
	if f.ignoreStatus {
		status = "publish"
	}
	ids := make([]int64, 0, len(f.coupons))
	for id, c := range f.coupons {
		st, _ := c["status"].(string)
		switch {
		case code != "" && (c["code"] != code || st != "publish"):
			// wc_get_coupon_id_by_code looks among published coupons only.
		case search != "" && !strings.Contains(c["code"].(string), search):
		case status != "" && status != "any" && status != "all" && status != st:
		case status == "" && code == "" && st != "publish":
			// Without a status the query lists published coupons.
		default:
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	total := len(ids)
	pages := (total + per - 1) / per
	w.Header().Set("X-WP-Total", strconv.Itoa(total))
	w.Header().Set("X-WP-TotalPages", strconv.Itoa(pages))
	out := []map[string]any{}
	for i := (page - 1) * per; i < total && i < page*per; i++ {
		out = append(out, f.coupons[ids[i]])
	}
	writeJSON(w, http.StatusOK, out)
}

// apply validates and applies fields to c as WooCommerce does.
func (f *fakeWoo) apply(c, fields map[string]any) map[string]any {
	for k, v := range fields {
		if v == nil {
			continue // prepare_object_for_database: is_null values are skipped
		}
		switch k {
		case "code":
			s, _ := v.(string)
			c[k] = strings.ToLower(strings.TrimSpace(s))
		case "discount_type":
			s, _ := v.(string)
			if s != "percent" && s != "fixed_cart" && s != "fixed_product" {
				return wpError("rest_invalid_param", "Invalid parameter(s): discount_type", 400)
			}
			c[k] = s
		case "amount", "minimum_amount", "maximum_amount":
			s, ok := v.(string)
			if !ok {
				return wpError("rest_invalid_param", "Invalid parameter(s): "+k+" (not of type string)", 400)
			}
			x, err := strconv.ParseFloat(s, 64)
			if s != "" && err != nil {
				return wpError("rest_invalid_param", "Invalid parameter(s): "+k, 400)
			}
			c[k] = fmt.Sprintf("%.2f", x)
		case "date_expires_gmt":
			// No set_date_expires_gmt on WC_Coupon: not written.
			continue
		case "date_expires":
			str, _ := v.(string)
			if str == "" {
				c["date_expires"], c["date_expires_gmt"] = nil, nil
				continue
			}
			// WC_Data::set_date_prop reads an RFC 3339 time with its
			// offset; this fake keeps the UTC form.
			t, err := time.Parse(time.RFC3339, str)
			if err != nil {
				return wpError("rest_invalid_param", "Invalid parameter(s): date_expires", 400)
			}
			u := t.UTC().Format("2006-01-02T15:04:05")
			c["date_expires"], c["date_expires_gmt"] = u, u
		case "status":
			s, _ := v.(string)
			switch s {
			case "publish", "draft", "pending", "private", "future":
				c[k] = s
			default:
				return wpError("rest_invalid_param", "Invalid parameter(s): status", 400)
			}
		case "usage_limit", "usage_limit_per_user", "limit_usage_to_x_items":
			n, ok := v.(float64)
			if !ok || n != float64(int64(n)) {
				return wpError("rest_invalid_param", "Invalid parameter(s): "+k+" (not of type integer)", 400)
			}
			if n == 0 {
				c[k] = nil // absint(0): no limit, formatted as null
				continue
			}
			c[k] = int64(n)
		default:
			if _, known := f.template[k]; !known && k != "status" {
				continue // WordPress ignores unknown body fields
			}
			c[k] = v
		}
	}
	return nil
}

func (f *fakeWoo) create(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, wpError("rest_invalid_json", "Invalid JSON body passed.", 400))
		return
	}
	if s, _ := body["code"].(string); strings.TrimSpace(s) == "" {
		writeJSON(w, http.StatusBadRequest, wpError("rest_missing_callback_param", "Missing parameter(s): code", 400))
		return
	}
	c := cloneMap(f.template)
	c["status"], c["usage_limit"], c["usage_limit_per_user"] = "publish", nil, nil
	if e := f.apply(c, body); e != nil {
		writeJSON(w, http.StatusBadRequest, e)
		return
	}
	for _, o := range f.coupons {
		if o["code"] == c["code"] {
			writeJSON(w, http.StatusBadRequest, wpError("woocommerce_rest_coupon_code_already_exists", "The coupon code already exists", 400))
			return
		}
	}
	f.nextID++
	c["id"] = f.nextID
	f.coupons[f.nextID] = c
	if f.lostCreate() {
		f.fail(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (f *fakeWoo) update(w http.ResponseWriter, r *http.Request, c map[string]any) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, wpError("rest_invalid_json", "Invalid JSON body passed.", 400))
		return
	}
	next := cloneMap(c)
	next["id"] = c["id"]
	if e := f.apply(next, body); e != nil {
		writeJSON(w, http.StatusBadRequest, e)
		return
	}
	for id, o := range f.coupons {
		if id != c["id"] && o["code"] == next["code"] {
			writeJSON(w, http.StatusBadRequest, wpError("woocommerce_rest_coupon_code_already_exists", "The coupon code already exists", 400))
			return
		}
	}
	f.coupons[c["id"].(int64)] = next
	writeJSON(w, http.StatusOK, next)
}

// seed adds a coupon directly (fields over the docs' example coupon).
func (f *fakeWoo) seed(fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := cloneMap(f.template)
	c["status"] = "publish"
	for k, v := range fields {
		c[k] = v
	}
	f.nextID++
	c["id"] = f.nextID
	f.coupons[f.nextID] = c
}

func (f *fakeWoo) count(code string) (all, active int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.coupons {
		if c["code"] == strings.ToLower(code) {
			all++
			if c["status"] == "publish" {
				active++
			}
		}
	}
	return all, active
}
