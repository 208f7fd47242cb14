package webhooktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/schemas"
)

// Request is one delivery a platform sends, before it is signed.
type Request struct {
	// Header names the event (topic, store); the suite adds the
	// signature.
	Header http.Header
	Body   []byte
	// At is when the request is received (and, for schemes that sign a
	// time, signed): near the payload's own time, which the platforms
	// check against the clock.
	At time.Time
}

// Platform is what the conformance suite needs of one platform.
type Platform struct {
	// New returns the platform under test, publishing to topics.
	New func(t testing.TB, topics schemas.Topics) webhook.Platform
	// Store is the store the requests come from; its Secret signs them.
	// The suite configures another store before it, whose secret must not
	// verify them.
	Store webhook.Store
	// Sign sets on h the signature of body under secret, made at at.
	Sign func(h http.Header, secret string, body []byte, at time.Time)
	// Tolerance is how far a signed time may be from the receive time; 0
	// when the scheme signs no time.
	Tolerance time.Duration
	// Usable is a delivery that publishes at least one order or refund.
	Usable Request
	// Unusable is a delivery whose content cannot be used (Parse fails
	// with webhook.ErrPayload).
	Unusable Request
	// Ignored is a delivery of an event HeldSway does not use.
	Ignored Request
}

// deadLetterTopic is where the suite's handlers dead-letter.
const deadLetterTopic = "test.dead-letter"

// decoy is a store configured before the one the requests come from.
var decoy = webhook.Store{ID: "decoy-store", Secret: "decoy-secret-0123456789"}

