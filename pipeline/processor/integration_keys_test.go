package processor

import (
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
	e.waitIdle(t, 90*time.Second)
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
