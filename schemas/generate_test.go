package schemas

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/heldsway/heldsway/schemas/internal/avrogen"
)

// TestGeneratedCodeIsCurrent fails when types_gen.go or codec_gen.go is
// not what the generator makes of avro/*.avsc today: someone edited a
// schema (or the generator) without running go generate ./schemas, or
// edited a generated file by hand.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	files, err := avrogen.Generate(os.DirFS("."))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("the generator returned no files")
	}
	for name, want := range files {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("%v: run go generate ./schemas", err)
		}
		if line, have, want, ok := firstDiff(got, want); !ok {
			t.Errorf("%s is stale: run go generate ./schemas\nfirst difference, line %d:\n have %q\n want %q", name, line, have, want)
		}
	}
}

// firstDiff returns the first line where a and b differ; ok if none does.
func firstDiff(a, b []byte) (line int, la, lb string, ok bool) {
	if bytes.Equal(a, b) {
		return 0, "", "", true
	}
	as, bs := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; ; i++ {
		la, lb = "", ""
		if i < len(as) {
			la = as[i]
		}
		if i < len(bs) {
			lb = bs[i]
		}
		if la != lb || i >= max(len(as), len(bs)) {
			return i + 1, la, lb, false
		}
	}
}

// TestGoavroRoundTrip checks the generated codec against goavro alone
// (not through the generated native conversions): goavro decodes what the
// generated writer wrote and re-encodes it to the same bytes, its
// single-object frame (fingerprint included) equals Serde's, and the
// generated reader gets the original record back from goavro's bytes.
func TestGoavroRoundTrip(t *testing.T) {
	s := NewSerde()
	for i, v := range append(append(allFull(), allEmpty()...), variedRecords()...) {
		k, _ := kindOf(v)
		t.Run(fmt.Sprintf("%d/%s", i, k.short()), func(t *testing.T) {
			codec := known().current[k].codec
			frame, err := s.Encode(v)
			if err != nil {
				t.Fatal(err)
			}
			body := frame[10:]
			native, rest, err := codec.NativeFromBinary(body)
			if err != nil || len(rest) != 0 {
				t.Fatalf("goavro cannot read the generated encoding: %v, %d bytes left", err, len(rest))
			}
			again, err := codec.BinaryFromNative(nil, native)
			if err != nil {
				t.Fatal(err)
			}
			// goavro writes map entries in Go's random map order, the
			// generated writer in key order: compare such bodies by value.
			if !bytes.Equal(again, body) && !multiKeyMap(v) {
				t.Fatalf("goavro re-encodes differently:\n generated %x\n    goavro %x", body, again)
			}
			single, err := codec.SingleFromNative(nil, native)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(single[:10], frame[:10]) {
				t.Fatalf("single-object header %x, goavro's %x", frame[:10], single[:10])
			}
			got := newRecord(k)
			if err := readRecord(newWdec(again), got); err != nil {
				t.Fatalf("reading goavro's encoding: %v", err)
			}
			if !reflect.DeepEqual(got, v) {
				t.Fatalf("round trip through goavro:\n got %+v\nwant %+v", got, v)
			}
		})
	}
}

func multiKeyMap(v any) bool {
	f, ok := v.(*Flag)
	return ok && len(f.Evidence) > 1
}

// variedRecords are records whose values exercise the encoding's edges:
// multi-byte varints, negative numbers, times before 1970, several array
// items, one map entry (byte-comparable with goavro), empty optional bytes.
func variedRecords() []any {
	o := fullOrder()
	o.Subtotal, o.Discount, o.Total = -1, 1<<40, -(1 << 62)
	o.Codes = append(o.Codes, AppliedCode{Code: strings.Repeat("X", 300), Amount: 64})
	o.OccurredAt = t0.AddDate(-80, 0, 0)
	a := fullAttribution()
	a.Shares = append(a.Shares, a.Shares...)
	a.Touches = append(a.Touches, a.Touches...)
	a.Version = -2147483648
	f := fullFlag()
	f.Evidence = map[string]string{"only": "one"}
	dl := fullDeadLetter()
	dl.Key, dl.Value = []byte{}, make([]byte, 200)
	c := fullCode()
	c.Commission = nil
	c.AllowedAffiliates = []string{"a", "", "c"}
	return []any{o, a, f, dl, c}
}
