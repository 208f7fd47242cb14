package avrogen

import (
	"fmt"
	"strings"
)

// The decoder reads a record's optional values into pool slots (wire.go's
// pool) rather than allocating each value on its own. The schema fixes how
// many slots a record takes, counting optional records as present, except
// for arrays. A top-level record's slots are arrays in one generated struct
// (its slab, rSlots), allocated before the record is read, together with
// the record itself for DecodeAny (readNew). Each block of an array of
// records reserves its items' slots, one array per type, when its item
// count is read (reserveItems). Counting the items first would walk the
// record twice, which measured slower than the allocations it saves.

// slotName names the slots field counting optional values of each shape;
// shapes without one take no slot.
var slotName = map[shape]string{sString: "strs", sLong: "longs", sInt: "ints", sBoolean: "bools", sTime: "times"}

// slotOrder is the order slot counts are written in.
var slotOrder = []shape{sString, sLong, sInt, sBoolean, sTime}

// staticSlots returns the slots reading r takes outside its arrays, by
// shape: one per optional value of r and of the records it holds, optional
// ones counted as present. A record that holds itself counts once.
func staticSlots(r *record) map[shape]int {
	n := map[shape]int{}
	addSlots(n, r, map[*record]bool{})
	return n
}

func addSlots(n map[shape]int, r *record, open map[*record]bool) {
	if open[r] {
		return
	}
	open[r] = true
	defer delete(open, r)
	for _, f := range r.fields {
		t := f.t
		if t.shape == sOptional {
			if name := slotName[t.elem.shape]; name != "" {
				n[t.elem.shape]++
			}
			t = t.elem
		}
		if t.shape == sRecord {
			addSlots(n, t.rec, open)
		}
	}
}

// slotsLit is the slots literal for r's static slots, "" when it takes
// none.
func slotsLit(r *record) string {
	n := staticSlots(r)
	var parts []string
	for _, sh := range slotOrder {
		if n[sh] > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d", slotName[sh], n[sh]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "slots{" + strings.Join(parts, ", ") + "}"
}

// slabName is the name of the slab type of top-level record r, "" when r
// takes no slots.
func slabName(r *record) string {
	if slotsLit(r) == "" {
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
	n := staticSlots(r)
	g.p("")
	g.p("// %s holds the pool slots of a %s record outside its arrays.", name, r.name)
	g.p("type %s struct {", name)
	var fields []string
	for _, sh := range slotOrder {
		if n[sh] > 0 {
			g.p("%s [%d]%s", slotName[sh], n[sh], goType(&typ{shape: sh}))
			fields = append(fields, fmt.Sprintf("%s: s.%[1]s[:]", slotName[sh]))
		}
	}
	g.p("}")
	g.p("")
	g.p("func (s *%s) pool() pool { return pool{%s} }", name, strings.Join(fields, ", "))
}
