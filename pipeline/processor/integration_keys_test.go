package processor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/schemas"
)

// TestIntegrationOrderKeysUnambiguous: store "s/x" with order "o" and
// store "s" with order "x/o" are two orders, though joining their parts
// with unescaped slashes gives both "api/s/x/o". Each is attributed, and a
// full refund of the first (keyed as the connectors key it) reverses the
// first order's commission only.
func TestIntegrationOrderKeysUnambiguous(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the processor against the embedded broker")
	}
	w, topics, serde := faultWorld(t)
	e := newEnv(t, w)
	c := w.codes[0] // no click requirement, no usage limit, 5% commission
	at := worldStart.Add(time.Hour)
	const v1, v2 = "v00000000000000000000000011", "v00000000000000000000000012"
	first := order("o", v1, at)
	first.StoreID = "s/x"
	second := order("x/o", v2, at)
	second.StoreID = "s"
	for _, o := range []*schemas.Order{first, second} {
		o.EventID = schemas.ID(o.Platform, o.StoreID, o.OrderID, "conversion")
		o.Codes = []schemas.AppliedCode{{Code: c.Code, Amount: 0}}
	}
	if first.Platform+"/"+first.StoreID+"/"+first.OrderID != second.Platform+"/"+second.StoreID+"/"+second.OrderID {
		t.Fatal("the two orders must collide when joined with plain slashes")
	}
	refund := &schemas.Refund{EventID: "refund-1", RefundID: "r1", OrderID: first.OrderID, Platform: first.Platform,
		StoreID: first.StoreID, Currency: "EUR", Amount: first.Total, Total: first.Total, Full: true,
		OccurredAt: at.Add(time.Hour), ReceivedAt: at.Add(time.Hour)}
	e.produce(t, []*kgo.Record{
		rec(t, serde, topics.Orders, v1, first, at),
		rec(t, serde, topics.Orders, v2, second, at.Add(time.Second)),
		rec(t, serde, topics.Refunds, schemas.OrderRef("api", "s/x", "o"), refund, at.Add(time.Hour)),
	})
	stop := e.runProgram(t, t.TempDir(), "keys", 100, noLeaks())
	e.waitIdle(t)
	var atts []schemas.Attribution
	var adjs []schemas.Adjustment
	for deadline := time.Now().Add(60 * time.Second); ; {
		atts, adjs, _ = decodeOutputs(t, e, e.outputs(t))
		if len(atts) >= 2 && len(adjs) >= 1 || time.Now().After(deadline) {
			break
		}
	}
	stop()
	commission := map[string]int64{}
	for _, a := range atts {
		commission[a.StoreID+"|"+a.OrderID] = a.Commission
	}
	if len(commission) != 2 || commission["s/x|o"] == 0 || commission["s|x/o"] == 0 {
		t.Fatalf("attributions %v, want both orders credited", commission)
	}
	reversed := map[string]int64{}
	for _, a := range adjs {
		reversed[a.StoreID+"|"+a.OrderID] += a.Amount
	}
	if reversed["s/x|o"] != -commission["s/x|o"] || reversed["s|x/o"] != 0 {
		t.Fatalf("reversals %v, want all of the first order's commission %d and nothing of the second's",
			reversed, commission["s/x|o"])
	}
	for _, l := range e.outputs(t) {
		parts := strings.Split(l, "|")
		if parts[0] == topics.Attributions || parts[0] == topics.Adjustments {
			if parts[1] != schemas.OrderRef("api", "s/x", "o") && parts[1] != schemas.OrderRef("api", "s", "x/o") {
				t.Errorf("%s record keyed %q, want an escaped order reference", parts[0], parts[1])
			}
		}
	}
}

// TestIntegrationRefundCurrency: a partial refund in another currency than
// its order reverses nothing, so it is dead-lettered with the reason,
// whether it arrives after the attribution or before it (held); a full
// refund in another currency still reverses everything.
func TestIntegrationRefundCurrency(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the processor against the embedded broker")
	}
	w, topics, serde := faultWorld(t)
	e := newEnv(t, w)
	c := w.codes[0]
	at := worldStart.Add(time.Hour)
	refund := func(o *schemas.Order, id, currency string, full bool) *schemas.Refund {
		return &schemas.Refund{EventID: "refund-" + id, RefundID: id, OrderID: o.OrderID, Platform: o.Platform,
			StoreID: o.StoreID, Currency: currency, Amount: 1000, Total: 1000, Full: full,
			OccurredAt: at.Add(time.Hour), ReceivedAt: at.Add(time.Hour)}
	}
	var recs []*kgo.Record
	orders := map[string]*schemas.Order{}
	for i, id := range []string{"after", "before", "full"} {
		v := fmt.Sprintf("v%026d", 21+i)
		o := order("cur-"+id, v, at)
		o.Codes = []schemas.AppliedCode{{Code: c.Code}}
		orders[id] = o
		ref := schemas.OrderRef(o.Platform, o.StoreID, o.OrderID)
		switch id {
		case "after":
			recs = append(recs, rec(t, serde, topics.Orders, v, o, at),
				rec(t, serde, topics.Refunds, ref, refund(o, "r-after", "USD", false), at.Add(time.Hour)))
		case "before":
			// The refund is on Kafka before the order: held, then judged.
			recs = append(recs, rec(t, serde, topics.Refunds, ref, refund(o, "r-before", "USD", false), at.Add(-time.Minute)),
				rec(t, serde, topics.Orders, v, o, at))
		case "full":
			recs = append(recs, rec(t, serde, topics.Orders, v, o, at),
				rec(t, serde, topics.Refunds, ref, refund(o, "r-full", "USD", true), at.Add(time.Hour)))
		}
	}
	e.produce(t, recs)
	stop := e.runProgram(t, t.TempDir(), "currency", 100, noLeaks())
	e.waitIdle(t)
	var dead []*schemas.DeadLetter
	reversed := map[string]int64{}
	for deadline := time.Now().Add(60 * time.Second); ; {
		dead, reversed = nil, map[string]int64{}
		for _, l := range e.outputs(t) {
			parts := strings.Split(l, "|")
			x, err := serde.DecodeAny(mustHex(t, parts[3]))
			if err != nil {
				t.Fatal(err)
			}
			switch r := x.(type) {
			case *schemas.DeadLetter:
				dead = append(dead, r)
			case *schemas.Adjustment:
				reversed[r.OrderID] += r.Amount
			}
		}
		if len(dead) >= 2 && reversed["cur-full"] != 0 || time.Now().After(deadline) {
			break
		}
	}
	stop()
	got := map[string]bool{}
	for _, d := range dead {
		if !strings.Contains(d.Reason, "partial refund in another currency than its order") || !strings.Contains(d.Reason, "USD") {
			t.Errorf("dead letter reason %q", d.Reason)
		}
		for _, id := range []string{"r-after", "r-before"} {
			if strings.Contains(d.Reason, "refund "+id+" ") {
				got[id] = true
			}
		}
	}
	if !got["r-after"] || !got["r-before"] || len(dead) != 2 {
		t.Errorf("dead letters %v, want one for r-after and one for r-before", reasons(dead))
	}
	if reversed["cur-after"] != 0 || reversed["cur-before"] != 0 || reversed["cur-full"] >= 0 {
		t.Errorf("reversals %v, want none for the partial refunds and all of cur-full's commission", reversed)
	}
}
