package processor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/schemas"
)

// faultWorld is a world with only the code registry; tests add inputs.
func faultWorld(t *testing.T) (*world, schemas.Topics, *schemas.Serde) {
	t.Helper()
	topics, _ := schemas.NewTopics(testPrefix)
	serde := schemas.NewSerde(schemas.WithTopics(topics))
	w := newWorld(3, topics, serde, 1, 0)
	return w, topics, serde
}

func rec(t *testing.T, serde *schemas.Serde, topic, key string, v any, ts time.Time) *kgo.Record {
	t.Helper()
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = serde.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	return &kgo.Record{Topic: topic, Key: []byte(key), Value: b, Timestamp: ts}
}

func order(id, visitor string, at time.Time) *schemas.Order {
	o := &schemas.Order{OrderID: id, Platform: "api", StoreID: "s1", SourceEvent: "conversion", Currency: "EUR",
		Subtotal: 10000, Total: 10000, OccurredAt: at, ReceivedAt: at, Customer: schemas.Customer{Key: visitor, VisitorID: &visitor}}
	o.EventID = schemas.ID("api", "s1", id, "conversion")
	return o
}

func click(visitor string, c schemas.Code, at time.Time, n int) *schemas.Click {
	cid := fmt.Sprintf("%s.f%015d", visitor, n)
	code, aff := c.Code, c.AffiliateID
	return &schemas.Click{EventID: schemas.ID("click", cid), ClickID: cid, VisitorID: visitor, Code: &code,
		AffiliateID: &aff, Source: "redirect", OccurredAt: at, ReceivedAt: at}
}

// TestIntegrationPoisonRecords puts undecodable bytes and valid Avro of
// the wrong record type on every input topic of the processor (clicks,
// orders, refunds, attributions), each followed by a valid order on the
// same partition. Every poison record goes to the dead-letter topic with
// its source topic, offset and reason; the partition keeps flowing: the
// valid orders after them are attributed.
func TestIntegrationPoisonRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the processor against the embedded broker")
	}
	w, topics, serde := faultWorld(t)
	e := newEnv(t, w)
	at := worldStart.Add(time.Hour)
	const v = "v00000000000000000000000042"
	wrong := map[string]any{ // a valid record of another type
		topics.Clicks:       order("wrong-on-clicks", v, at),
		topics.Orders:       &schemas.Refund{EventID: "r", RefundID: "r1", OrderID: "x", Platform: "api", StoreID: "s1", Currency: "EUR", OccurredAt: at, ReceivedAt: at},
		topics.Refunds:      click(v, w.codes[0], at, 1),
		topics.Attributions: click(v, w.codes[0], at, 2),
	}
	var recs []*kgo.Record
	var valid []string
	i := 0
	for _, topic := range []string{topics.Clicks, topics.Orders, topics.Refunds, topics.Attributions} {
		key := v
		if topic == topics.Refunds || topic == topics.Attributions {
			key = "api/s1/o-poison"
		}
		ts := at.Add(time.Duration(i) * time.Second)
		recs = append(recs,
			rec(t, serde, topic, key, []byte("\xc3\x01not avro at all"), ts),
			rec(t, serde, topic, key, wrong[topic], ts.Add(time.Millisecond)))
		id := fmt.Sprintf("after-poison-%d", i)
		valid = append(valid, id)
		recs = append(recs, rec(t, serde, topics.Orders, v, order(id, v, ts), ts.Add(2*time.Millisecond)))
		i++
	}
	e.produce(t, recs)
	stop := e.runProgram(t, t.TempDir(), "poison", 100, noLeaks())
	e.waitIdle(t)
	stop()

	lines := e.outputs(t)
	var dead []*schemas.DeadLetter
	attributed := map[string]int{}
	for _, l := range lines {
		parts := strings.Split(l, "|")
		b := mustHex(t, parts[3])
		x, err := serde.DecodeAny(b)
		if err != nil {
			if parts[0] == topics.Attributions && strings.Contains(string(b), "not avro") {
				continue // the poison record this test put there
			}
			t.Fatalf("output on %s does not decode: %v", parts[0], err)
		}
		switch r := x.(type) {
		case *schemas.DeadLetter:
			dead = append(dead, r)
		case *schemas.Attribution:
			attributed[r.OrderID]++
		}
	}
	bySource := map[string]int{}
	for _, d := range dead {
		bySource[d.Source]++
		if d.Reason == "" || d.Offset == nil || !strings.HasPrefix(d.Stage, "process:") {
			t.Errorf("dead letter without a reason or position: %+v", d)
		}
	}
	for _, topic := range []string{topics.Clicks, topics.Orders, topics.Refunds, topics.Attributions} {
		if bySource[topic] != 2 {
			t.Errorf("%d dead letters from %s, want 2 (garbage and wrong type): %v", bySource[topic], topic, reasons(dead))
		}
	}
	for _, id := range valid {
		if attributed[id] != 1 {
			t.Errorf("order %s after the poison records: %d attributions, want 1", id, attributed[id])
		}
	}
	t.Logf("dead-letter reasons: %v", reasons(dead))
}

