package schemas

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/linkedin/goavro/v2"
)

// atype is an Avro type.
type atype uint8

const (
	tNull atype = iota
	tBoolean
	tInt
	tLong
	tFloat
	tDouble
	tBytes
	tString
	tRecord
	tEnum
	tArray
	tMap
	tUnion
	tFixed
)

var primitives = map[string]atype{
	"null": tNull, "boolean": tBoolean, "int": tInt, "long": tLong,
	"float": tFloat, "double": tDouble, "bytes": tBytes, "string": tString,
}

var atypeNames = [...]string{
	tNull: "null", tBoolean: "boolean", tInt: "int", tLong: "long", tFloat: "float",
	tDouble: "double", tBytes: "bytes", tString: "string", tRecord: "record",
	tEnum: "enum", tArray: "array", tMap: "map", tUnion: "union", tFixed: "fixed",
}

// goavroLogical lists the logical types goavro gives their own native form
// and union branch name ("long.timestamp-millis"); others decode as the
// underlying type.
var goavroLogical = map[string]bool{
	"long.timestamp-millis": true, "long.timestamp-micros": true,
	"int.time-millis": true, "long.time-micros": true, "int.date": true,
}

// node is a parsed Avro schema: the shape the binary validator walks, the
// resolver projects onto, and the reader defaults come from.
type node struct {
	t        atype
	logical  string // "long.timestamp-millis" when goavro treats it specially
	name     string // full name of a record, enum or fixed
	fields   []field
	items    *node   // array items, map values
	members  []*node // union branches
	nsymbols int     // enum
	size     int     // fixed

	// minSize is the fewest bytes a value of this type encodes to.
	minSize int
	// hasRecord reports whether a record occurs in this type, i.e. whether
	// a value written by another schema version may lack fields.
	hasRecord bool
}

type field struct {
	name   string
	typ    *node
	hasDef bool
	def    any // goavro native form of the default
}

// branch is the key goavro uses for this type inside a union value.
func (n *node) branch() string {
	switch {
	case n.name != "":
		return n.name
	case n.logical != "":
		return n.logical
	default:
		return atypeNames[n.t]
	}
}

// member returns the union branch named b, or nil.
func (n *node) member(b string) *node {
	for _, m := range n.members {
		if m.branch() == b {
			return m
		}
	}
	return nil
}

// parseSchema parses the JSON text of an Avro schema.
func parseSchema(text string) (*node, error) {
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, fmt.Errorf("parsing schema JSON: %w", err)
	}
	p := parser{named: make(map[string]*node)}
	n, err := p.parse(v, "")
	if err != nil {
		return nil, err
	}
	computeSizes(n, make(map[*node]bool))
	return n, nil
}

type parser struct {
	named map[string]*node
	depth int
}

const maxSchemaDepth = 64

func (p *parser) parse(v any, ns string) (*node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxSchemaDepth {
		return nil, errors.New("schema nested too deeply")
	}
	switch s := v.(type) {
	case string:
		if t, ok := primitives[s]; ok {
			return &node{t: t}, nil
		}
		if n := p.lookup(s, ns); n != nil {
			return n, nil
		}
		return nil, fmt.Errorf("unknown type %q", s)
	case []any:
		n := &node{t: tUnion}
		seen := make(map[string]bool, len(s))
		for _, m := range s {
			mn, err := p.parse(m, ns)
			if err != nil {
				return nil, err
			}
			if mn.t == tUnion {
				return nil, errors.New("union directly inside a union")
			}
			if seen[mn.branch()] {
				return nil, fmt.Errorf("union has %q twice", mn.branch())
			}
			seen[mn.branch()] = true
			n.members = append(n.members, mn)
		}
		if len(n.members) == 0 {
			return nil, errors.New("empty union")
		}
		return n, nil
	case map[string]any:
		return p.parseObject(s, ns)
	default:
		return nil, fmt.Errorf("schema of JSON type %T", v)
	}
}

