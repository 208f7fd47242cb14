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

const shopifyToken = "shpat_test"

// fakeShopify implements the REST Admin price rule and discount code
// contract (2026-07) in memory: X-Shopify-Access-Token auth, 422 with
// {"errors": {field: [...]}} on invalid input and duplicate codes,
// {"errors": "Not Found"} 404s, the lookup endpoint's 303 redirect, and
// Link-header pagination.
type fakeShopify struct {
	fake
	pageSize int
	nextID   int64
	rules    map[int64]map[string]any // price rules, as the API renders them
	codes    map[int64]map[string]any // discount codes
	template map[string]any
	now      func() time.Time
}

func newFakeShopify(t *testing.T) *fakeShopify {
	f := &fakeShopify{now: time.Now, pageSize: 250, nextID: 1000, rules: map[int64]map[string]any{}, codes: map[int64]map[string]any{}}
	f.template = fixture(t, "shopify", "price_rule_create_fixed_amount.response.json")["price_rule"].(map[string]any)
	f.errorBody = func(_ int, msg string) any { return map[string]any{"errors": msg} }
	f.start(t, f.handle)
	return f
}

const shopifyPrefix = "/admin/api/2026-07/"

func (f *fakeShopify) handle(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Shopify-Access-Token") != shopifyToken {
		f.fail(w, http.StatusUnauthorized, "[API] Invalid API key or access token (unrecognized login or wrong password)")
		return
	}
	p, ok := strings.CutPrefix(r.URL.Path, shopifyPrefix)
	if !ok {
		f.fail(w, http.StatusNotFound, "Not Found")
		return
	}
	parts := strings.Split(strings.TrimSuffix(p, ".json"), "/")
	switch {
	case r.Method == http.MethodGet && p == "discount_codes/lookup.json":
		code := r.URL.Query().Get("code")
		for _, dc := range f.codes {
			if strings.EqualFold(dc["code"].(string), code) {
				w.Header().Set("Location", fmt.Sprintf("%sprice_rules/%v/discount_codes/%v.json", shopifyPrefix, dc["price_rule_id"], dc["id"]))
				w.WriteHeader(http.StatusSeeOther)
				return
			}
		}
		f.fail(w, http.StatusNotFound, "Not Found")
	case len(parts) == 1 && parts[0] == "price_rules" && r.Method == http.MethodGet:
		f.listRules(w, r)
	case len(parts) == 1 && parts[0] == "price_rules" && r.Method == http.MethodPost:
		f.createRule(w, r)
	case len(parts) == 2 && parts[0] == "price_rules":
		id, _ := strconv.ParseInt(parts[1], 10, 64)
		rule, ok := f.rules[id]
		if !ok {
			f.fail(w, http.StatusNotFound, "Not Found")
			return
		}
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, map[string]any{"price_rule": rule})
		case http.MethodPut:
			f.updateRule(w, r, rule)
		case http.MethodDelete:
			delete(f.rules, id)
			for cid, dc := range f.codes {
				if dc["price_rule_id"] == id {
					delete(f.codes, cid)
				}
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			f.fail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		}
	case len(parts) == 3 && parts[0] == "price_rules" && parts[2] == "discount_codes":
		id, _ := strconv.ParseInt(parts[1], 10, 64)
		if _, ok := f.rules[id]; !ok {
			f.fail(w, http.StatusNotFound, "Not Found")
			return
		}
		if r.Method == http.MethodPost {
			f.createCode(w, r, id)
			return
		}
		var list []map[string]any
		for _, dc := range f.sortedCodes() {
			if dc["price_rule_id"] == id {
				list = append(list, dc)
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"discount_codes": list})
	case len(parts) == 4 && parts[0] == "price_rules" && parts[2] == "discount_codes" && r.Method == http.MethodGet:
		cid, _ := strconv.ParseInt(parts[3], 10, 64)
		dc, ok := f.codes[cid]
		if !ok || fmt.Sprint(dc["price_rule_id"]) != parts[1] {
			f.fail(w, http.StatusNotFound, "Not Found")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"discount_code": dc})
	default:
		f.fail(w, http.StatusNotFound, "Not Found")
	}
}

func (f *fakeShopify) sortedCodes() []map[string]any {
	ids := make([]int64, 0, len(f.codes))
	for id := range f.codes {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]map[string]any, len(ids))
	for i, id := range ids {
		out[i] = f.codes[id]
	}
	return out
}