// Run checks p against the contract every webhook platform owes
// webhook.Handler. Run it from each platform's tests.
func Run(t *testing.T, p Platform) {
	topics := Topics(t)
	serve := func(t *testing.T, rec *Recorder, r Request, sign func(http.Header, []byte)) *httptest.ResponseRecorder {
		t.Helper()
		pl := p.New(t, topics)
		h := &webhook.Handler{
			Platform:        pl,
			Stores:          []webhook.Store{decoy, p.Store},
			Publisher:       rec,
			DeadLetterTopic: deadLetterTopic,
			Now:             func() time.Time { return r.At },
		}
		req := httptest.NewRequest(http.MethodPost, "/webhooks/"+pl.Name(), bytes.NewReader(r.Body))
		req.Header.Set("Content-Type", "application/json")
		for k, vs := range r.Header {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
		if sign != nil {
			sign(req.Header, r.Body)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	signed := func(secret string, at time.Time) func(http.Header, []byte) {
		return func(h http.Header, body []byte) { p.Sign(h, secret, body, at) }
	}
	name := p.New(t, topics).Name()

	t.Run("signed request is published", func(t *testing.T) {
		rec := &Recorder{}
		w := serve(t, rec, p.Usable, signed(p.Store.Secret, p.Usable.At))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d, want 200; body %s", w.Code, w.Body)
		}
		ids := checkPublished(t, name, p.Store.ID, topics, rec.Events())
		var resp struct {
			Status   string   `json:"status"`
			EventIDs []string `json:"event_ids"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.Status != "accepted" || !slices.Equal(resp.EventIDs, ids) {
			t.Fatalf("answer %s, want accepted with event ids %q (%v)", w.Body, ids, err)
		}
	})

	t.Run("redelivery is idempotent", func(t *testing.T) {
		first, again := &Recorder{}, &Recorder{}
		serve(t, first, p.Usable, signed(p.Store.Secret, p.Usable.At))
		later := p.Usable
		later.At = later.At.Add(time.Minute)
		// A platform retries with the same body; schemes that sign a time
		// sign the retry anew.
		if w := serve(t, again, later, signed(p.Store.Secret, later.At)); w.Code != http.StatusOK {
			t.Fatalf("redelivery: status %d; body %s", w.Code, w.Body)
		}
		a := checkPublished(t, name, p.Store.ID, topics, first.Events())
		b := checkPublished(t, name, p.Store.ID, topics, again.Events())
		if !slices.Equal(a, b) {
			t.Fatalf("event ids %q, then %q on redelivery", a, b)
		}
		for i, ev := range first.Events() {
			if ev2 := again.Events()[i]; ev.Topic != ev2.Topic || ev.Key != ev2.Key {
				t.Fatalf("event %d on %s keyed %q, then on %s keyed %q", i, ev.Topic, ev.Key, ev2.Topic, ev2.Key)
			}
		}
	})

	t.Run("store is the one whose secret verifies", func(t *testing.T) {
		// The headers may name another store: only the secret decides.
		rec := &Recorder{}
		w := serve(t, rec, p.Usable, signed(decoy.Secret, p.Usable.At))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d, want 200; body %s", w.Code, w.Body)
		}
		checkPublished(t, name, decoy.ID, topics, rec.Events())
	})

	refused := []struct {
		name string
		r    Request
		sign func(http.Header, []byte)
	}{
		{"wrong secret", p.Usable, signed("not-the-secret-0123456789", p.Usable.At)},
		{"no signature", p.Usable, nil},
		{"tampered body", Request{Header: p.Usable.Header, Body: append(slices.Clone(p.Usable.Body), ' '), At: p.Usable.At},
			func(h http.Header, _ []byte) { p.Sign(h, p.Store.Secret, p.Usable.Body, p.Usable.At) }},
	}
	if p.Tolerance > 0 {
		refused = append(refused, struct {
			name string
			r    Request
			sign func(http.Header, []byte)
		}{"signed outside the tolerance", p.Usable, signed(p.Store.Secret, p.Usable.At.Add(-p.Tolerance-time.Minute))})
	}
	for _, tt := range refused {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			rec := &Recorder{}
			w := serve(t, rec, tt.r, tt.sign)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401; body %s", w.Code, w.Body)
			}
			if evs := rec.Events(); len(evs) != 0 {
				t.Fatalf("published %d events for a refused request", len(evs))
			}
		})
	}

	deadLettered := []struct {
		name string
		r    Request
	}{
		{"unusable content", p.Unusable},
		{"invalid UTF-8", Request{Header: p.Usable.Header, Body: append(slices.Clone(p.Usable.Body), 0xff), At: p.Usable.At}},
	}
	for _, tt := range deadLettered {
		t.Run("dead-lettered: "+tt.name, func(t *testing.T) {
			var ids []string
			for range 2 { // a redelivery is the same dead letter
				rec := &Recorder{}
				w := serve(t, rec, tt.r, signed(p.Store.Secret, tt.r.At))
				if w.Code != http.StatusOK {
					t.Fatalf("status %d, want 200 once dead-lettered; body %s", w.Code, w.Body)
				}
				evs := rec.Events()
				if len(evs) != 1 || evs[0].Topic != deadLetterTopic {
					t.Fatalf("published %s, want one dead letter on %s", Dump(evs), deadLetterTopic)
				}
				dl, ok := evs[0].Value.(*schemas.DeadLetter)
				if !ok {
					t.Fatalf("published %T, want *schemas.DeadLetter", evs[0].Value)
				}
				if !bytes.Equal(dl.Value, tt.r.Body) || dl.Source != "webhook/"+name || dl.EventID == "" ||
					!strings.Contains(dl.Reason, webhook.ErrPayload.Error()) {
					t.Fatalf("dead letter %+v: want the raw body, source webhook/%s and a reason wrapping %q", dl, name, webhook.ErrPayload)
				}
				var resp struct {
					Status  string `json:"status"`
					Reason  string `json:"reason"`
					EventID string `json:"event_id"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.Status != "dead_lettered" || resp.EventID != dl.EventID || resp.Reason == "" {
					t.Fatalf("answer %s, want dead_lettered with a reason and event id %s (%v)", w.Body, dl.EventID, err)
				}
				ids = append(ids, dl.EventID)
			}
			if ids[0] != ids[1] {
				t.Fatalf("dead letter ids %q and %q for one body", ids[0], ids[1])
			}
		})
	}

	t.Run("unused event answered 202", func(t *testing.T) {
		rec := &Recorder{}
		w := serve(t, rec, p.Ignored, signed(p.Store.Secret, p.Ignored.At))
		if w.Code != http.StatusAccepted || !strings.Contains(w.Body.String(), `"status":"ignored"`) {
			t.Fatalf("status %d, want 202 ignored; body %s", w.Code, w.Body)
		}
		if evs := rec.Events(); len(evs) != 0 {
			t.Fatalf("published %s for an unused event", Dump(evs))
		}
	})

	t.Run("kafka down answered 503", func(t *testing.T) {
		rec := &Recorder{Err: errors.Join(publish.ErrUnavailable, errors.New("no broker"))}
		w := serve(t, rec, p.Usable, signed(p.Store.Secret, p.Usable.At))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After so the platform delivers again", w.Code, w.Header().Get("Retry-After"))
		}
	})
}

// checkPublished checks every published event is an order on
// topics.Orders or a refund on topics.Refunds of platform and store, with
// an event id and a key, and returns their event ids.
func checkPublished(t *testing.T, platform, store string, topics schemas.Topics, evs []publish.Event) []string {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("published nothing")
	}
	ids := make([]string, 0, len(evs))
	for i, ev := range evs {
		var id, plat, st, topic string
		switch v := ev.Value.(type) {
		case *schemas.Order:
			id, plat, st, topic = v.EventID, v.Platform, v.StoreID, topics.Orders
			if ev.Key != v.Customer.Key {
				t.Fatalf("event %d: order keyed %q, its customer key is %q", i, ev.Key, v.Customer.Key)
			}
		case *schemas.Refund:
			id, plat, st, topic = v.EventID, v.Platform, v.StoreID, topics.Refunds
			if want := schemas.OrderRef(v.Platform, v.StoreID, v.OrderID); ev.Key != want {
				t.Fatalf("event %d: refund keyed %q, want its order %q", i, ev.Key, want)
			}
		default:
			t.Fatalf("event %d: published %T, want an order or a refund", i, ev.Value)
		}
		if id == "" || plat != platform || st != store || ev.Topic != topic {
			t.Fatalf("event %d: id %q platform %q store %q on %q; want an id, %q, %q, on %q", i, id, plat, st, ev.Topic, platform, store, topic)
		}
		ids = append(ids, id)
	}
	return ids
}
