package schemas

import (
	"fmt"
	"time"

	"github.com/linkedin/goavro/v2"
)

// goavro has no reader/writer schema resolution: it decodes a record into
// the shape of the schema it was written with. This file supplies the part
// of Avro schema resolution HeldSway relies on. A record is decoded with its
// writer's schema and then projected onto the reader (current) schema:
// fields the writer lacks get the reader's declared default, fields the
// reader does not know are left for the typed conversion to ignore.

// compatible reports whether data written with w can be read as r, per the
// Avro resolution rules HeldSway supports: same named types, reader fields
// missing from the writer have defaults, int promotes to long, float and
// double, long to float and double, string and bytes interchange, and a
// union on either side matches by branch.
func compatible(r, w *node) error {
	return compat(r, w, "", make(map[[2]*node]bool))
}

func compat(r, w *node, path string, seen map[[2]*node]bool) error {
	if seen[[2]*node{r, w}] {
		return nil // recursive type already being checked
	}
	seen[[2]*node{r, w}] = true
	if w.t == tUnion {
		for _, wm := range w.members {
			if err := compat(r, wm, path, seen); err != nil {
				return err
			}
		}
		return nil
	}
	if r.t == tUnion {
		if m := r.member(w.branch()); m != nil {
			return compat(m, w, path, seen)
		}
		for _, m := range r.members {
			if compat(m, w, path, seen) == nil {
				return nil
			}
		}
		return fmt.Errorf("%w: %s: writer type %s matches no branch of the reader union", ErrIncompatibleSchema, pathOrRoot(path), w.branch())
	}
	mismatch := func() error {
		return fmt.Errorf("%w: %s: writer type %s cannot be read as %s", ErrIncompatibleSchema, pathOrRoot(path), w.branch(), r.branch())
	}
	switch r.t {
	case tRecord:
		if w.t != tRecord || w.name != r.name {
			return mismatch()
		}
		for _, rf := range r.fields {
			wf := w.field(rf.name)
			if wf == nil {
				if !rf.hasDef {
					return fmt.Errorf("%w: %s.%s is missing from the writer schema and has no default", ErrIncompatibleSchema, r.name, rf.name)
				}
				continue
			}
			if err := compat(rf.typ, wf.typ, r.name+"."+rf.name, seen); err != nil {
				return err
			}
		}
		return nil
	case tArray, tMap:
		if w.t != r.t {
			return mismatch()
		}
		return compat(r.items, w.items, path+"[]", seen)
	case tEnum, tFixed:
		if w.t != r.t || w.name != r.name || (r.t == tFixed && w.size != r.size) {
			return mismatch()
		}
		return nil
	case tLong:
		if w.t == tInt || w.t == tLong {
			return nil
		}
	case tFloat:
		if w.t == tInt || w.t == tLong || w.t == tFloat {
			return nil
		}
	case tDouble:
		if w.t == tInt || w.t == tLong || w.t == tFloat || w.t == tDouble {
			return nil
		}
	case tString, tBytes:
		if w.t == tString || w.t == tBytes {
			return nil
		}
	default:
		if w.t == r.t {
			return nil
		}
	}
	return mismatch()
}

func pathOrRoot(p string) string {
	if p == "" {
		return "record"
	}
	return p
}

func (n *node) field(name string) *field {
	for i := range n.fields {
		if n.fields[i].name == name {
			return &n.fields[i]
		}
	}
	return nil
}

// project converts v, a goavro native value decoded with writer schema w,
// into the native form of reader schema r: reader fields the writer lacks
// get r's defaults, writer fields r does not know are dropped, unions are
// entered or left, and numbers, strings and timestamps are promoted. It
// mutates freshly decoded maps and slices in place; defaults are shared
// values, stored without copying. compatible(r, w) must have passed.
func project(r, w *node, v any) (any, error) {
	if r == w {
		return v, nil
	}
	if w.t == tUnion {
		if v == nil {
			wm := w.member("null")
			if wm == nil {
				return nil, fmt.Errorf("%w: null for a union without null", ErrMalformed)
			}
			return project(r, wm, nil)
		}
		u, ok := v.(map[string]any)
		if !ok || len(u) != 1 {
			return nil, fmt.Errorf("%w: union value of type %T", ErrMalformed, v)
		}
		for b, x := range u {
			wm := w.member(b)
			if wm == nil {
				return nil, fmt.Errorf("%w: union branch %s not in the writer schema", ErrMalformed, b)
			}
			return project(r, wm, x)
		}
	}
	if r.t == tUnion {
		rm := r.member(w.branch())
		if rm == nil {
			for _, m := range r.members {
				if compatible(m, w) == nil {
					rm = m
					break
				}
			}
		}
		if rm == nil {
			return nil, fmt.Errorf("%w: writer type %s matches no branch of the reader union", ErrIncompatibleSchema, w.branch())
		}
		x, err := project(rm, w, v)
		if err != nil || rm.t == tNull {
			return nil, err
		}
		return goavro.Union(rm.branch(), x), nil
	}
	switch r.t {
	case tRecord:
		m, ok := v.(map[string]any)
		if !ok || w.t != tRecord {
			return nil, fmt.Errorf("%w: %s: record value of type %T", ErrMalformed, r.name, v)
		}
		for _, wf := range w.fields {
			if r.field(wf.name) == nil {
				delete(m, wf.name)
			}
		}
		for i := range r.fields {
			rf := &r.fields[i]
			wf := w.field(rf.name)
			if wf == nil {
				if !rf.hasDef {
					return nil, fmt.Errorf("%w: %s.%s is missing from the writer schema and has no default", ErrIncompatibleSchema, r.name, rf.name)
				}
				m[rf.name] = rf.def
				continue
			}
			x, err := project(rf.typ, wf.typ, m[rf.name])
			if err != nil {
				return nil, err
			}
			m[rf.name] = x
		}
		return m, nil
	case tArray:
		a, _ := v.([]any)
		for i, x := range a {
			y, err := project(r.items, w.items, x)
			if err != nil {
				return nil, err
			}
			a[i] = y
		}
		return v, nil
	case tMap:
		m, _ := v.(map[string]any)
		for k, x := range m {
			y, err := project(r.items, w.items, x)
			if err != nil {
				return nil, err
			}
			m[k] = y
		}
		return v, nil
	case tLong, tFloat, tDouble:
		return promoteNumber(r, v)
	case tString:
		if b, ok := v.([]byte); ok {
			return string(b), nil
		}
	case tBytes:
		if s, ok := v.(string); ok {
			return []byte(s), nil
		}
	}
	return v, nil
}

func promoteNumber(r *node, v any) (any, error) {
	var i int64
	switch x := v.(type) {
	case int32:
		i = int64(x)
	case int64:
		i = x
	case time.Time:
		i = x.UnixMilli()
		if r.t == tLong && r.logical == "long.timestamp-millis" {
			return x, nil
		}
	case float32:
		if r.t == tDouble {
			return float64(x), nil
		}
		return v, nil
	default:
		return v, nil
	}
	switch {
	case r.t == tFloat:
		return float32(i), nil
	case r.t == tDouble:
		return float64(i), nil
	case r.logical == "long.timestamp-millis":
		return timeFromMillis(i), nil
	}
	return i, nil
}
