package codeadmin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/codes/csvfile"
	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// Mux is where handlers are mounted: *edge.Server or *http.ServeMux.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Handlers serve the registry. Registry is required; without Writer the
// API is read-only and writes answer 503.
type Handlers struct {
	Registry registry.Lookup
	Writer   *registry.Writer
	// Platforms the program syncs to; imports check codes against them
	// (see csvfile.ImportOptions.Platforms) besides those a request names.
	Platforms []string
	// MaxImportBytes caps an import body. Default 64 MiB (about 400,000
	// rows).
	MaxImportBytes int64
	// MaxBodyBytes caps other request bodies. Default 1 MiB.
	MaxBodyBytes int64
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives the handlers' logs. Default zap.NewNop().
	Logger *zap.Logger
}

// Register mounts the API on m behind the bearer token.
func (h *Handlers) Register(m Mux, token string) {
	route := func(pattern string, f http.HandlerFunc) { m.Handle(pattern, edge.RequireBearer(token, f)) }
	route("GET /v1/codes", h.list)
	route("GET /v1/codes/export", h.export)
	route("POST /v1/codes/import", h.importCSV)
	route("POST /v1/codes/generate", h.generate)
	route("POST /v1/codes/deactivate", h.deactivate)
	route("POST /v1/codes/expire", h.expire)
	route("GET /v1/codes/{code...}", h.get)
	route("PUT /v1/codes/{code...}", h.put)
	route("DELETE /v1/codes/{code...}", h.delete)
}

func (h *Handlers) log() *zap.Logger {
	if h.Logger == nil {
		return zap.NewNop()
	}
	return h.Logger
}

func (h *Handlers) maxBody() int64 {
	if h.MaxBodyBytes > 0 {
		return h.MaxBodyBytes
	}
	return 1 << 20
}

func filterOf(r *http.Request) registry.Filter {
	q := r.URL.Query()
	return registry.Filter{Affiliate: q.Get("affiliate"), Coupon: q.Get("coupon"), Status: q.Get("status"), Platform: q.Get("platform"), Prefix: q.Get("prefix")}
}

func flag(r *http.Request, name string) bool {
	v := strings.ToLower(r.URL.Query().Get(name))
	return v == "1" || v == "true" || v == "yes"
}

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) {
	sel := registry.Select(h.Registry, filterOf(r))
	out := make([]csvfile.Entry, len(sel))
	for i := range sel {
		out[i] = csvfile.EntryOf(&sel[i])
	}
	edge.WriteJSON(w, http.StatusOK, map[string]any{"count": len(out), "codes": out})
}

