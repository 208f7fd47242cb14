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

const paddleKey = "pdl_sdbx_apikey_test"

// fakePaddle implements the Paddle Billing discounts contract in memory:
// Bearer auth, JSON bodies, {"data": ..., "meta": {"request_id",
// "pagination"}} envelopes, request_error bodies with per-field errors,
// codes of letters and digits up to 32 and unique regardless of case, the
// default list filter status=active, and PATCH partial updates.
type fakePaddle struct {
	fake
	pageSize  int
	seq       int
	discounts map[string]map[string]any
	template  map[string]any
}

func newFakePaddle(t *testing.T) *fakePaddle {
	f := &fakePaddle{pageSize: 200, discounts: map[string]map[string]any{}}
	f.template = fixture(t, "paddle", "api_discount.response.json")["data"].(map[string]any)
	f.errorBody = func(status int, msg string) any {
		code := "internal_error"
		if status == http.StatusTooManyRequests {
			code = "too_many_requests"
		}
		return paddleErr(code, msg)
	}
	f.start(t, f.handle)
	return f
}

func paddleErr(code, detail string, fields ...string) map[string]any {
	e := map[string]any{"type": "request_error", "code": code, "detail": detail, "documentation_url": "https://developer.paddle.com/errors/shared/" + code}
	var errs []map[string]string
	for i := 0; i+1 < len(fields); i += 2 {
		errs = append(errs, map[string]string{"field": fields[i], "message": fields[i+1]})
	}
	if errs != nil {
		e["errors"] = errs
	}
	return map[string]any{"error": e, "meta": map[string]any{"request_id": "req-fake"}}
}

func (f *fakePaddle) handle(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+paddleKey {
		writeJSON(w, http.StatusForbidden, paddleErr("forbidden", "You aren't permitted to perform this request."))
		return
	}
	switch {
	case r.URL.Path == "/discounts" && r.Method == http.MethodGet:
		f.list(w, r)
	case r.URL.Path == "/discounts" && r.Method == http.MethodPost:
		f.create(w, r)
	case strings.HasPrefix(r.URL.Path, "/discounts/"):
		d, ok := f.discounts[strings.TrimPrefix(r.URL.Path, "/discounts/")]
		if !ok {
			writeJSON(w, http.StatusNotFound, paddleErr("not_found", "Entity not found"))
			return
		}
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, map[string]any{"data": d, "meta": map[string]any{"request_id": "req-fake"}})
		case http.MethodPatch:
			f.patch(w, r, d)
		default:
			writeJSON(w, http.StatusMethodNotAllowed, paddleErr("method_not_allowed", "Method not allowed"))
		}
	default:
		writeJSON(w, http.StatusNotFound, paddleErr("not_found", "Entity not found"))
	}
}

func (f *fakePaddle) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	statuses := strings.Split(q.Get("status"), ",")
	if q.Get("status") == "" {
		statuses = []string{"active"}
	}
	var codesWanted []string
	if c := q.Get("code"); c != "" {
		codesWanted = strings.Split(c, ",")
	}
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 || per > f.pageSize {
		per = f.pageSize
	}
	ids := make([]string, 0, len(f.discounts))
	for id := range f.discounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	after := q.Get("after")
	data := []map[string]any{}
	more := false
	for _, id := range ids {
		if after != "" && id <= after {
			continue
		}
		d := f.discounts[id]
		if !inList(statuses, d["status"].(string)) {
			continue
		}
		if codesWanted != nil {
			c, _ := d["code"].(string)
			match := false
			for _, w := range codesWanted {
				match = match || strings.EqualFold(w, c)
			}
			if !match {
				continue
			}
		}
		if len(data) == per {
			more = true
			break
		}
		data = append(data, d)
	}
	next := ""
	if len(data) > 0 {
		next = fmt.Sprintf("%s/discounts?after=%s&per_page=%d&status=%s", f.srv.URL, data[len(data)-1]["id"], per, strings.Join(statuses, ","))
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"request_id": "req-fake", "pagination": map[string]any{"per_page": per, "next": next, "has_more": more, "estimated_total": len(data)}}})
}

