package processor

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/schemas"
)

// world is a small seeded set of codes and events covering the features
// the stages touch: codes with and without clicks required and with usage
// limits, bot clicks, clicks from other affiliates, late clicks, refunds
// (partial and full, some before their order), and duplicate deliveries.
type world struct {
	codes  []schemas.Code
	inputs []*kgo.Record // in production order, timestamps set
}

var worldStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func newWorld(seed uint64, topics schemas.Topics, serde *schemas.Serde, customers, orders int) *world {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	w := &world{}
	pct := func(v int64) *schemas.CommissionRule { return &schemas.CommissionRule{Type: "percent", Value: v} }
	for i := 0; i < 12; i++ {
		c := schemas.Code{
			Code: fmt.Sprintf("AFF%02d", i), DisplayCode: fmt.Sprintf("aff%02d", i), CouponID: "launch",
			AffiliateID: fmt.Sprintf("aff-%02d", i), DiscountType: "percent", DiscountValue: 1000,
			Status: "active", Commission: pct(int64(500 + 100*i)), Version: 1, UpdatedAt: worldStart,
		}
		c.EventID = schemas.ID(c.Code, "1")
		if i%4 == 1 {
			c.RequiresClick = true
		}
		if i%5 == 2 {
			max := int64(3)
			c.MaxUses = &max
		}
		w.codes = append(w.codes, c)
	}
	visitors := make([]string, customers)
	for i := range visitors {
		visitors[i] = fmt.Sprintf("v%026d", i)
	}
	_ = identity.ValidVisitorID
	at := worldStart
	add := func(topic, key string, v any, ingest time.Time) {
		b, err := serde.Encode(v)
		if err != nil {
			panic(err)
		}
		w.inputs = append(w.inputs, &kgo.Record{Topic: topic, Key: []byte(key), Value: b, Timestamp: ingest})
	}
	var placed []*schemas.Order
	for n := 0; n < orders; n++ {
		at = at.Add(time.Duration(1+r.IntN(600)) * time.Second)
		v := visitors[r.IntN(len(visitors))]
		// Clicks before the order, from one or two affiliates; some bots.
		for k := r.IntN(3); k > 0; k-- {
			aff := r.IntN(len(w.codes))
			code := w.codes[aff].Code
			clickAt := at.Add(-time.Duration(r.IntN(72*3600)) * time.Second)
			if r.IntN(10) == 0 {
				clickAt = at.Add(-3 * time.Second) // injection-like
			}
			cid := fmt.Sprintf("%s.c%015d", v, len(w.inputs))
			c := &schemas.Click{EventID: schemas.ID("click", cid), ClickID: cid, VisitorID: v, Code: &code,
				AffiliateID: &w.codes[aff].AffiliateID, Source: "redirect", IsBot: r.IntN(8) == 0,
				OccurredAt: clickAt, ReceivedAt: clickAt}
			add(topics.Clicks, v, c, clickAt) // ingested as it happens
		}
		o := &schemas.Order{OrderID: fmt.Sprintf("o-%05d", n), Platform: "api", StoreID: "s1", SourceEvent: "conversion",
			Currency: "EUR", Subtotal: int64(2000 + r.IntN(20000)), OccurredAt: at, ReceivedAt: at,
			Customer: schemas.Customer{Key: v, VisitorID: &v}}
		if r.IntN(4) != 0 {
			code := w.codes[r.IntN(len(w.codes))].Code
			o.Discount = o.Subtotal / 10
			o.Codes = []schemas.AppliedCode{{Code: code, Amount: o.Discount}}
		}
		o.Total = o.Subtotal - o.Discount
		o.EventID = schemas.ID("api", "s1", o.OrderID, "conversion")
		add(topics.Orders, v, o, at)
		if r.IntN(20) == 0 { // a redelivered webhook: same event id
			add(topics.Orders, v, o, at.Add(time.Second))
		}
		placed = append(placed, o)
		if r.IntN(15) == 0 { // a late click that happened before the order
			code := w.codes[r.IntN(len(w.codes))].Code
			cid := fmt.Sprintf("%s.l%015d", v, len(w.inputs))
			late := at.Add(-time.Minute)
			c := &schemas.Click{EventID: schemas.ID("click", cid), ClickID: cid, VisitorID: v, Code: &code,
				AffiliateID: new(string), Source: "api", OccurredAt: late, ReceivedAt: at.Add(2 * time.Second)}
			*c.AffiliateID = "aff-late"
			add(topics.Clicks, v, c, at.Add(2*time.Second))
		}
	}
	// Refunds for a fifth of the orders, partial or full, some twice.
	for i, o := range placed {
		if i%5 != 0 {
			continue
		}
		amount := (o.Subtotal - o.Discount) / 3
		full := i%10 == 0
		if full {
			amount = o.Subtotal - o.Discount
		}
		rf := &schemas.Refund{RefundID: "r-" + o.OrderID, OrderID: o.OrderID, Platform: "api", StoreID: "s1", Currency: "EUR",
			Amount: amount, Total: amount, Full: full, OccurredAt: o.OccurredAt.Add(time.Hour), ReceivedAt: o.OccurredAt.Add(time.Hour)}
		rf.EventID = schemas.ID("api", "s1", "refund", rf.RefundID)
		add(topics.Refunds, "api/s1/"+o.OrderID, rf, at.Add(time.Duration(i)*time.Millisecond))
		if i%15 == 0 {
			add(topics.Refunds, "api/s1/"+o.OrderID, rf, at.Add(time.Duration(i)*time.Millisecond+time.Second))
		}
	}
	// Live traffic reaches Kafka in time order: produce in timestamp order
	// (stable, so a redelivery stays after its original).
	slices.SortStableFunc(w.inputs, func(a, b *kgo.Record) int { return a.Timestamp.Compare(b.Timestamp) })
	return w
}

// codeRecords are the registry records for the codes topic.
func (w *world) codeRecords(topics schemas.Topics, serde *schemas.Serde) []*kgo.Record {
	var out []*kgo.Record
	for i := range w.codes {
		b, err := serde.Encode(&w.codes[i])
		if err != nil {
			panic(err)
		}
		out = append(out, &kgo.Record{Topic: topics.Codes, Key: []byte(w.codes[i].Code), Value: b, Timestamp: worldStart})
	}
	return out
}
