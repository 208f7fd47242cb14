package harness

import (
	"testing"
	"time"

	"github.com/heldsway/heldsway/bench/world"
)

// TestLatencyWorld: the latency phase's world shares no customer or order
// with the throughput world, comes after it in event time, and uses the
// same code registry.
func TestLatencyWorld(t *testing.T) {
	first, err := world.New(world.Config{Seed: 1, Events: 5000})
	if err != nil {
		t.Fatal(err)
	}
	customers, orders, leaked := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var lastAt time.Time
	n := 0
	for e, ok := first.Next(); ok; e, ok = first.Next() {
		n++
		lastAt = e.At
		if e.Kind != world.KindRefund {
			customers[e.Key] = true
		}
		if e.Kind == world.KindOrder {
			orders[e.Order.OrderID] = true
			if e.Label == world.LabelLeak {
				leaked[e.Order.Codes[0].Code] = true
			}
		}
	}
	if n != 5000 {
		t.Fatalf("throughput world has %d events, want 5000", n)
	}
	lat, err := latencyWorld(first, 1^latencySeed, 2000, lastAt)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range lat.Affiliates() {
		if a.Code.Code != first.Affiliates()[i].Code.Code || a.ID != first.Affiliates()[i].ID {
			t.Fatalf("affiliate %d: %s/%s, throughput world %s/%s", i, a.ID, a.Code.Code, first.Affiliates()[i].ID, first.Affiliates()[i].Code.Code)
		}
	}
	m, leaks := 0, 0
	for e, ok := lat.Next(); ok; e, ok = lat.Next() {
		m++
		if e.Kind == world.KindOrder && e.Label == world.LabelLeak {
			leaks++
			if c := e.Order.Codes[0].Code; leaked[c] {
				t.Fatalf("code %s leaks in both worlds", c)
			}
		}
		if !e.At.After(lastAt) {
			t.Fatalf("latency event at %v, not after the throughput world's last %v", e.At, lastAt)
		}
		if e.Kind != world.KindRefund && customers[e.Key] {
			t.Fatalf("customer %s is in both worlds", e.Key)
		}
		if e.Kind == world.KindOrder && orders[e.Order.OrderID] {
			t.Fatalf("order %s is in both worlds", e.Order.OrderID)
		}
	}
	if m != 2000 || leaks == 0 || len(leaked) == 0 {
		t.Errorf("latency world has %d events and %d leaked orders (throughput world leaked %d codes), want 2000 and some", m, leaks, len(leaked))
	}
}
