package codesync

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

const stripeKey = "sk_test_123"

// fakeStripe implements the coupon and promotion code contract of API
// 2026-08-26.dahlia in memory, with what stripe-mock lacks: state,
// uniqueness of active codes (case-insensitive), Idempotency-Key replay,
// resource_missing 404s. Like stripe-mock it takes form bodies, refuses
// parameters the spec does not list for the endpoint, and answers 401
// without a Bearer key.
type fakeStripe struct {
	fake
	seq     int
	coupons map[string]map[string]any
	promos  map[string]map[string]any
	order   []string // promotion code ids, oldest first
	idem    map[string]stripeReplay
	tmplC   map[string]any
	tmplP   map[string]any
}

type stripeReplay struct {
	params string
	status int
	body   any
}

func newFakeStripe(t *testing.T) *fakeStripe {
	f := &fakeStripe{coupons: map[string]map[string]any{}, promos: map[string]map[string]any{}, idem: map[string]stripeReplay{}}
	f.tmplC = fixture(t, "stripe", "fixtures3.coupon.json")
	f.tmplP = fixture(t, "stripe", "fixtures3.promotion_code.json")
	f.errorBody = func(status int, msg string) any {
		typ := "api_error"
		if status == http.StatusTooManyRequests {
			typ = "rate_limit_error"
		}
		return stripeErr(typ, "", msg, "")
	}
	f.start(t, f.handle)
	return f
}

func stripeErr(typ, code, msg, param string) map[string]any {
	e := map[string]any{"type": typ, "message": msg}
	if code != "" {
		e["code"] = code
	}
	if param != "" {
		e["param"] = param
	}
	return map[string]any{"error": e}
}

// Parameters each endpoint takes (spec3 request schemas).
var stripeParams = map[string][]string{
	"POST /v1/coupons":            {"id", "name", "percent_off", "amount_off", "currency", "duration", "duration_in_months", "max_redemptions", "redeem_by", "metadata", "applies_to", "currency_options", "expand"},
	"POST /v1/promotion_codes":    {"promotion", "code", "active", "customer", "customer_account", "expires_at", "max_redemptions", "metadata", "restrictions", "expand"},
	"POST /v1/promotion_codes/ID": {"active", "metadata", "restrictions", "expand"},
	"GET /v1/promotion_codes":     {"active", "code", "coupon", "created", "customer", "customer_account", "ending_before", "expand", "limit", "starting_after"},
}

func checkParams(route string, v url.Values) map[string]any {
	allowed := stripeParams[route]
	for k := range v {
		top, _, _ := strings.Cut(k, "[")
		ok := false
		for _, a := range allowed {
			ok = ok || a == top
		}
		if !ok {
			return stripeErr("invalid_request_error", "parameter_unknown", "Received unknown parameter: "+k, k)
		}
	}
	return nil
}

func (f *fakeStripe) handle(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer sk_") || r.Header.Get("Authorization") != "Bearer "+stripeKey {
		writeJSON(w, http.StatusUnauthorized, stripeErr("invalid_request_error", "", "Invalid API Key provided: "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), ""))
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, stripeErr("invalid_request_error", "", "Invalid request body", ""))
		return
	}
	vals := r.Form
	if r.Method == http.MethodPost {
		vals = r.PostForm
	}
	route := r.Method + " " + r.URL.Path
	if strings.HasPrefix(r.URL.Path, "/v1/promotion_codes/") {
		route = r.Method + " /v1/promotion_codes/ID"
	}
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/coupons/") {
		route = "GET /v1/coupons/ID"
	}
	if _, known := stripeParams[route]; known {
		if e := checkParams(route, vals); e != nil {
			writeJSON(w, http.StatusBadRequest, e)
			return
		}
	}
	key := r.Header.Get("Idempotency-Key")
	if key != "" && r.Method == http.MethodPost {
		if rep, ok := f.idem[key]; ok {
			if rep.params != vals.Encode() {
				writeJSON(w, http.StatusBadRequest, stripeErr("idempotency_error", "", "Keys for idempotent requests can only be used with the same parameters they were first used with.", ""))
				return
			}
			w.Header().Set("Idempotent-Replayed", "true")
			writeJSON(w, rep.status, rep.body)
			return
		}
	}
	status, body := f.route(route, r, vals)
	if key != "" && r.Method == http.MethodPost && status < 500 {
		f.idem[key] = stripeReplay{params: vals.Encode(), status: status, body: body}
	}
	if r.Method == http.MethodPost && r.URL.Path == "/v1/promotion_codes" && status == http.StatusOK && f.lostCreate() {
		f.fail(w, http.StatusInternalServerError, "An unknown error occurred")
		return
	}
	writeJSON(w, status, body)
}

