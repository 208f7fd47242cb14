package avrogen

import (
	"fmt"
	"slices"
	"strings"
)

// The decoder reads a record's optional values into pool slots rather than
// allocating each value on its own (the generated pool type, taken by
// wire.go's readers and the generated readROpt). The schema fixes how many
// slots a record takes, counting optional records as present, except for
// arrays. A top-level record's slots are arrays in one generated struct
// (its slab, rSlots), allocated before the record is read, together with
// the record itself for DecodeAny (readNew). Each block of an array of
// records replaces the pool with its items' slots, one array per type,
// when its item count is read, and restores it after. Counting the items
// first would walk the record twice, which measured slower than the
// allocations it saves.

// slot is one array of the pool: its field name and element type.
type slot struct{ field, elem string }

// primSlots are the pool arrays of optional primitives, by shape; shapes
// without one take no slot. wire.go's optional readers use them.
var primSlots = map[shape]slot{
	sString: {"strs", "string"}, sLong: {"longs", "int64"}, sInt: {"ints", "int32"},
	sBoolean: {"bools", "bool"}, sTime: {"times", "time.Time"},
}

var primOrder = []shape{sString, sLong, sInt, sBoolean, sTime}

// recSlot is the pool array of optional records of r (named so that no
// record name collides with a primitive's array).
func recSlot(r *record) slot { return slot{"rec" + r.name, r.name} }

// slotCount is a number of slots of one pool array.
type slotCount struct {
	slot
	n int
}

// staticSlots returns the slots reading r takes outside its arrays: one per
// optional value of r and of the records it holds, optional ones counted as
// present, primitives first, then records by name. A record that holds
// itself counts once.
func staticSlots(r *record) []slotCount {
	n := map[slot]int{}
	addSlots(n, r, map[*record]bool{})
	var out []slotCount
	for _, sh := range primOrder {
		if c := n[primSlots[sh]]; c > 0 {
			out = append(out, slotCount{primSlots[sh], c})
			delete(n, primSlots[sh])
		}
	}
	var recs []slotCount
	for s, c := range n {
		recs = append(recs, slotCount{s, c})
	}
	slices.SortFunc(recs, func(a, b slotCount) int { return strings.Compare(a.field, b.field) })
	return append(out, recs...)
}

func addSlots(n map[slot]int, r *record, open map[*record]bool) {
	if open[r] {
		return
	}
	open[r] = true
	defer delete(open, r)
	for _, f := range r.fields {
		t := f.t
		if t.shape == sOptional {
			switch s, ok := primSlots[t.elem.shape]; {
			case ok:
				n[s]++
			case t.elem.shape == sRecord:
				n[recSlot(t.elem.rec)]++
			}
			t = t.elem
		}
		if t.shape == sRecord {
			addSlots(n, t.rec, open)
		}
	}
}

// poolLit is the pool literal holding the slots c, each array's length
// times k (e.g. "n"), or sliced from the arrays of a slab s when k is "".
func poolLit(c []slotCount, k, s string) string {
	var parts []string
	for _, sc := range c {
		if k == "" {
			parts = append(parts, fmt.Sprintf("%s: %s.%[1]s[:]", sc.field, s))
		} else {
			parts = append(parts, fmt.Sprintf("%s: make([]%s, %d*%s)", sc.field, sc.elem, sc.n, k))
		}
	}
	return "pool{" + strings.Join(parts, ", ") + "}"
}

// slabName is the name of the slab type of top-level record r, "" when r
// takes no slots.
func slabName(r *record) string {
	if len(staticSlots(r)) == 0 {
		return ""
	}
	return strings.ToLower(r.name[:1]) + r.name[1:] + "Slots"
}

// slab emits r's slab type and its pool method.
func (g *gen) slab(r *record) {
	name := slabName(r)
	if name == "" {
		return
	}
	c := staticSlots(r)
	g.p("")
	g.p("// %s holds the pool slots of one %s outside its arrays.", name, r.name)
	g.p("type %s struct {", name)
	for _, sc := range c {
		g.p("%s [%d]%s", sc.field, sc.n, sc.elem)
	}
	g.p("}")
	g.p("")
	g.p("func (s *%s) pool() pool { return %s }", name, poolLit(c, "", "s"))
}

// pool emits the pool type: an array per optional primitive, and per
// record that is some field's optional value.
func (g *gen) pool(all []*record) {
	g.p("")
	g.p("// pool holds the slots the record being read has not taken yet (see")
	g.p("// wire.go's take).")
	g.p("type pool struct {")
	for _, sh := range primOrder {
		g.p("%s []%s", primSlots[sh].field, primSlots[sh].elem)
	}
	for _, r := range all {
		if g.opt[r] {
			g.p("%s []%s", recSlot(r).field, r.name)
		}
	}
	g.p("}")
}
