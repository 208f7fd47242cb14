package attribution

import (
	"errors"
	"fmt"
	"testing"
)

// storedUsage is stage 2's stored layout (counter, per-order records and
// the ring of slots) over maps, as the processor keeps it in Pebble.
type storedUsage struct {
	cnt   UsageCounter
	used  map[string]UsedOrder
	slots map[int64]string
}

func (s *storedUsage) resolve(c Candidate) (Decision, bool) {
	var prev *UsedOrder
	if u, ok := s.used[c.OrderKey]; ok {
		prev = &u
	}
	d, rec, ok := ResolveUse(c, s.cnt.Uses, prev)
	if !ok {
		return Decision{}, false
	}
	if prev == nil {
		if rec.Consumed {
			s.cnt.Uses++
		}
		slot := s.cnt.Slot()
		if old, ok := s.slots[slot]; ok {
			delete(s.used, old)
		}
		s.slots[slot] = c.OrderKey
		s.cnt.Resolved++
	}
	s.used[c.OrderKey] = rec
	return d, true
}

// TestStoredUsageMatchesCodeUsage drives the in-memory CodeUsage and the
// stored layout with the same candidates (new orders past the ring's size,
// revisions, duplicates, orders forgotten and seen again) and requires the
// same decisions and counts.
func TestStoredUsageMatchesCodeUsage(t *testing.T) {
	limit := int64(1500)
	cand := func(order, version int) Candidate {
		key := fmt.Sprintf("o%d", order)
		with := Decision{}
		with.Attribution.OrderID, with.Attribution.Method = key, MethodCode
		fb := Decision{}
		fb.Attribution.OrderID, fb.Attribution.Method = key, MethodNone
		return Candidate{OrderKey: key, Version: int32(version), Code: "C", MaxUses: &limit, WithCode: &with, Fallback: fb}
	}
	var mem CodeUsage
	st := storedUsage{used: map[string]UsedOrder{}, slots: map[int64]string{}}
	step := 0
	check := func(c Candidate) {
		t.Helper()
		step++
		d1, ok1 := mem.Resolve(c)
		d2, ok2 := st.resolve(c)
		if ok1 != ok2 || d1.Attribution.Method != d2.Attribution.Method || mem.Uses != st.cnt.Uses {
			t.Fatalf("step %d %s v%d: memory (%v, %s, uses %d) != stored (%v, %s, uses %d)", step, c.OrderKey, c.Version,
				ok1, d1.Attribution.Method, mem.Uses, ok2, d2.Attribution.Method, st.cnt.Uses)
		}
		if len(st.used) != len(mem.Orders) {
			t.Fatalf("step %d: stored keeps %d orders, memory %d", step, len(st.used), len(mem.Orders))
		}
	}
	for i := range 2000 {
		check(cand(i, 1))
		switch {
		case i%7 == 0:
			check(cand(i, 2)) // revision
		case i%11 == 0:
			check(cand(i, 1)) // duplicate
		case i%13 == 0 && i > 1100:
			check(cand(i-1100, 1)) // forgotten by both: resolved again
		}
	}
	if st.cnt.Uses != limit {
		t.Fatalf("uses %d, want the limit %d", st.cnt.Uses, limit)
	}
	for _, o := range mem.Orders {
		if st.used[o.Key] != o {
			t.Fatalf("order %s: stored %+v, memory %+v", o.Key, st.used[o.Key], o)
		}
	}
}

func TestUnmarshalUsageRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"unknown format", []byte{2, 0, 0}},
		{"truncated", []byte{1, 5}},
		{"trailing", append(UsageCounter{Uses: 1, Resolved: 1}.Marshal(), 0)},
		{"more uses than orders", UsageCounter{Uses: 2, Resolved: 1}.Marshal()},
		{"overflow", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0}},
	} {
		if _, err := UnmarshalUsageCounter(tc.b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("counter %s: err %v, want ErrCorrupt", tc.name, err)
		}
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"version 0", []byte{1, 0, 0}},
		{"consumed 2", []byte{1, 1, 2}},
		{"version over int32", append(append([]byte{1}, []byte{0x80, 0x80, 0x80, 0x80, 0x08}...), 0)},
		{"trailing", []byte{1, 1, 0, 0}},
	} {
		if _, err := UnmarshalUsed("k", tc.b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("used %s: err %v, want ErrCorrupt", tc.name, err)
		}
	}
}