// listRules pages with since-id cursors rendered as page_info, as
// Shopify's Link header does.
func (f *fakeShopify) listRules(w http.ResponseWriter, r *http.Request) {
	ids := make([]int64, 0, len(f.rules))
	for id := range f.rules {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	after, _ := strconv.ParseInt(r.URL.Query().Get("page_info"), 10, 64)
	var page []map[string]any
	more := false
	for _, id := range ids {
		if id <= after {
			continue
		}
		if len(page) == f.pageSize {
			more = true
			break
		}
		page = append(page, f.rules[id])
	}
	if more {
		last := page[len(page)-1]["id"].(int64)
		w.Header().Set("Link", fmt.Sprintf(`<%s%sprice_rules.json?limit=%d&page_info=%d>; rel="next"`, f.srv.URL, shopifyPrefix, f.pageSize, last))
	}
	writeJSON(w, http.StatusOK, map[string]any{"price_rules": page})
}

var shopifyEnums = map[string][]string{
	"target_type":        {"line_item", "shipping_line"},
	"target_selection":   {"all", "entitled"},
	"allocation_method":  {"across", "each"},
	"value_type":         {"fixed_amount", "percentage"},
	"customer_selection": {"all", "prerequisite"},
}

// validRule checks a price rule as Shopify does, returning 422 errors.
func validRule(rule map[string]any) map[string][]string {
	errs := map[string][]string{}
	for field, allowed := range shopifyEnums {
		v, _ := rule[field].(string)
		ok := false
		for _, a := range allowed {
			ok = ok || v == a
		}
		if !ok {
			errs[field] = append(errs[field], "is not included in the list")
		}
	}
	if t, _ := rule["title"].(string); t == "" {
		errs["title"] = append(errs["title"], "can't be blank")
	}
	if s, _ := rule["starts_at"].(string); s == "" {
		errs["starts_at"] = append(errs["starts_at"], "can't be blank")
	}
	if v, _ := rule["value"].(string); !strings.HasPrefix(v, "-") {
		errs["value"] = append(errs["value"], "must be less than or equal to 0")
	} else if _, err := strconv.ParseFloat(v, 64); err != nil {
		errs["value"] = append(errs["value"], "is not a number")
	} else if rule["value_type"] == "percentage" {
		if x, _ := strconv.ParseFloat(v, 64); x < -100 {
			errs["value"] = append(errs["value"], "must be greater than or equal to -100")
		}
	}
	for _, f := range []string{"starts_at", "ends_at"} {
		if s, ok := rule[f].(string); ok {
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				errs[f] = append(errs[f], "is invalid")
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// normalizeRule renders values as Shopify does ("-10.0", times with the
// shop's offset).
func normalizeRule(rule map[string]any) {
	if v, ok := rule["value"].(string); ok {
		x, _ := strconv.ParseFloat(v, 64)
		rule["value"] = strconv.FormatFloat(x, 'f', -1, 64)
		if !strings.Contains(rule["value"].(string), ".") {
			rule["value"] = rule["value"].(string) + ".0"
		}
	}
	est := time.FixedZone("EST", -5*3600)
	for _, f := range []string{"starts_at", "ends_at"} {
		if s, ok := rule[f].(string); ok {
			t, _ := time.Parse(time.RFC3339, s)
			rule[f] = t.In(est).Format(time.RFC3339)
		}
	}
}

func (f *fakeShopify) createRule(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PriceRule map[string]any `json:"price_rule"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.PriceRule == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string][]string{"price_rule": {"Required parameter missing or invalid"}}})
		return
	}
	rule := cloneMap(f.template)
	for k, v := range body.PriceRule {
		rule[k] = v
	}
	if errs := validRule(rule); errs != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": errs})
		return
	}
	normalizeRule(rule)
	f.nextID++
	rule["id"] = f.nextID
	rule["admin_graphql_api_id"] = fmt.Sprintf("gid://shopify/PriceRule/%d", f.nextID)
	f.rules[f.nextID] = rule
	writeJSON(w, http.StatusCreated, map[string]any{"price_rule": rule})
}

func (f *fakeShopify) updateRule(w http.ResponseWriter, r *http.Request, rule map[string]any) {
	var body struct {
		PriceRule map[string]any `json:"price_rule"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.PriceRule == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string][]string{"price_rule": {"Required parameter missing or invalid"}}})
		return
	}
	next := cloneMap(rule)
	for k, v := range body.PriceRule {
		next[k] = v
	}
	if errs := validRule(next); errs != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": errs})
		return
	}
	normalizeRule(next)
	next["id"] = rule["id"]
	id := rule["id"].(int64)
	f.rules[id] = next
	writeJSON(w, http.StatusOK, map[string]any{"price_rule": next})
}

func (f *fakeShopify) createCode(w http.ResponseWriter, r *http.Request, rule int64) {
	var body struct {
		DiscountCode struct {
			Code string `json:"code"`
		} `json:"discount_code"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.DiscountCode.Code == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": map[string][]string{"code": {"can't be blank"}}})
		return
	}
	code := body.DiscountCode.Code
	if len(code) > 255 || strings.ContainsAny(code, " \t") {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": map[string][]string{"code": {"is invalid"}}})
		return
	}
	for _, dc := range f.codes {
		if strings.EqualFold(dc["code"].(string), code) {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": map[string][]string{"code": {"must be unique. Please try a different code."}}})
			return
		}
	}
	f.nextID++
	dc := map[string]any{"id": f.nextID, "price_rule_id": rule, "code": code, "usage_count": 0, "created_at": "2025-04-02T11:31:50-05:00", "updated_at": "2025-04-02T11:31:50-05:00"}
	f.codes[f.nextID] = dc
	if f.lostCreate() {
		f.fail(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"discount_code": dc})
}

// seed adds a price rule with codes directly, as a merchant would.
func (f *fakeShopify) seed(fields map[string]any, codes ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rule := cloneMap(f.template)
	for k, v := range fields {
		rule[k] = v
	}
	normalizeRule(rule)
	f.nextID++
	rule["id"] = f.nextID
	rid := f.nextID
	f.rules[rid] = rule
	for _, c := range codes {
		f.nextID++
		f.codes[f.nextID] = map[string]any{"id": f.nextID, "price_rule_id": rid, "code": c}
	}
}

// count returns how many discount codes match code (any case), and how
// many of them are active (their price rule has not ended).
func (f *fakeShopify) count(code string) (all, active int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, dc := range f.codes {
		if strings.EqualFold(dc["code"].(string), code) {
			all++
			end, _ := f.rules[dc["price_rule_id"].(int64)]["ends_at"].(string)
			if t, err := time.Parse(time.RFC3339, end); end == "" || err == nil && t.After(f.now()) {
				active++
			}
		}
	}
	return all, active
}
