package avrogen

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupported marks a schema shape the generator does not handle.
var ErrUnsupported = errors.New("avrogen: unsupported schema")

// shape is the kind of an Avro type as the generator sees it.
type shape uint8

const (
	sString shape = iota
	sLong
	sInt
	sBoolean
	sBytes
	sTime // long with logicalType timestamp-millis
	sRecord
	sArray
	sMap
	sOptional // ["null", T]
)

// typ is a parsed Avro type.
type typ struct {
	shape shape
	rec   *record // sRecord
	elem  *typ    // sArray items, sMap values, sOptional's T
}

// record is a parsed Avro record.
type record struct {
	name     string // Go type name: the Avro name without namespace
	fullName string
	doc      string
	file     string // .avsc file that holds it
	parent   string // Go name of the record whose field defines it; "" at top level
	fields   []field
}

type field struct {
	name   string // Avro name
	path   string // dotted from the top-level record, for error messages
	goName string
	doc    string
	t      *typ
}

// parser turns .avsc JSON into records, in definition order.
type parser struct {
	file    string
	named   map[string]*record // by full name
	records []*record          // every record, in the order defined
}

func (p *parser) parseFile(text string) (*record, error) {
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", p.file, err)
	}
	t, err := p.parseType(v, "", "", "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.file, err)
	}
	if t.shape != sRecord {
		return nil, fmt.Errorf("%s: %w: top-level type is not a record", p.file, ErrUnsupported)
	}
	return t.rec, nil
}

// parseType parses v, found at path (for errors), in namespace ns, inside
// the record named parent.
func (p *parser) parseType(v any, ns, path, parent string) (*typ, error) {
	switch x := v.(type) {
	case string:
		switch x {
		case "string":
			return &typ{shape: sString}, nil
		case "long":
			return &typ{shape: sLong}, nil
		case "int":
			return &typ{shape: sInt}, nil
		case "boolean":
			return &typ{shape: sBoolean}, nil
		case "bytes":
			return &typ{shape: sBytes}, nil
		}
		full := x
		if !strings.Contains(x, ".") && ns != "" {
			full = ns + "." + x
		}
		if r, ok := p.named[full]; ok {
			return &typ{shape: sRecord, rec: r}, nil
		}
		return nil, fmt.Errorf("%w: %s: type %q", ErrUnsupported, path, x)
	case []any:
		if len(x) != 2 || x[0] != "null" {
			return nil, fmt.Errorf("%w: %s: a union other than [\"null\", T]", ErrUnsupported, path)
		}
		t, err := p.parseType(x[1], ns, path, parent)
		if err != nil {
			return nil, err
		}
		if t.shape == sArray || t.shape == sMap || t.shape == sOptional {
			return nil, fmt.Errorf("%w: %s: optional array or map", ErrUnsupported, path)
		}
		return &typ{shape: sOptional, elem: t}, nil
	case map[string]any:
		switch x["type"] {
		case "record":
			return p.parseRecord(x, ns, path, parent)
		case "array":
			t, err := p.parseType(x["items"], ns, path, parent)
			if err != nil {
				return nil, err
			}
			if t.shape != sString && t.shape != sRecord {
				return nil, fmt.Errorf("%w: %s: array of other than strings or records", ErrUnsupported, path)
			}
			return &typ{shape: sArray, elem: t}, nil
		case "map":
			t, err := p.parseType(x["values"], ns, path, parent)
			if err != nil {
				return nil, err
			}
			if t.shape != sString {
				return nil, fmt.Errorf("%w: %s: map of other than strings", ErrUnsupported, path)
			}
			return &typ{shape: sMap, elem: t}, nil
		case "long":
			if x["logicalType"] == "timestamp-millis" {
				return &typ{shape: sTime}, nil
			}
			if _, ok := x["logicalType"]; !ok {
				return &typ{shape: sLong}, nil
			}
		case "string", "int", "boolean", "bytes":
			if _, ok := x["logicalType"]; !ok {
				return p.parseType(x["type"], ns, path, parent)
			}
		}
		return nil, fmt.Errorf("%w: %s: type %v", ErrUnsupported, path, x["type"])
	}
	return nil, fmt.Errorf("%w: %s: type %v", ErrUnsupported, path, v)
}

func (p *parser) parseRecord(x map[string]any, ns, path, parent string) (*typ, error) {
	name, _ := x["name"].(string)
	if name == "" {
		return nil, fmt.Errorf("%w: %s: record without a name", ErrUnsupported, path)
	}
	if s, ok := x["namespace"].(string); ok {
		ns = s
	}
	full := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ns, name = name[:i], name[i+1:]
	} else if ns != "" {
		full = ns + "." + name
	}
	if _, dup := p.named[full]; dup {
		return nil, fmt.Errorf("%w: %s: record %s defined twice", ErrUnsupported, path, full)
	}
	doc, _ := x["doc"].(string)
	r := &record{name: name, fullName: full, doc: doc, file: p.file, parent: parent}
	p.named[full] = r
	p.records = append(p.records, r)
	fields, _ := x["fields"].([]any)
	if len(fields) == 0 {
		return nil, fmt.Errorf("%w: %s: record %s has no fields", ErrUnsupported, path, full)
	}
	for _, f := range fields {
		fm, _ := f.(map[string]any)
		fname, _ := fm["name"].(string)
		if fname == "" {
			return nil, fmt.Errorf("%w: %s: field without a name in %s", ErrUnsupported, path, full)
		}
		fpath := fname
		if path != "" {
			fpath = path + "." + fname
		}
		t, err := p.parseType(fm["type"], ns, fpath, name)
		if err != nil {
			return nil, err
		}
		fdoc, _ := fm["doc"].(string)
		r.fields = append(r.fields, field{name: fname, path: fpath, goName: goName(fname), doc: fdoc, t: t})
	}
	return &typ{shape: sRecord, rec: r}, nil
}

// initialisms are the words written in capitals in Go names.
var initialisms = map[string]string{"id": "ID", "url": "URL", "ip": "IP", "bp": "BP"}

// goName is the Go name of an Avro field: snake_case to CamelCase, with
// initialisms in capitals (click_id: ClickID).
func goName(avro string) string {
	var b strings.Builder
	for w := range strings.SplitSeq(avro, "_") {
		if w == "" {
			continue
		}
		if up, ok := initialisms[w]; ok {
			b.WriteString(up)
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// minSize is a lower bound, at least 1, of the bytes a value of t takes in
// Avro binary. A record that contains itself counts 1 where it recurs.
func minSize(t *typ) int { return max(1, minSizeIn(t, map[*record]bool{})) }

func minSizeIn(t *typ, open map[*record]bool) int {
	switch t.shape {
	case sRecord:
		if open[t.rec] {
			return 1
		}
		open[t.rec] = true
		defer delete(open, t.rec)
		n := 0
		for _, f := range t.rec.fields {
			n += minSizeIn(f.t, open)
		}
		return n
	default: // a boolean, a varint, a length, a union branch or an end-of-blocks zero
		return 1
	}
}
