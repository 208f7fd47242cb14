package schemas

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/linkedin/goavro/v2"
)

// TestCatalog loads every embedded schema: known() panics on an invalid
// one, so this is the test that catches it first.
func TestCatalog(t *testing.T) {
	c, err := loadCatalog(avroFS)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.byRabin) != int(numKinds)+2 {
		t.Errorf("%d schema versions, want %d current and 2 history", len(c.byRabin), numKinds)
	}
	for k, s := range c.current {
		name := kindNames[k]
		if SchemaJSON(name) != s.text || !strings.Contains(s.text, `"namespace": "io.heldsway.v1"`) {
			t.Errorf("SchemaJSON(%s) is not the embedded schema", name)
		}
		codec, err := goavro.NewCodec(SchemaJSON(name))
		if err != nil {
			t.Fatal(err)
		}
		if fp, _ := Fingerprint(name); fp != codec.Rabin {
			t.Errorf("Fingerprint(%s) = %x, goavro %x", name, fp, codec.Rabin)
		}
		if CanonicalSchema(name) != codec.CanonicalSchema() {
			t.Errorf("CanonicalSchema(%s) differs from goavro's", name)
		}
		if s.root.minSize < 1 {
			t.Errorf("%s min size %d", name, s.root.minSize)
		}
	}
	if SchemaJSON("io.heldsway.v1.Nope") != "" || CanonicalSchema("Order") != "" || Fingerprints("x") != nil {
		t.Error("unknown names should give zero values")
	}
	if _, ok := Fingerprint("Order"); ok {
		t.Error("Fingerprint takes full names only")
	}
	if got := Names(); len(got) != int(numKinds) || got[1] != NameOrder {
		t.Errorf("Names() = %v", got)
	}
}

func TestLoadCatalogRejects(t *testing.T) {
	good := make(fstest.MapFS)
	for _, f := range kindFiles {
		good["avro/"+f] = &fstest.MapFile{Data: []byte(SchemaJSON(kindNames[kindOfFile(f)]))}
	}
	if _, err := loadCatalog(good); err != nil {
		t.Fatalf("good catalog: %v", err)
	}
	with := func(path, text string) fstest.MapFS {
		m := make(fstest.MapFS, len(good)+1)
		for k, v := range good {
			m[k] = v
		}
		m[path] = &fstest.MapFile{Data: []byte(text)}
		return m
	}
	cases := map[string]fstest.MapFS{
		"invalid JSON":         with("avro/order.avsc", `{"type":"record",`),
		"invalid Avro":         with("avro/order.avsc", `{"type":"record","name":"io.heldsway.v1.Order","fields":[{"name":"a","type":"nope"}]}`),
		"wrong record":         with("avro/order.avsc", SchemaJSON(NameClick)),
		"foreign record":       with("avro/order.avsc", `{"type":"record","name":"x.Y","fields":[]}`),
		"bad default":          with("avro/order.avsc", `{"type":"record","name":"io.heldsway.v1.Order","fields":[{"name":"a","type":"long","default":"x"}]}`),
		"incompatible v0":      with("avro/history/order.v0.avsc", `{"type":"record","name":"io.heldsway.v1.Order","fields":[{"name":"total","type":"string"}]}`),
		"history as current":   with("avro/history/order.v0.avsc", SchemaJSON(NameOrder)),
		"missing current":      func() fstest.MapFS { m := with("x", ""); delete(m, "avro/flag.avsc"); return m }(),
		"history not a record": with("avro/history/x.avsc", `"string"`),
	}
	for name, fsys := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := loadCatalog(fsys); err == nil {
				t.Fatal("loaded")
			}
		})
	}
}

func kindOfFile(f string) kind {
	for k, ff := range kindFiles {
		if ff == f {
			return kind(k)
		}
	}
	panic(f)
}

func TestTypeOf(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{&Click{}, NameClick}, {Click{}, NameClick},
		{&Order{}, NameOrder}, {Order{}, NameOrder},
		{&Refund{}, NameRefund}, {&Code{}, NameCode},
		{&Attribution{}, NameAttribution}, {&Adjustment{}, NameAdjustment},
		{&Flag{}, NameFlag}, {DeadLetter{}, NameDeadLetter},
	}
	for _, c := range cases {
		if got, err := TypeOf(c.v); err != nil || got != c.want {
			t.Errorf("TypeOf(%T) = %q, %v; want %q", c.v, got, err, c.want)
		}
	}
	for _, v := range []any{nil, 1, &Customer{}, AppliedCode{}} {
		if _, err := TypeOf(v); !errors.Is(err, ErrNotRecord) {
			t.Errorf("TypeOf(%T): %v", v, err)
		}
	}
}