func (f *fakeStripe) route(route string, r *http.Request, v url.Values) (int, any) {
	switch route {
	case "GET /v1/coupons/ID":
		id := strings.TrimPrefix(r.URL.Path, "/v1/coupons/")
		c, ok := f.coupons[id]
		if !ok {
			return http.StatusNotFound, stripeErr("invalid_request_error", "resource_missing", "No such coupon: '"+id+"'", "id")
		}
		return http.StatusOK, c
	case "POST /v1/coupons":
		return f.createCoupon(v)
	case "POST /v1/promotion_codes":
		return f.createPromo(v)
	case "POST /v1/promotion_codes/ID":
		return f.updatePromo(strings.TrimPrefix(r.URL.Path, "/v1/promotion_codes/"), v)
	case "GET /v1/promotion_codes":
		return f.listPromos(v)
	}
	return http.StatusNotFound, stripeErr("invalid_request_error", "", "Unrecognized request URL ("+route+").", "")
}

func (f *fakeStripe) createCoupon(v url.Values) (int, any) {
	id := v.Get("id")
	if id == "" {
		f.seq++
		id = fmt.Sprintf("cpn%d", f.seq)
	}
	if _, ok := f.coupons[id]; ok {
		return http.StatusBadRequest, stripeErr("invalid_request_error", "resource_already_exists", "Coupon already exists.", "id")
	}
	c := cloneMap(f.tmplC)
	c["id"], c["name"], c["duration"], c["metadata"] = id, v.Get("name"), v.Get("duration"), map[string]any{}
	c["percent_off"], c["amount_off"], c["currency"] = nil, nil, nil
	switch {
	case v.Get("percent_off") != "":
		x, err := strconv.ParseFloat(v.Get("percent_off"), 64)
		if err != nil || x <= 0 || x > 100 {
			return http.StatusBadRequest, stripeErr("invalid_request_error", "parameter_invalid_float", "Invalid percent_off", "percent_off")
		}
		c["percent_off"] = x
	case v.Get("amount_off") != "":
		n, err := strconv.ParseInt(v.Get("amount_off"), 10, 64)
		if err != nil || n <= 0 {
			// "A positive integer representing the amount to subtract".
			return http.StatusBadRequest, stripeErr("invalid_request_error", "parameter_invalid_integer", "Invalid positive integer", "amount_off")
		}
		if v.Get("currency") == "" {
			return http.StatusBadRequest, stripeErr("invalid_request_error", "parameter_missing", "You must pass currency when passing amount_off", "currency")
		}
		c["amount_off"], c["currency"] = n, v.Get("currency")
	default:
		return http.StatusBadRequest, stripeErr("invalid_request_error", "parameter_missing", "Must provide either percent_off or amount_off.", "")
	}
	switch v.Get("duration") {
	case "once", "forever", "repeating":
	default:
		return http.StatusBadRequest, stripeErr("invalid_request_error", "parameter_invalid_empty", "Invalid duration", "duration")
	}
	f.coupons[id] = c
	return http.StatusOK, c
}