func reasons(ds []*schemas.DeadLetter) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Source+": "+d.Reason)
	}
	return out
}

// TestIntegrationClockSkew: event time (occurred_at, set by the store or
// the client) and processing time (the Kafka record timestamp) disagree
// by hours. The attribution window is by event time, whatever the skew:
// a click one hour (event time) before the order counts although both
// reached Kafka six hours after they happened; a click 31 days (event
// time) before the order does not count although it reached Kafka one
// second before the order (a client clock far behind).
func TestIntegrationClockSkew(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the processor against the embedded broker")
	}
	w, topics, serde := faultWorld(t)
	e := newEnv(t, w)
	c := w.codes[0] // no click requirement, no usage limit
	at := worldStart.Add(24 * time.Hour)
	const late, behind = "v00000000000000000000000001", "v00000000000000000000000002"
	skew := 6 * time.Hour
	e.produce(t, []*kgo.Record{
		// Processing time 6h after event time for both.
		rec(t, serde, topics.Clicks, late, click(late, c, at.Add(-time.Hour), 1), at.Add(-time.Hour+skew)),
		rec(t, serde, topics.Orders, late, order("skew-ahead", late, at), at.Add(skew)),
		// The click's event time is 31 days before the order, outside the
		// 30-day window, though it reached Kafka a second before.
		rec(t, serde, topics.Clicks, behind, click(behind, c, at.Add(-31*24*time.Hour), 2), at.Add(-time.Second)),
		rec(t, serde, topics.Orders, behind, order("skew-behind", behind, at), at),
	})
	stop := e.runProgram(t, t.TempDir(), "skew", 100, noLeaks())
	e.waitIdle(t)
	// Idle lags can come a moment before the last stage's transaction is
	// committed; stopping then would abort it. Wait for the two orders.
	var atts []schemas.Attribution
	for deadline := time.Now().Add(60 * time.Second); ; {
		atts, _, _ = decodeOutputs(t, e, e.outputs(t))
		n := 0
		for _, a := range atts {
			if a.OrderID == "skew-ahead" || a.OrderID == "skew-behind" {
				n++
			}
		}
		if n >= 2 || time.Now().After(deadline) {
			break
		}
	}
	stop()
	got := map[string]schemas.Attribution{}
	for _, a := range atts {
		if cur, ok := got[a.OrderID]; !ok || a.Version > cur.Version {
			got[a.OrderID] = a
		}
	}
	if a := got["skew-ahead"]; a.Method != attribution.MethodClick || a.AffiliateID == nil || *a.AffiliateID != c.AffiliateID {
		t.Errorf("skew-ahead: method %q affiliate %v, want credited to %s by its click", a.Method, a.AffiliateID, c.AffiliateID)
	}
	if a := got["skew-behind"]; a.Method != attribution.MethodNone {
		t.Errorf("skew-behind: method %q, want none (the click is outside the window by event time)", a.Method)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	if _, err := fmt.Sscanf(s, "%x", &b); err != nil {
		t.Fatal(err)
	}
	return b
}
