package click

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/heldsway/heldsway/connectors/checkout"
	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/eventtime"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/urlscrub"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// MaxBatch is the most clicks one POST /v1/clicks may carry.
const MaxBatch = 1000

// MaxBatchBytes is the largest POST /v1/clicks body (413 beyond), unless
// the server's limit is lower.
const MaxBatchBytes = 4 << 20

// BatchRequest is the body of POST /v1/clicks.
type BatchRequest struct {
	Clicks []ClickRequest `json:"clicks"`
}

// ClickRequest is one click reported by a server-side tracker.
type ClickRequest struct {
	// ID is the tracker's unique id for the click; the event id is
	// derived from it, so a retried batch is deduplicated downstream.
	ID string `json:"id"`
	// VisitorID is the hs_vid cookie value; Email (hashed here) is the
	// alternative when the tracker knows the customer but not the cookie.
	VisitorID string `json:"visitor_id"`
	Email     string `json:"email"`
	// Code or AffiliateID names whose link it was; a code must exist in
	// the registry and gives its affiliate.
	Code        string     `json:"code"`
	AffiliateID string     `json:"affiliate_id"`
	OccurredAt  *time.Time `json:"occurred_at"`
	IP          string     `json:"ip"`
	UserAgent   string     `json:"user_agent"`
	LandingURL  string     `json:"landing_url"`
	Referrer    string     `json:"referrer"`
	// PageType is landing, product, cart, checkout or other.
	PageType string `json:"page_type"`
}

// ItemError says why one click of a batch was refused.
type ItemError struct {
	Index int    `json:"index"`
	Error string `json:"error"`
}

var pageTypes = map[string]bool{"": true, "landing": true, "product": true, "cart": true, "checkout": true, "other": true}

func (t *Tracker) batch(w http.ResponseWriter, r *http.Request) {
	max := t.batchMax
	if max <= 0 {
		max = MaxBatchBytes
	}
	body, err := edge.ReadBody(w, r, max)
	if err != nil {
		return
	}
	var req BatchRequest
	if err := edge.DecodeJSON(body, &req); err != nil {
		edge.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(req.Clicks) == 0 {
		edge.WriteError(w, http.StatusBadRequest, "clicks: empty batch")
		return
	}
	if len(req.Clicks) > MaxBatch {
		edge.WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("clicks: %d in one batch, at most %d", len(req.Clicks), MaxBatch))
		return
	}
	now := t.clock()
	events := make([]publish.Event, 0, len(req.Clicks))
	ids := make([]string, 0, len(req.Clicks))
	var bad []ItemError
	for i := range req.Clicks {
		c, err := t.fromRequest(&req.Clicks[i], now)
		if err != nil {
			bad = append(bad, ItemError{Index: i, Error: err.Error()})
			continue
		}
		events = append(events, publish.Event{Topic: t.topics.Clicks, Key: c.VisitorID, Value: c})
		ids = append(ids, c.EventID)
	}
	if len(bad) > 0 {
		edge.WriteJSON(w, http.StatusBadRequest, map[string]any{
			"error": fmt.Sprintf("%d of %d clicks are invalid; nothing was accepted", len(bad), len(req.Clicks)),
			"items": bad,
		})
		return
	}
	if err := t.pub.Publish(r.Context(), events...); err != nil {
		w.Header().Set("Retry-After", "5")
		edge.WriteError(w, http.StatusServiceUnavailable, "clicks not stored: kafka unavailable, retry later")
		return
	}
	t.Stats.Recorded.Add(int64(len(events)))
	edge.WriteJSON(w, http.StatusAccepted, map[string]any{"status": "accepted", "event_ids": ids})
}

// fromRequest validates one reported click.
func (t *Tracker) fromRequest(in *ClickRequest, now time.Time) (*schemas.Click, error) {
	id := strings.TrimSpace(in.ID)
	if id == "" || len(id) > 128 {
		return nil, errors.New("id: required, at most 128 bytes")
	}
	key := ""
	switch {
	case in.VisitorID != "":
		if !identity.ValidVisitorID(in.VisitorID) {
			return nil, fmt.Errorf("visitor_id %q: not a HeldSway visitor id (the hs_vid cookie value)", in.VisitorID)
		}
		key = in.VisitorID
	case strings.TrimSpace(in.Email) != "":
		key = "e:" + t.hasher.Email(in.Email)
	default:
		return nil, errors.New("visitor_id or email is required")
	}
	c := &schemas.Click{
		EventID:   schemas.ID("api-click", id),
		ClickID:   id,
		VisitorID: key,
		Source:    "api",
	}
	switch {
	case in.Code != "":
		code, err := promocode.Normalize(in.Code)
		if err != nil {
			return nil, fmt.Errorf("code: %w", err)
		}
		entry, ok := t.codes.Get(code)
		if !ok {
			return nil, fmt.Errorf("code %q: not in the registry", code)
		}
		aff := entry.AffiliateID
		if in.AffiliateID != "" && in.AffiliateID != entry.AffiliateID {
			if !AllowedToPromote(entry, in.AffiliateID) {
				return nil, fmt.Errorf("affiliate_id %q: code %s belongs to %s and does not list it in allowed_affiliates", in.AffiliateID, code, entry.AffiliateID)
			}
			aff = in.AffiliateID
		}
		c.Code, c.AffiliateID = &code, &aff
	case in.AffiliateID != "":
		if len(in.AffiliateID) > 128 {
			return nil, errors.New("affiliate_id: longer than 128 bytes")
		}
		a := in.AffiliateID
		c.AffiliateID = &a
	default:
		return nil, errors.New("code or affiliate_id is required")
	}
	occurred := now
	if in.OccurredAt != nil {
		occurred = in.OccurredAt.UTC().Truncate(time.Millisecond)
		if err := eventtime.Check("occurred_at", occurred, now); err != nil {
			return nil, err
		}
	}
	if !pageTypes[in.PageType] {
		return nil, fmt.Errorf("page_type %q: want landing, product, cart, checkout or other", in.PageType)
	}
	// URLs are published without what may identify the visitor: query
	// parameters outside the allowlist, fragment, userinfo (urlscrub).
	urls := map[string]*string{"landing_url": &in.LandingURL, "referrer": &in.Referrer}
	for _, name := range []string{"landing_url", "referrer"} {
		v := urls[name]
		if len(*v) > maxURL {
			return nil, fmt.Errorf("%s: longer than %d bytes", name, maxURL)
		}
		s, err := urlscrub.Scrub(*v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		*v = s
	}
	c.OccurredAt, c.ReceivedAt = occurred, now
	c.LandingURL = checkout.Optional(in.LandingURL)
	c.Referrer = checkout.Optional(in.Referrer)
	c.PageType = checkout.Optional(in.PageType)
	c.UserAgent = checkout.Optional(truncate(in.UserAgent, 512))
	c.IPHash = checkout.Optional(t.hasher.IP(in.IP))
	r := &http.Request{Header: http.Header{"User-Agent": {in.UserAgent}}}
	c.IsBot, _ = Bot(r)
	if c.IsBot {
		_, reason := Bot(r)
		c.BotReason = &reason
	}
	return c, nil
}