func (h *Handlers) export(w http.ResponseWriter, r *http.Request) {
	sel := registry.Select(h.Registry, filterOf(r))
	var buf bytes.Buffer
	if err := csvfile.WriteCSV(&buf, sel); err != nil {
		edge.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="codes.csv"`)
	_, _ = w.Write(buf.Bytes())
}

// writer answers 503 and returns nil when the API is read-only.
func (h *Handlers) writer(w http.ResponseWriter) *registry.Writer {
	if h.Writer == nil {
		edge.WriteError(w, http.StatusServiceUnavailable, "the code registry is read-only here")
	}
	return h.Writer
}

func (h *Handlers) importOptions(r *http.Request) (csvfile.ImportOptions, error) {
	q := r.URL.Query()
	opts := csvfile.ImportOptions{
		Atomic:                 flag(r, "atomic"),
		DryRun:                 flag(r, "dry_run"),
		RequireKnownAffiliates: flag(r, "require_known_affiliates"),
		AllowReassign:          flag(r, "allow_reassign"),
		Platforms:              append(append([]string{}, h.Platforms...), q["platform"]...),
		Now:                    h.Now,
	}
	if rule := q.Get("rule"); rule != "" {
		rl, err := csvfile.ParseRule(rule)
		if err != nil {
			return opts, err
		}
		opts.Rule = rl
	}
	return opts, opts.Validate()
}

func (h *Handlers) importCSV(w http.ResponseWriter, r *http.Request) {
	opts, err := h.importOptions(r)
	if err != nil {
		edge.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	max := h.MaxImportBytes
	if max <= 0 {
		max = 64 << 20
	}
	body, err := edge.ReadBody(w, r, max)
	if err != nil {
		return
	}
	var cw *registry.Writer
	if !opts.DryRun {
		if cw = h.writer(w); cw == nil {
			return
		}
	}
	rep, err := csvfile.Import(r.Context(), bytes.NewReader(body), h.Registry, cw, opts)
	h.answerReport(w, rep, err)
}

func (h *Handlers) answerReport(w http.ResponseWriter, rep *csvfile.Report, err error) {
	switch {
	case errors.Is(err, csvfile.ErrFormat):
		edge.WriteError(w, http.StatusBadRequest, err.Error())
	case err != nil && rep == nil:
		edge.WriteError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		h.log().Warn("writing codes", zap.Error(err))
		edge.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"error": err.Error(), "report": rep})
	case !rep.OK():
		edge.WriteJSON(w, http.StatusUnprocessableEntity, rep)
	default:
		edge.WriteJSON(w, http.StatusOK, rep)
	}
}

// GenerateRequest is the body of POST /v1/codes/generate.
type GenerateRequest struct {
	// Rule is the naming template (see csvfile.Rule), e.g. "{first}{discount}".
	Rule       string            `json:"rule"`
	Affiliates []AffiliateInput  `json:"affiliates"`
	Defaults   map[string]string `json:"defaults,omitempty"`
	Platforms  []string          `json:"platforms,omitempty"`
	DryRun     bool              `json:"dry_run,omitempty"`
	Atomic     bool              `json:"atomic,omitempty"`
}

// AffiliateInput names an affiliate to generate a code for.
type AffiliateInput struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

func (h *Handlers) generate(w http.ResponseWriter, r *http.Request) {
	var req GenerateRequest
	if !h.decode(w, r, &req) {
		return
	}
	rule, err := csvfile.ParseRule(req.Rule)
	if err != nil {
		edge.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(req.Affiliates) == 0 {
		edge.WriteError(w, http.StatusBadRequest, "affiliates: at least one is required")
		return
	}
	rows := make([]map[string]string, len(req.Affiliates))
	for i, a := range req.Affiliates {
		rows[i] = map[string]string{"affiliate_id": a.ID, "affiliate_name": a.Name, "affiliate_email": a.Email}
	}
	sheet, err := csvfile.SheetOf(rows...)
	if err != nil {
		edge.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	opts := csvfile.ImportOptions{
		Atomic: req.Atomic, DryRun: req.DryRun, Rule: rule, Defaults: req.Defaults, Results: true,
		Platforms: append(append([]string{}, h.Platforms...), req.Platforms...), Now: h.Now,
	}
	if err := opts.Validate(); err != nil {
		edge.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	var cw *registry.Writer
	if !opts.DryRun {
		if cw = h.writer(w); cw == nil {
			return
		}
	}
	rep, err := csvfile.Apply(r.Context(), sheet, h.Registry, cw, opts)
	h.answerReport(w, rep, err)
}

// BulkResult is the answer of deactivate and expire.
type BulkResult struct {
	DryRun  bool     `json:"dry_run"`
	Changed int      `json:"changed"`
	Codes   []string `json:"codes"`
	// Conflicts are codes changed by someone else meanwhile; run again.
	Conflicts []string `json:"conflicts,omitempty"`
}

func (h *Handlers) deactivate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AffiliateID string `json:"affiliate_id"`
	}
	if !h.decode(w, r, &req) {
		return
	}
	if strings.TrimSpace(req.AffiliateID) == "" {
		edge.WriteError(w, http.StatusBadRequest, "affiliate_id is required")
		return
	}
	h.bulk(w, r, registry.Deactivate(h.Registry, req.AffiliateID))
}

func (h *Handlers) expire(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Before string `json:"before"`
	}
	if !h.decode(w, r, &req) {
		return
	}
	before, err := csvfile.ParseTime(req.Before, false)
	if err != nil {
		edge.WriteError(w, http.StatusBadRequest, "before: "+err.Error())
		return
	}
	h.bulk(w, r, registry.Expire(h.Registry, before))
}

func (h *Handlers) bulk(w http.ResponseWriter, r *http.Request, changes []registry.Change) {
	res := BulkResult{DryRun: flag(r, "dry_run"), Codes: []string{}}
	for _, c := range changes {
		res.Codes = append(res.Codes, c.Code)
	}
	if !res.DryRun && len(changes) > 0 {
		cw := h.writer(w)
		if cw == nil {
			return
		}
		ar, err := cw.Apply(r.Context(), changes, registry.ApplyOptions{})
		if err != nil {
			edge.WriteError(w, http.StatusServiceUnavailable, err.Error())
			return
		}
		for _, c := range ar.Conflicts {
			res.Conflicts = append(res.Conflicts, c.Code)
		}
		res.Changed = ar.Written
	} else {
		res.Changed = len(changes)
	}
	edge.WriteJSON(w, http.StatusOK, res)
}

func (h *Handlers) lookup(w http.ResponseWriter, r *http.Request) (string, bool) {
	code, err := promocode.Normalize(r.PathValue("code"))
	if err != nil {
		edge.WriteError(w, http.StatusBadRequest, err.Error())
		return "", false
	}
	return code, true
}

func (h *Handlers) get(w http.ResponseWriter, r *http.Request) {
	code, ok := h.lookup(w, r)
	if !ok {
		return
	}
	c, found := h.Registry.Get(code)
	if !found {
		edge.WriteError(w, http.StatusNotFound, fmt.Sprintf("code %s not found", code))
		return
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(c.Version, 10)))
	edge.WriteJSON(w, http.StatusOK, csvfile.EntryOf(&c))
}

// ifMatch returns the version of an If-Match header or a ?version= query.
func ifMatch(r *http.Request) (int64, bool, error) {
	v := strings.Trim(strings.TrimPrefix(r.Header.Get("If-Match"), "W/"), `"`)
	if v == "" {
		v = r.URL.Query().Get("version")
	}
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false, fmt.Errorf("version %q: want a non-negative integer", v)
	}
	return n, true, nil
}

