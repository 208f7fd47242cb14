package webhooktest

import (
	"bytes"
	"context"
	"encoding/json"
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
	// Refund is a delivery that publishes at least one refund; its body
	// nil when the platform has none to test.
	Refund Request
	// Unusable is a delivery whose content cannot be used (Parse fails
	// with webhook.ErrPayload).
	Unusable Request
	// Ignored is a delivery of an event HeldSway does not use.
	Ignored Request
}

// decoy is a store configured before the one the requests come from.
var decoy = webhook.Store{ID: "decoy-store", Secret: "decoy-secret-0123456789"}

// Run checks p against the contract every webhook platform owes
// webhook.Handler, through the path production takes: the handler
// publishes with a publish.Publisher on a kgo client to the embedded
// broker (pipeline/broker) over TCP, and each case reads back and decodes
// the Avro records that landed on its own topics. One broker serves the
// whole run; the last case stops it. Run it from each platform's tests.
func Run(t *testing.T, p Platform) {
	kc := startCluster(t)
	serve := func(t *testing.T, topics schemas.Topics, pub webhook.Publisher, r Request, sign func(http.Header, []byte)) *httptest.ResponseRecorder {
		t.Helper()
		pl := p.New(t, topics)
		h := &webhook.Handler{
			Platform:        pl,
			Stores:          []webhook.Store{decoy, p.Store},
			Publisher:       pub,
			DeadLetterTopic: topics.DeadLetter,
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
	name := p.New(t, Topics(t)).Name()

	type deliveryCase struct {
		name   string
		r      Request
		refund bool // a refund must be among what lands
	}
	published := []deliveryCase{{"signed request is published", p.Usable, false}}
	if p.Refund.Body != nil {
		published = append(published, deliveryCase{"signed refund is published", p.Refund, true})
	}
	for _, tt := range published {
		t.Run(tt.name, func(t *testing.T) {
			topics := kc.newTopics(t, true)
			w := serve(t, topics, kc.pub, tt.r, signed(p.Store.Secret, tt.r.At))
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, want 200; body %s", w.Code, w.Body)
			}
			// Read right after the answer: what it acknowledged is in
			// Kafka, as the platform's Parse made it (through Avro).
			got := kc.landed(t, topics)
			ids := checkPublished(t, name, p.Store.ID, topics, got)
			JSONEqual(t, got, kc.parsed(t, p.New(t, topics), p.Store, tt.r))
			if tt.refund && !slices.ContainsFunc(got, func(ev publish.Event) bool { _, ok := ev.Value.(*schemas.Refund); return ok }) {
				t.Fatalf("landed %s, want a refund", Dump(got))
			}
			var resp struct {
				Status   string   `json:"status"`
				EventIDs []string `json:"event_ids"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.Status != "accepted" || !slices.Equal(resp.EventIDs, ids) {
				t.Fatalf("answer %s, want accepted with event ids %q (%v)", w.Body, ids, err)
			}
		})
	}

	t.Run("redelivery is idempotent", func(t *testing.T) {
		topics := kc.newTopics(t, true)
		if w := serve(t, topics, kc.pub, p.Usable, signed(p.Store.Secret, p.Usable.At)); w.Code != http.StatusOK {
			t.Fatalf("delivery: status %d; body %s", w.Code, w.Body)
		}
		first := kc.landed(t, topics)
		later := p.Usable
		later.At = later.At.Add(time.Minute)
		// A platform retries with the same body; schemes that sign a time
		// sign the retry anew.
		if w := serve(t, topics, kc.pub, later, signed(p.Store.Secret, later.At)); w.Code != http.StatusOK {
			t.Fatalf("redelivery: status %d; body %s", w.Code, w.Body)
		}
		all := kc.landed(t, topics)
		if len(all) != 2*len(first) {
			t.Fatalf("%d records after the delivery, %d after the redelivery; want it published again", len(first), len(all))
		}
		// Both land (Kafka keeps both) with one event id, on one topic
		// with one key: downstream keeps the first.
		checkPublished(t, name, p.Store.ID, topics, all)
		byID := map[string][]publish.Event{}
		for _, ev := range all {
			byID[eventID(ev.Value)] = append(byID[eventID(ev.Value)], ev)
		}
		for id, evs := range byID {
			if len(evs) != 2 || evs[0].Topic != evs[1].Topic || evs[0].Key != evs[1].Key {
				t.Fatalf("event %s: %s; want the delivery and the redelivery on one topic with one key", id, Dump(evs))
			}
		}
	})

	t.Run("store is the one whose secret verifies", func(t *testing.T) {
		// The headers may name another store: only the secret decides.
		topics := kc.newTopics(t, true)
		w := serve(t, topics, kc.pub, p.Usable, signed(decoy.Secret, p.Usable.At))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d, want 200; body %s", w.Code, w.Body)
		}
		checkPublished(t, name, decoy.ID, topics, kc.landed(t, topics))
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
			topics := kc.newTopics(t, true)
			w := serve(t, topics, kc.pub, tt.r, tt.sign)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401; body %s", w.Code, w.Body)
			}
			if evs := kc.landed(t, topics); len(evs) != 0 {
				t.Fatalf("%s landed in Kafka for a refused request", Dump(evs))
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
			topics := kc.newTopics(t, true)
			var ids []string
			for i := range 2 { // a redelivery is the same dead letter
				w := serve(t, topics, kc.pub, tt.r, signed(p.Store.Secret, tt.r.At))
				if w.Code != http.StatusOK {
					t.Fatalf("status %d, want 200 once dead-lettered; body %s", w.Code, w.Body)
				}
				evs := kc.landed(t, topics)
				if len(evs) != i+1 || evs[i].Topic != topics.DeadLetter {
					t.Fatalf("landed %s after delivery %d, want one more dead letter on %s", Dump(evs), i+1, topics.DeadLetter)
				}
				dl, ok := evs[i].Value.(*schemas.DeadLetter)
				if !ok {
					t.Fatalf("landed %T, want *schemas.DeadLetter", evs[i].Value)
				}
				if !bytes.Equal(dl.Value, tt.r.Body) || dl.Source != "webhook/"+name || dl.EventID == "" || evs[i].Key != p.Store.ID ||
					!strings.Contains(dl.Reason, webhook.ErrPayload.Error()) {
					t.Fatalf("dead letter keyed %q %+v: want the raw body, source webhook/%s, key %s and a reason wrapping %q",
						evs[i].Key, dl, name, p.Store.ID, webhook.ErrPayload)
				}
				var resp struct {
					Status  string `json:"status"`
					Reason  string `json:"reason"`
					EventID string `json:"event_id"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.Status != "dead_lettered" || resp.EventID != dl.EventID ||
					resp.Reason == "" || !strings.Contains(dl.Reason, resp.Reason) {
					t.Fatalf("answer %s, want dead_lettered with the dead letter's reason (%q) and event id %s (%v)", w.Body, dl.Reason, dl.EventID, err)
				}
				ids = append(ids, dl.EventID)
			}
			if ids[0] != ids[1] {
				t.Fatalf("dead letter ids %q and %q for one body", ids[0], ids[1])
			}
		})
	}

	t.Run("unused event answered 202", func(t *testing.T) {
		topics := kc.newTopics(t, true)
		w := serve(t, topics, kc.pub, p.Ignored, signed(p.Store.Secret, p.Ignored.At))
		if w.Code != http.StatusAccepted || !strings.Contains(w.Body.String(), `"status":"ignored"`) {
			t.Fatalf("status %d, want 202 ignored; body %s", w.Code, w.Body)
		}
		if evs := kc.landed(t, topics); len(evs) != 0 {
			t.Fatalf("%s landed in Kafka for an unused event", Dump(evs))
		}
	})

	// Kafka cannot take the record: the answer must not be 2xx, so the
	// platform delivers again.
	unavailable := func(t *testing.T, w *httptest.ResponseRecorder) {
		t.Helper()
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After so the platform delivers again; body %s", w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	}
	down := kc.downPublisher(t)
	for _, tt := range []struct {
		name string
		r    Request
	}{
		{"topic missing answered 503", p.Usable},
		{"dead-letter topic missing answered 503", p.Unusable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			topics := kc.newTopics(t, false)
			unavailable(t, serve(t, topics, down, tt.r, signed(p.Store.Secret, tt.r.At)))
			kc.missing(t, topics.Orders, topics.Refunds, topics.DeadLetter)
		})
	}

	// Last: it stops the run's broker.
	t.Run("broker stopped answered 503", func(t *testing.T) {
		topics := kc.newTopics(t, true)
		ctx, cancel := context.WithTimeout(context.Background(), kc.wait)
		defer cancel()
		if err := down.Ping(ctx); err != nil {
			t.Fatalf("the broker does not answer before it is stopped: %v", err)
		}
		kc.br.Close()
		unavailable(t, serve(t, topics, down, p.Usable, signed(p.Store.Secret, p.Usable.At)))
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

// eventID is the event id of an order or a refund; "" for anything else.
func eventID(v any) string {
	switch x := v.(type) {
	case *schemas.Order:
		return x.EventID
	case *schemas.Refund:
		return x.EventID
	}
	return ""
}