func (f *fakeStripe) createPromo(v url.Values) (int, any) {
	if v.Get("promotion[type]") == "" {
		return http.StatusBadRequest, stripeErr("invalid_request_error", "", "Request validation error: object property 'promotion' is required", "promotion")
	}
	cid := v.Get("promotion[coupon]")
	if _, ok := f.coupons[cid]; !ok {
		return http.StatusBadRequest, stripeErr("invalid_request_error", "resource_missing", "No such coupon: '"+cid+"'", "promotion[coupon]")
	}
	code := v.Get("code")
	for _, r := range code {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return http.StatusBadRequest, stripeErr("invalid_request_error", "parameter_invalid_string", "Promotion code can only contain letters, numbers and dashes.", "code")
		}
	}
	active := v.Get("active") != "false"
	if active && f.activeCode(code, "") {
		return http.StatusBadRequest, stripeErr("invalid_request_error", "", "An active promotion code with `code: "+code+"` already exists.", "code")
	}
	f.seq++
	p := cloneMap(f.tmplP)
	id := fmt.Sprintf("promo_fake%04d", f.seq)
	p["id"], p["code"], p["active"], p["metadata"] = id, code, active, map[string]any{}
	p["promotion"] = map[string]any{"type": "coupon", "coupon": cid}
	p["expires_at"], p["max_redemptions"] = nil, nil
	if s := v.Get("expires_at"); s != "" {
		n, _ := strconv.ParseInt(s, 10, 64)
		p["expires_at"] = n
	}
	if s := v.Get("max_redemptions"); s != "" {
		n, _ := strconv.ParseInt(s, 10, 64)
		p["max_redemptions"] = n
	}
	rs := map[string]any{"first_time_transaction": v.Get("restrictions[first_time_transaction]") == "true", "minimum_amount": nil, "minimum_amount_currency": nil}
	if s := v.Get("restrictions[minimum_amount]"); s != "" {
		n, _ := strconv.ParseInt(s, 10, 64)
		rs["minimum_amount"], rs["minimum_amount_currency"] = n, v.Get("restrictions[minimum_amount_currency]")
	}
	p["restrictions"] = rs
	f.promos[id] = p
	f.order = append(f.order, id)
	return http.StatusOK, f.render(p, v["expand[]"], "promotion.coupon")
}

func (f *fakeStripe) activeCode(code, except string) bool {
	for id, p := range f.promos {
		if id != except && p["active"] == true && strings.EqualFold(p["code"].(string), code) {
			return true
		}
	}
	return false
}

// render expands promotion.coupon when asked (prefix "" or "data.").
func (f *fakeStripe) render(p map[string]any, expand []string, path string) map[string]any {
	for _, e := range expand {
		if e == path {
			out := cloneMap(p)
			promo := out["promotion"].(map[string]any)
			promo["coupon"] = f.coupons[promo["coupon"].(string)]
			return out
		}
	}
	return p
}

func (f *fakeStripe) updatePromo(id string, v url.Values) (int, any) {
	p, ok := f.promos[id]
	if !ok {
		return http.StatusNotFound, stripeErr("invalid_request_error", "resource_missing", "No such promotion code: '"+id+"'", "id")
	}
	if s := v.Get("active"); s != "" {
		active := s == "true"
		if active && p["active"] != true && f.activeCode(p["code"].(string), id) {
			return http.StatusBadRequest, stripeErr("invalid_request_error", "", "An active promotion code with `code: "+p["code"].(string)+"` already exists.", "active")
		}
		p["active"] = active
	}
	return http.StatusOK, f.render(p, v["expand[]"], "promotion.coupon")
}

func (f *fakeStripe) listPromos(v url.Values) (int, any) {
	limit, _ := strconv.Atoi(v.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	ids := append([]string(nil), f.order...) // reversed: newest first
	for i, j := 0, len(ids)-1; i < j; i, j = i+1, j-1 {
		ids[i], ids[j] = ids[j], ids[i]
	}
	start := 0
	if after := v.Get("starting_after"); after != "" {
		for i, id := range ids {
			if id == after {
				start = i + 1
			}
		}
	}
	data := []map[string]any{}
	more := false
	for _, id := range ids[start:] {
		p := f.promos[id]
		if c := v.Get("code"); c != "" && !strings.EqualFold(p["code"].(string), c) {
			continue
		}
		if a := v.Get("active"); a != "" && fmt.Sprint(p["active"]) != a {
			continue
		}
		if len(data) == limit {
			more = true
			break
		}
		data = append(data, f.render(p, v["expand[]"], "data.promotion.coupon"))
	}
	return http.StatusOK, map[string]any{"object": "list", "url": "/v1/promotion_codes", "has_more": more, "data": data}
}

// count returns how many promotion codes have code, and how many of them
// are active.
func (f *fakeStripe) count(code string) (all, active int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.promos {
		if strings.EqualFold(p["code"].(string), code) {
			all++
			if p["active"] == true {
				active++
			}
		}
	}
	return all, active
}