func (h *Handlers) put(w http.ResponseWriter, r *http.Request) {
	code, ok := h.lookup(w, r)
	if !ok {
		return
	}
	body, err := edge.ReadBody(w, r, h.maxBody())
	if err != nil {
		return
	}
	vals, version, hasVersion, err := cellsOf(body)
	if err != nil {
		edge.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	if v, has, err := ifMatch(r); err != nil {
		edge.WriteError(w, http.StatusBadRequest, err.Error())
		return
	} else if has {
		version, hasVersion = v, true
	}
	if given, ok := vals["code"]; ok && given != "" {
		if n, err := promocode.Normalize(given); err != nil || n != code {
			edge.WriteError(w, http.StatusBadRequest, fmt.Sprintf("code %q in the body does not match %s in the path", given, code))
			return
		}
	}
	existing, exists := h.Registry.Get(code)
	if vals["code"] == "" {
		vals["code"] = r.PathValue("code")
		if exists {
			vals["code"] = existing.DisplayCode // keep the code as issued
		}
	}
	if hasVersion && (exists && existing.Version != version || !exists && version != 0) {
		have := int64(0)
		if exists {
			have = existing.Version
		}
		edge.WriteError(w, http.StatusConflict, registry.Conflict{Code: code, Base: version, Have: have}.Error())
		return
	}
	if !exists && vals["affiliate_id"] == "" {
		edge.WriteError(w, http.StatusUnprocessableEntity, "affiliate_id: required to create a code")
		return
	}
	if exists {
		if _, ok := vals["affiliate_id"]; !ok {
			vals["affiliate_id"] = existing.AffiliateID
		}
	}
	sheet, err := csvfile.SheetOf(vals)
	if err != nil {
		edge.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	opts := csvfile.ImportOptions{Atomic: true, Platforms: h.Platforms, AllowReassign: flag(r, "allow_reassign"), Now: h.Now}
	changes, _, rep := csvfile.Plan(h.Registry, sheet, opts)
	if !rep.OK() {
		edge.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "invalid code", "errors": rep.Errors})
		return
	}
	if len(changes) == 0 { // unchanged
		edge.WriteJSON(w, http.StatusOK, csvfile.EntryOf(&existing))
		return
	}
	cw := h.writer(w)
	if cw == nil {
		return
	}
	saved, err := cw.Put(r.Context(), *changes[0].Value, changes[0].Base)
	if h.writeErr(w, err) {
		return
	}
	status := http.StatusOK
	if !exists {
		status = http.StatusCreated
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(saved.Version, 10)))
	edge.WriteJSON(w, status, csvfile.EntryOf(&saved))
}