func (p *parser) lookup(name, ns string) *node {
	if !strings.Contains(name, ".") && ns != "" {
		if n := p.named[ns+"."+name]; n != nil {
			return n
		}
	}
	return p.named[name]
}

func (p *parser) fullName(m map[string]any, ns string) (full, childNS string, err error) {
	name, _ := m["name"].(string)
	if name == "" {
		return "", "", errors.New("named type without a name")
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name, name[:i], nil
	}
	if s, ok := m["namespace"].(string); ok {
		ns = s
	}
	if ns == "" {
		return name, "", nil
	}
	return ns + "." + name, ns, nil
}

func (p *parser) define(m map[string]any, ns string, n *node) (string, error) {
	full, childNS, err := p.fullName(m, ns)
	if err != nil {
		return "", err
	}
	if _, dup := p.named[full]; dup {
		return "", fmt.Errorf("type %q defined twice", full)
	}
	n.name = full
	p.named[full] = n
	return childNS, nil
}

func (p *parser) parseObject(m map[string]any, ns string) (*node, error) {
	switch t := m["type"].(type) {
	case string:
		switch t {
		case "record", "error":
			return p.parseRecord(m, ns)
		case "enum":
			n := &node{t: tEnum}
			if _, err := p.define(m, ns, n); err != nil {
				return nil, err
			}
			syms, _ := m["symbols"].([]any)
			if len(syms) == 0 {
				return nil, fmt.Errorf("enum %s without symbols", n.name)
			}
			n.nsymbols = len(syms)
			return n, nil
		case "fixed":
			n := &node{t: tFixed}
			if _, err := p.define(m, ns, n); err != nil {
				return nil, err
			}
			size, ok := m["size"].(float64)
			if !ok || size < 0 || size > 1<<20 || size != float64(int(size)) {
				return nil, fmt.Errorf("fixed %s with invalid size", n.name)
			}
			n.size = int(size)
			return n, nil
		case "array":
			items, err := p.parse(m["items"], ns)
			if err != nil {
				return nil, fmt.Errorf("array items: %w", err)
			}
			return &node{t: tArray, items: items}, nil
		case "map":
			values, err := p.parse(m["values"], ns)
			if err != nil {
				return nil, fmt.Errorf("map values: %w", err)
			}
			return &node{t: tMap, items: values}, nil
		}
		n, err := p.parse(t, ns)
		if err != nil {
			return nil, err
		}
		if lt, ok := m["logicalType"].(string); ok && n.name == "" && n.t != tUnion {
			if key := atypeNames[n.t] + "." + lt; goavroLogical[key] {
				c := *n
				c.logical = key
				return &c, nil
			}
		}
		return n, nil
	case nil:
		return nil, errors.New("object schema without a type")
	default:
		return p.parse(t, ns)
	}
}

func (p *parser) parseRecord(m map[string]any, ns string) (*node, error) {
	n := &node{t: tRecord}
	childNS, err := p.define(m, ns, n)
	if err != nil {
		return nil, err
	}
	fs, ok := m["fields"].([]any)
	if !ok {
		return nil, fmt.Errorf("record %s without fields", n.name)
	}
	seen := make(map[string]bool, len(fs))
	for _, f := range fs {
		fm, ok := f.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("record %s: field is not an object", n.name)
		}
		name, _ := fm["name"].(string)
		if name == "" || seen[name] {
			return nil, fmt.Errorf("record %s: missing or repeated field name %q", n.name, name)
		}
		seen[name] = true
		typ, err := p.parse(fm["type"], childNS)
		if err != nil {
			return nil, fmt.Errorf("record %s field %s: %w", n.name, name, err)
		}
		fd := field{name: name, typ: typ}
		if d, ok := fm["default"]; ok {
			fd.def, err = defaultNative(typ, d)
			if err != nil {
				return nil, fmt.Errorf("record %s field %s default: %w", n.name, name, err)
			}
			fd.hasDef = true
		}
		n.fields = append(n.fields, fd)
	}
	return n, nil
}

