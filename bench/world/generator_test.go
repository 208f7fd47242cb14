package world

import (
	"encoding/json"
	"testing"
	"time"
)

func drain(t *testing.T, cfg Config) []*Event {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Event
	for e, ok := g.Next(); ok; e, ok = g.Next() {
		out = append(out, e)
	}
	return out
}

func TestGeneratorDeterministic(t *testing.T) {
	a := drain(t, Config{Seed: 3, Events: 5000})
	b := drain(t, Config{Seed: 3, Events: 5000})
	c := drain(t, Config{Seed: 4, Events: 5000})
	if len(a) != 5000 || len(b) != 5000 {
		t.Fatalf("got %d and %d events, want 5000", len(a), len(b))
	}
	same := func(x, y []*Event) bool {
		for i := range x {
			jx, _ := json.Marshal(x[i].Value())
			jy, _ := json.Marshal(y[i].Value())
			if string(jx) != string(jy) || x[i].Key != y[i].Key || x[i].Label != y[i].Label {
				return false
			}
		}
		return true
	}
	if !same(a, b) {
		t.Fatal("the same seed produced different worlds")
	}
	if same(a, c) {
		t.Fatal("different seeds produced the same world")
	}
}

func TestGeneratorOrderAndMix(t *testing.T) {
	evs := drain(t, Config{Seed: 9, Events: 20000})
	kinds := map[Kind]int{}
	labels := map[Label]int{}
	var last time.Time
	for i, e := range evs {
		if e.At.Before(last) {
			t.Fatalf("event %d at %v before the previous at %v", i, e.At, last)
		}
		last = e.At
		kinds[e.Kind]++
		if e.Kind == KindOrder {
			labels[e.Label]++
		}
	}
	for _, k := range []Kind{KindClick, KindOrder, KindRefund} {
		if kinds[k] == 0 {
			t.Errorf("no events of kind %d: %v", k, kinds)
		}
	}
	for _, l := range []Label{LabelNone, LabelStuffing, LabelInjection, LabelLeak} {
		if labels[l] == 0 {
			t.Errorf("no orders labelled %s: %v", l, labels)
		}
	}
}

// TestGeneratorIDOffset: a second world offset past the first's customers
// and orders shares no customer, order, click or refund id with it, and
// its order ids stay in the o%09d form the oracle reads.
func TestGeneratorIDOffset(t *testing.T) {
	ids := func(evs []*Event) (customers, orders, others map[string]bool) {
		customers, orders, others = map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, e := range evs {
			switch e.Kind {
			case KindClick:
				customers[e.Key] = true
				others[e.Click.ClickID] = true
			case KindOrder:
				customers[e.Key] = true
				orders[e.Order.OrderID] = true
			case KindRefund:
				others[e.Refund.RefundID] = true
			}
		}
		return customers, orders, others
	}
	g, err := New(Config{Seed: 1, Events: 4000})
	if err != nil {
		t.Fatal(err)
	}
	var a []*Event
	for e, ok := g.Next(); ok; e, ok = g.Next() {
		a = append(a, e)
	}
	ca, oa, xa := ids(a)
	for _, tc := range []struct {
		name    string
		offset  int
		overlap bool
	}{
		{"no offset", 0, true},
		{"NextIDOffset", g.NextIDOffset(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := drain(t, Config{Seed: 2, Events: 1000, IDOffset: tc.offset})
			cb, ob, xb := ids(b)
			shared := 0
			for _, p := range []struct{ x, y map[string]bool }{{ca, cb}, {oa, ob}, {xa, xb}} {
				for id := range p.y {
					if p.x[id] {
						shared++
					}
				}
			}
			if (shared > 0) != tc.overlap {
				t.Errorf("%d ids shared with the first world, want overlap %v", shared, tc.overlap)
			}
			for id := range ob {
				if _, ok := orderNumber(id); !ok {
					t.Fatalf("order id %q is not o%%09d", id)
				}
			}
		})
	}
}