func (h *Handlers) delete(w http.ResponseWriter, r *http.Request) {
	code, ok := h.lookup(w, r)
	if !ok {
		return
	}
	version, has, err := ifMatch(r)
	if err != nil {
		edge.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !has {
		version = registry.AnyVersion
	}
	cw := h.writer(w)
	if cw == nil {
		return
	}
	if h.writeErr(w, cw.Delete(r.Context(), code, version)) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writeErr answers err, if any, and reports whether it did.
func (h *Handlers) writeErr(w http.ResponseWriter, err error) bool {
	var inv *registry.InvalidError
	switch {
	case err == nil:
		return false
	case errors.Is(err, registry.ErrNotFound):
		edge.WriteError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, registry.ErrConflict):
		edge.WriteError(w, http.StatusConflict, err.Error())
	case errors.As(err, &inv):
		edge.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "invalid code", "errors": inv.Fields})
	default:
		h.log().Warn("writing code", zap.Error(err))
		edge.WriteError(w, http.StatusServiceUnavailable, err.Error())
	}
	return true
}

func (h *Handlers) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := edge.ReadBody(w, r, h.maxBody())
	if err != nil {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		edge.WriteError(w, http.StatusBadRequest, "decoding body: "+err.Error())
		return false
	}
	return true
}

// cellsOf turns a JSON object into cell values by column name: strings as
// they are, numbers in their JSON text, booleans as true/false, null as
// empty, lists (allowed_affiliates) joined with ';'. "version" is the base
// version.
func cellsOf(body []byte) (map[string]string, int64, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, 0, false, fmt.Errorf("decoding body: want a JSON object: %w", err)
	}
	out := make(map[string]string, len(m))
	var version int64
	hasVersion := false
	for k, v := range m {
		switch k {
		case "display_code":
			// An Entry sent back: the code as issued is the code cell.
			if d, ok := v.(string); ok && d != "" {
				out["code"] = d
			}
			continue
		case "platforms", "event_id", "updated_at":
			continue // read-only fields of an Entry sent back
		}
		if _, ok := out["code"]; ok && k == "code" {
			continue
		}
		if k == "version" {
			n, ok := v.(json.Number)
			i, err := n.Int64()
			if !ok || err != nil || i < 0 {
				return nil, 0, false, fmt.Errorf("version: want a non-negative integer")
			}
			version, hasVersion = i, true
			continue
		}
		s, err := cellText(v)
		if err != nil {
			return nil, 0, false, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = s
	}
	return out, version, hasVersion, nil
}

func cellText(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return "", errors.New("want a list of strings")
			}
			parts[i] = s
		}
		return strings.Join(parts, ";"), nil
	}
	return "", errors.New("want a string, number, boolean or null")
}