func inList(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// apply validates fields onto d; it returns a 400 body when invalid.
func (f *fakePaddle) apply(d, fields map[string]any, except string) map[string]any {
	for k, v := range fields {
		switch k {
		case "code":
			if v == nil {
				d[k] = nil
				continue
			}
			s, _ := v.(string)
			if len(s) > 32 || strings.IndexFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) >= 0 {
				return paddleErr("bad_request", "Invalid request.", "code", "must only contain letters and numbers, and be at most 32 characters")
			}
			for id, o := range f.discounts {
				if c, _ := o["code"].(string); id != except && strings.EqualFold(c, s) {
					return paddleErr("discount_code_conflict", "Discount code "+s+" is already in use.", "code", "must be unique")
				}
			}
			d[k] = s
		case "type":
			s, _ := v.(string)
			if !inList([]string{"percentage", "flat", "flat_per_seat"}, s) {
				return paddleErr("bad_request", "Invalid request.", "type", "must be one of percentage, flat, flat_per_seat")
			}
			d[k] = s
		case "amount":
			s, ok := v.(string)
			if _, err := strconv.ParseFloat(s, 64); !ok || err != nil {
				return paddleErr("bad_request", "Invalid request.", "amount", "must be a string holding a number")
			}
			d[k] = s
		case "status":
			s, _ := v.(string)
			if !inList([]string{"active", "archived"}, s) {
				return paddleErr("bad_request", "Invalid request.", "status", "must be one of active, archived")
			}
			d[k] = s
		case "expires_at":
			if v == nil {
				d[k] = nil
				continue
			}
			s, _ := v.(string)
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				return paddleErr("bad_request", "Invalid request.", "expires_at", "must be an RFC 3339 date-time")
			}
			d[k] = s
		case "usage_limit", "maximum_recurring_intervals":
			d[k] = v
		case "description", "enabled_for_checkout", "recur", "currency_code", "mode", "custom_data", "restrict_to", "discount_group_id":
			d[k] = v
		default:
			return paddleErr("bad_request", "Invalid request.", k, "is not a known field")
		}
	}
	if d["type"] == "percentage" {
		if x, _ := strconv.ParseFloat(fmt.Sprint(d["amount"]), 64); x < 0.01 || x > 100 {
			return paddleErr("bad_request", "Invalid request.", "amount", "must be between 0.01 and 100 for percentage discounts")
		}
	} else if c, _ := d["currency_code"].(string); c == "" {
		return paddleErr("bad_request", "Invalid request.", "currency_code", "is required for flat discounts")
	} else if x, _ := strconv.ParseFloat(fmt.Sprint(d["amount"]), 64); x <= 0 {
		return paddleErr("bad_request", "Invalid request.", "amount", "must be a positive amount in the lowest denomination")
	}
	return nil
}

func (f *fakePaddle) create(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, paddleErr("bad_request", "Invalid JSON."))
		return
	}
	for _, req := range []string{"description", "type", "amount"} {
		if _, ok := body[req]; !ok {
			writeJSON(w, http.StatusBadRequest, paddleErr("bad_request", "Invalid request.", req, "is required"))
			return
		}
	}
	d := cloneMap(f.template)
	for k, v := range map[string]any{"code": nil, "currency_code": nil, "usage_limit": nil, "expires_at": nil, "restrict_to": nil, "custom_data": nil, "recur": false, "maximum_recurring_intervals": nil, "times_used": 0, "status": "active"} {
		d[k] = v
	}
	if e := f.apply(d, body, ""); e != nil {
		writeJSON(w, http.StatusBadRequest, e)
		return
	}
	f.seq++
	id := fmt.Sprintf("dsc_fake%04d", f.seq)
	d["id"] = id
	f.discounts[id] = d
	if f.lostCreate() {
		f.fail(w, http.StatusInternalServerError, "An unexpected error occurred")
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"data": d, "meta": map[string]any{"request_id": "req-fake"}})
}

func (f *fakePaddle) patch(w http.ResponseWriter, r *http.Request, d map[string]any) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, paddleErr("bad_request", "Invalid JSON."))
		return
	}
	next := cloneMap(d)
	if e := f.apply(next, body, d["id"].(string)); e != nil {
		writeJSON(w, http.StatusBadRequest, e)
		return
	}
	f.discounts[d["id"].(string)] = next
	writeJSON(w, http.StatusOK, map[string]any{"data": next, "meta": map[string]any{"request_id": "req-fake"}})
}

// seed adds a discount directly (fields over the SDK's example discount).
func (f *fakePaddle) seed(fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := cloneMap(f.template)
	for k, v := range fields {
		d[k] = v
	}
	f.seq++
	d["id"] = fmt.Sprintf("dsc_fake%04d", f.seq)
	f.discounts[d["id"].(string)] = d
}

func (f *fakePaddle) count(code string) (all, active int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.discounts {
		if c, _ := d["code"].(string); strings.EqualFold(c, code) {
			all++
			if d["status"] == "active" {
				active++
			}
		}
	}
	return all, active
}
