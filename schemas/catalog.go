package schemas

import (
	"embed"
	"encoding/binary"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/linkedin/goavro/v2"
)

// The schemas are the wire contract: avro/*.avsc are the current versions,
// avro/history/*.avsc earlier versions still readable (see doc.go).
//
//go:embed avro/*.avsc avro/history/*.avsc
var avroFS embed.FS

// Namespace is the Avro namespace of every HeldSway record.
const Namespace = "io.heldsway.v1"

// Full Avro names of the records.
const (
	NameClick       = Namespace + ".Click"
	NameOrder       = Namespace + ".Order"
	NameRefund      = Namespace + ".Refund"
	NameCode        = Namespace + ".Code"
	NameAttribution = Namespace + ".Attribution"
	NameAdjustment  = Namespace + ".Adjustment"
	NameFlag        = Namespace + ".Flag"
	NameDeadLetter  = Namespace + ".DeadLetter"
)

// kind indexes the record types.
type kind uint8

const (
	kClick kind = iota
	kOrder
	kRefund
	kCode
	kAttribution
	kAdjustment
	kFlag
	kDeadLetter
	numKinds
)

var kindNames = [numKinds]string{NameClick, NameOrder, NameRefund, NameCode, NameAttribution, NameAdjustment, NameFlag, NameDeadLetter}

var kindFiles = [numKinds]string{"click.avsc", "order.avsc", "refund.avsc", "code.avsc", "attribution.avsc", "adjustment.avsc", "flag.avsc", "deadletter.avsc"}

func (k kind) String() string { return kindNames[k] }

// short is the name without the namespace, as the Go type is named.
func (k kind) short() string { return strings.TrimPrefix(kindNames[k], Namespace+".") }

func kindByName(name string) (kind, bool) {
	for k, n := range kindNames {
		if n == name {
			return kind(k), true
		}
	}
	return 0, false
}

// topic returns the topic records of kind k are published on.
func (k kind) topic(t Topics) string {
	return [numKinds]string{t.Clicks, t.Orders, t.Refunds, t.Codes, t.Attributions, t.Adjustments, t.Flags, t.DeadLetter}[k]
}

// schema is one version of one record schema.
type schema struct {
	kind    kind
	text    string // as written (the .avsc or the registry's text)
	codec   *goavro.Codec
	rabin   uint64 // CRC-64-AVRO of the canonical form
	root    *node
	current bool
	header  [10]byte // single-object header: C3 01 + rabin little-endian
}

func newSchema(text string) (*schema, error) {
	root, err := parseSchema(text)
	if err != nil {
		return nil, err
	}
	if root.t != tRecord {
		return nil, fmt.Errorf("%w: top-level type is %s, not a record", ErrUnknownSchema, root.branch())
	}
	k, ok := kindByName(root.name)
	if !ok {
		return nil, fmt.Errorf("%w: record %s", ErrUnknownSchema, root.name)
	}
	codec, err := newCodec(text)
	if err != nil {
		return nil, err
	}
	s := &schema{kind: k, text: text, codec: codec, rabin: codec.Rabin, root: root}
	s.header[0], s.header[1] = 0xC3, 0x01
	binary.LittleEndian.PutUint64(s.header[2:], s.rabin)
	return s, nil
}

// newCodec is goavro.NewCodec, which panics on some malformed schemas (a
// registry's text is input, not code).
func newCodec(text string) (c *goavro.Codec, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("building codec: %v", r)
		}
	}()
	c, err = goavro.NewCodec(text)
	if err != nil {
		return nil, fmt.Errorf("building codec: %w", err)
	}
	return c, nil
}

// catalog is every schema this build knows.
type catalog struct {
	current [numKinds]*schema
	byRabin map[uint64]*schema // current and history
}

// known returns the embedded catalog, loading it on first use. It panics if
// an embedded schema is invalid: that is a bug in this package, caught by
// TestCatalog.
var known = sync.OnceValue(func() *catalog {
	c, err := loadCatalog(avroFS)
	if err != nil {
		panic(err)
	}
	return c
})

func loadCatalog(fsys fs.FS) (*catalog, error) {
	c := &catalog{byRabin: make(map[uint64]*schema)}
	for k, file := range kindFiles {
		s, err := loadSchema(fsys, path.Join("avro", file))
		if err != nil {
			return nil, err
		}
		if s.kind != kind(k) {
			return nil, fmt.Errorf("schemas: %s defines %s, want %s", file, s.kind, kind(k))
		}
		s.current = true
		c.current[k] = s
		c.byRabin[s.rabin] = s
	}
	hist, err := fs.Glob(fsys, "avro/history/*.avsc")
	if err != nil {
		return nil, fmt.Errorf("schemas: listing history: %w", err)
	}
	for _, p := range hist {
		s, err := loadSchema(fsys, p)
		if err != nil {
			return nil, err
		}
		if prev, dup := c.byRabin[s.rabin]; dup {
			return nil, fmt.Errorf("schemas: %s has the fingerprint of %s version already loaded", p, prev.kind)
		}
		if err := compatible(c.current[s.kind].root, s.root); err != nil {
			return nil, fmt.Errorf("schemas: %s cannot be read with the current schema: %w", p, err)
		}
		c.byRabin[s.rabin] = s
	}
	return c, nil
}

func loadSchema(fsys fs.FS, p string) (*schema, error) {
	b, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, fmt.Errorf("schemas: reading %s: %w", p, err)
	}
	s, err := newSchema(string(b))
	if err != nil {
		return nil, fmt.Errorf("schemas: loading %s: %w", p, err)
	}
	return s, nil
}

// Names returns the full Avro names of the records, inputs first.
func Names() []string { return append([]string(nil), kindNames[:]...) }

// SchemaJSON returns the current schema of the record with the full Avro
// name (e.g. NameOrder) as JSON, or "" if there is none.
func SchemaJSON(name string) string {
	k, ok := kindByName(name)
	if !ok {
		return ""
	}
	return known().current[k].text
}

// CanonicalSchema returns the Avro parsing canonical form of the current
// schema named name, or "" if there is none.
func CanonicalSchema(name string) string {
	k, ok := kindByName(name)
	if !ok {
		return ""
	}
	return known().current[k].codec.CanonicalSchema()
}

// Fingerprint returns the CRC-64-AVRO (Rabin) fingerprint of the current
// schema named name, as carried in single-object framing.
func Fingerprint(name string) (uint64, bool) {
	k, ok := kindByName(name)
	if !ok {
		return 0, false
	}
	return known().current[k].rabin, true
}

// Fingerprints returns the fingerprints of every readable version of the
// schema named name, current first, then history in ascending order.
func Fingerprints(name string) []uint64 {
	k, ok := kindByName(name)
	if !ok {
		return nil
	}
	c := known()
	var hist []uint64
	for fp, s := range c.byRabin {
		if s.kind == k && !s.current {
			hist = append(hist, fp)
		}
	}
	sort.Slice(hist, func(i, j int) bool { return hist[i] < hist[j] })
	return append([]uint64{c.current[k].rabin}, hist...)
}

// TypeOf returns the full Avro name of the record type of v, which may be
// a record value or a pointer to one.
func TypeOf(v any) (string, error) {
	k, ok := kindOf(v)
	if !ok {
		return "", fmt.Errorf("%w: %T", ErrNotRecord, v)
	}
	return kindNames[k], nil
}
