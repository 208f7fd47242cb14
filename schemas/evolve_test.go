package schemas

import (
	"errors"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

// v0 returns the embedded previous version of the schema named name.
func v0(t *testing.T, name string) *schema {
	t.Helper()
	fps := Fingerprints(name)
	if len(fps) != 2 {
		t.Fatalf("%s has %d versions, want 2", name, len(fps))
	}
	return known().byRabin[fps[1]]
}

// writeV0 encodes v with the v0 schema of its type, through goavro (which
// skips the native fields v0 does not have).
func writeV0(t *testing.T, v any) (*schema, []byte) {
	t.Helper()
	k, native, err := toNative(v)
	if err != nil {
		t.Fatal(err)
	}
	w := v0(t, k.String())
	body, err := w.codec.BinaryFromNative(nil, native)
	if err != nil {
		t.Fatal(err)
	}
	return w, body
}

// Records as the current schema reads them when written with v0.
func orderAsV0() *Order {
	o := fullOrder()
	o.Shipping, o.Tax, o.LandingURL, o.CodeAppliedAt = 0, 0, nil, nil
	for i := range o.Codes {
		o.Codes[i].RemoteID = nil
	}
	return o
}

func clickAsV0() *Click {
	c := fullClick()
	c.PageType, c.IsBot, c.BotReason = nil, false, nil
	return c
}

func TestEvolutionSingleObject(t *testing.T) {
	s := NewSerde()
	for _, c := range []struct {
		in, want any
	}{
		{fullOrder(), orderAsV0()},
		{fullClick(), clickAsV0()},
		{&Order{}, &Order{}},
		{&Click{}, &Click{}},
	} {
		w, body := writeV0(t, c.in)
		if w.rabin == known().current[w.kind].rabin {
			t.Fatal("v0 has the current fingerprint")
		}
		frame := append(w.header[:], body...)
		// goavro's own single-object framing is the same.
		_, native, _ := toNative(c.in)
		if soe, _ := w.codec.SingleFromNative(nil, native); string(soe) != string(frame) {
			t.Fatalf("frame %x, goavro %x", frame, soe)
		}
		got, err := s.DecodeAny(frame)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Fatalf("got %+v\nwant %+v", got, c.want)
		}
		into := newRecord(w.kind)
		if err := s.Decode(frame, into); err != nil || !reflect.DeepEqual(into, c.want) {
			t.Fatalf("Decode: %v, %+v", err, into)
		}
		// Errors on the goavro path are classified too.
		if err := s.Decode(frame[:len(frame)-1], into); !errors.Is(err, ErrTruncated) {
			t.Fatalf("truncated v0: %v", err)
		}
		if err := s.Decode(append(frame, 0), into); !errors.Is(err, ErrTrailingBytes) {
			t.Fatalf("v0 with trailing byte: %v", err)
		}
	}
}

func TestEvolutionConfluent(t *testing.T) {
	reg, cl := newFakeRegistry(t)
	s := NewSerde(WithRegistry(cl))
	for i, c := range []struct {
		in, want any
	}{
		{fullOrder(), orderAsV0()},
		{fullClick(), clickAsV0()},
	} {
		w, body := writeV0(t, c.in)
		id := 100 + 100*i // clear of the ids registering assigns
		reg.SeedSchema(s.Subject(w.kind.String()), 1, id, sr.Schema{Schema: w.text})
		frame := append([]byte{0, 0, 0, 0, byte(id)}, body...)
		got, err := s.DecodeAny(frame)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Fatalf("got %+v\nwant %+v", got, c.want)
		}
		// The current schema then registers as version 2 beside it.
		if _, err := s.Encode(c.in); err != nil {
			t.Fatal(err)
		}
		if _, ok := reg.GetSchema(s.Subject(w.kind.String()), 2); !ok {
			t.Fatal("current schema not registered as version 2")
		}
	}
}

