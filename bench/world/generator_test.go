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