// defaultNative converts a JSON default to the goavro native form of typ.
func defaultNative(typ *node, d any) (any, error) {
	bad := func() error { return fmt.Errorf("%v is not a valid %s", d, typ.branch()) }
	switch typ.t {
	case tNull:
		if d != nil {
			return nil, bad()
		}
		return nil, nil
	case tBoolean:
		b, ok := d.(bool)
		if !ok {
			return nil, bad()
		}
		return b, nil
	case tInt, tLong, tFloat, tDouble:
		f, ok := d.(float64)
		if !ok {
			return nil, bad()
		}
		switch typ.t {
		case tInt:
			if f != float64(int32(f)) {
				return nil, bad()
			}
			return int32(f), nil
		case tLong:
			if f != float64(int64(f)) {
				return nil, bad()
			}
			if typ.logical == "long.timestamp-millis" {
				return timeFromMillis(int64(f)), nil
			}
			return int64(f), nil
		case tFloat:
			return float32(f), nil
		}
		return f, nil
	case tBytes, tFixed, tString, tEnum:
		s, ok := d.(string)
		if !ok {
			return nil, bad()
		}
		if typ.t == tString || typ.t == tEnum {
			return s, nil
		}
		// Avro maps code points 0-255 to bytes.
		b := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 255 {
				return nil, bad()
			}
			b = append(b, byte(r))
		}
		if typ.t == tFixed && len(b) != typ.size {
			return nil, bad()
		}
		return b, nil
	case tArray:
		a, ok := d.([]any)
		if !ok {
			return nil, bad()
		}
		out := make([]any, len(a))
		for i, x := range a {
			v, err := defaultNative(typ.items, x)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case tMap:
		m, ok := d.(map[string]any)
		if !ok {
			return nil, bad()
		}
		out := make(map[string]any, len(m))
		for k, x := range m {
			v, err := defaultNative(typ.items, x)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	case tRecord:
		m, ok := d.(map[string]any)
		if !ok {
			return nil, bad()
		}
		out := make(map[string]any, len(typ.fields))
		for _, f := range typ.fields {
			x, ok := m[f.name]
			if !ok {
				if !f.hasDef {
					return nil, fmt.Errorf("record default lacks field %s", f.name)
				}
				out[f.name] = f.def
				continue
			}
			v, err := defaultNative(f.typ, x)
			if err != nil {
				return nil, err
			}
			out[f.name] = v
		}
		return out, nil
	case tUnion:
		// A union's default belongs to its first branch.
		first := typ.members[0]
		v, err := defaultNative(first, d)
		if err != nil {
			return nil, err
		}
		if first.t == tNull {
			return nil, nil
		}
		return goavro.Union(first.branch(), v), nil
	}
	return nil, bad()
}

// computeSizes fills minSize and hasRecord; in-progress (recursive) types
// count as zero bytes.
func computeSizes(n *node, busy map[*node]bool) {
	if busy[n] {
		return
	}
	busy[n] = true
	defer delete(busy, n)
	switch n.t {
	case tNull:
		n.minSize = 0
	case tBoolean, tInt, tLong, tBytes, tString, tEnum:
		n.minSize = 1
	case tFloat:
		n.minSize = 4
	case tDouble:
		n.minSize = 8
	case tFixed:
		n.minSize = n.size
	case tArray, tMap:
		computeSizes(n.items, busy)
		n.minSize = 1
		n.hasRecord = n.items.hasRecord
	case tUnion:
		n.minSize = 1
		for _, m := range n.members {
			computeSizes(m, busy)
			n.hasRecord = n.hasRecord || m.hasRecord
		}
	case tRecord:
		n.hasRecord = true
		size := 0
		for _, f := range n.fields {
			computeSizes(f.typ, busy)
			size += f.typ.minSize
		}
		n.minSize = size
	}
}

// timeFromMillis is goavro's native form of timestamp-millis.
func timeFromMillis(ms int64) time.Time {
	return time.UnixMilli(ms).UTC()
}