func TestCompatible(t *testing.T) {
	reader := `{"type":"record","name":"R","fields":[
		{"name":"a","type":"long"},
		{"name":"b","type":["null","string"],"default":null},
		{"name":"c","type":{"type":"array","items":"string"},"default":[]}]}`
	cases := []struct {
		name   string
		writer string
		ok     bool
	}{
		{"same", reader, true},
		{"fewer fields with defaults", `{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}`, true},
		{"extra field", `{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"z","type":"bytes"}]}`, true},
		{"int promotes to long", `{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}`, true},
		{"plain string into union", `{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"string"}]}`, true},
		{"missing field without default", `{"type":"record","name":"R","fields":[{"name":"b","type":"string"}]}`, false},
		{"retyped", `{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}`, false},
		{"long does not narrow", `{"type":"record","name":"R","fields":[{"name":"a","type":"double"}]}`, false},
		{"renamed record", `{"type":"record","name":"S","fields":[{"name":"a","type":"long"}]}`, false},
		{"union branch unknown to reader", `{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":["null","string","long"]}]}`, false},
	}
	r, err := parseSchema(reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := parseSchema(c.writer)
			if err != nil {
				t.Fatal(err)
			}
			err = compatible(r, w)
			if (err == nil) != c.ok {
				t.Fatalf("compatible = %v, want ok=%v", err, c.ok)
			}
			if err != nil && !errors.Is(err, ErrIncompatibleSchema) {
				t.Fatalf("error %v is not ErrIncompatibleSchema", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	n, err := parseSchema(`{"type":"record","name":"D","fields":[
		{"name":"n","type":"null","default":null},
		{"name":"b","type":"boolean","default":true},
		{"name":"i","type":"int","default":-3},
		{"name":"l","type":"long","default":1234567890123},
		{"name":"f","type":"float","default":1.5},
		{"name":"d","type":"double","default":2.5},
		{"name":"s","type":"string","default":"x"},
		{"name":"y","type":"bytes","default":"\u00ff\u0001"},
		{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]},"default":"B"},
		{"name":"x","type":{"type":"fixed","name":"F","size":2},"default":"ab"},
		{"name":"a","type":{"type":"array","items":"int"},"default":[1,2]},
		{"name":"m","type":{"type":"map","values":"long"},"default":{"k":7}},
		{"name":"u","type":["string","null"],"default":"first"},
		{"name":"t","type":{"type":"long","logicalType":"timestamp-millis"},"default":1000},
		{"name":"r","type":{"type":"record","name":"Inner","fields":[{"name":"q","type":"int","default":9}]},"default":{}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"n": nil, "b": true, "i": int32(-3), "l": int64(1234567890123), "f": float32(1.5), "d": 2.5, "s": "x",
		"y": []byte{0xff, 1}, "e": "B", "x": []byte("ab"), "a": []any{int32(1), int32(2)}, "m": map[string]any{"k": int64(7)},
		"u": map[string]any{"string": "first"}, "t": timeFromMillis(1000), "r": map[string]any{"q": int32(9)},
	}
	for _, f := range n.fields {
		if !f.hasDef || !reflect.DeepEqual(f.def, want[f.name]) {
			t.Errorf("default of %s = %#v, want %#v", f.name, f.def, want[f.name])
		}
	}
	for _, bad := range []string{
		`{"type":"record","name":"D","fields":[{"name":"i","type":"int","default":"x"}]}`,
		`{"type":"record","name":"D","fields":[{"name":"i","type":"int","default":1.5}]}`,
		`{"type":"record","name":"D","fields":[{"name":"u","type":["null","string"],"default":"x"}]}`,
		`{"type":"record","name":"D","fields":[{"name":"y","type":"bytes","default":"\u0100"}]}`,
	} {
		if _, err := parseSchema(bad); err == nil {
			t.Errorf("accepted bad default: %s", bad)
		}
	}
}
