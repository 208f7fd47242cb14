package avrogen

import (
	"fmt"
	"strings"
)

// The decoder reads a record's optional values and string array items into
// pool slots, one array per type allocated before the record is read
// (wire.go's reserve). A record whose slot count the schema fixes reserves
// a constant; one with arrays or optional records first walks its body with
// a generated countR to count them.

// slotName names the wdec slots field counting optional values of each
// shape; shapes without one take no slot.
var slotName = map[shape]string{sString: "strs", sLong: "longs", sInt: "ints", sBoolean: "bools", sTime: "times"}

// slotOrder is the order slot counts are written in.
var slotOrder = []shape{sString, sLong, sInt, sBoolean, sTime}

// staticSlots returns the slots reading r takes, by shape, and whether the
// schema fixes them: false when r holds an array or an optional record,
// whose slots depend on the data (or holds itself, which no data can).
func staticSlots(r *record) (map[shape]int, bool) { return staticSlotsIn(r, map[*record]bool{}) }

func staticSlotsIn(r *record, open map[*record]bool) (map[shape]int, bool) {
	if open[r] {
		return nil, false
	}
	open[r] = true
	defer delete(open, r)
	n := map[shape]int{}
	for _, f := range r.fields {
		switch t := f.t; {
		case t.shape == sArray, t.shape == sOptional && t.elem.shape == sRecord:
			return nil, false
		case t.shape == sRecord:
			sub, ok := staticSlotsIn(t.rec, open)
			if !ok {
				return nil, false
			}
			for sh, c := range sub {
				n[sh] += c
			}
		case t.shape == sOptional && slotName[t.elem.shape] != "":
			n[t.elem.shape]++
		}
	}
	return n, true
}

// reserveExpr is the statement reserving slots for top-level record r
// ("" when it takes none), marking the records whose countR it needs.
func (g *gen) reserveExpr(r *record) string {
	n, ok := staticSlots(r)
	if !ok {
		g.markCounted(r)
		return fmt.Sprintf("d.reserve(d.count(count%s))", r.name)
	}
	var parts []string
	for _, sh := range slotOrder {
		if n[sh] > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d", slotName[sh], n[sh]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "d.reserve(slots{" + strings.Join(parts, ", ") + "})"
}

// markCounted marks r and every record it holds as needing a countR.
func (g *gen) markCounted(r *record) {
	if g.counted[r] {
		return
	}
	g.counted[r] = true
	for _, f := range r.fields {
		t := f.t
		if t.shape == sArray || t.shape == sOptional {
			t = t.elem
		}
		if t.shape == sRecord {
			g.markCounted(t.rec)
		}
	}
}

// count emits countR, which skips a record of r, adding the slots reading
// it takes to n.
func (g *gen) count(r *record) {
	g.p("")
	g.p("func count%s(d *wdec, n *slots) {", r.name)
	for _, f := range r.fields {
		g.countField(f.t)
	}
	g.p("}")
}

func (g *gen) countField(t *typ) {
	switch t.shape {
	case sString, sBytes:
		g.p("d.raw()")
	case sLong, sTime:
		g.p("d.long()")
	case sInt:
		g.p("d.int()")
	case sBoolean:
		g.p("d.boolean()")
	case sRecord:
		g.p("count%s(d, n)", t.rec.name)
	case sArray:
		if t.elem.shape == sString {
			g.p("n.strs += d.skipStrs()")
			return
		}
		size := minSize(t.elem)
		g.p("for k := d.block(%d); k > 0; k = d.block(%[1]d) {", size)
		g.p("for range k { count%s(d, n) }", t.elem.rec.name)
		g.p("}")
	case sMap:
		g.p("d.skipStrMap()")
	case sOptional:
		g.p("if d.present() {")
		if name := slotName[t.elem.shape]; name != "" {
			g.p("n.%s++", name)
		}
		g.countField(t.elem)
		g.p("}")
	}
}
