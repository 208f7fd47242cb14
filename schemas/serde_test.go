package schemas

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	s := NewSerde()
	type tc struct {
		name string
		v    any
	}
	var cases []tc
	for _, v := range allFull() {
		cases = append(cases, tc{fmt.Sprintf("full/%T", v), v})
	}
	for _, v := range allEmpty() {
		cases = append(cases, tc{fmt.Sprintf("empty/%T", v), v})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := s.Encode(c.v)
			if err != nil {
				t.Fatal(err)
			}
			// Decode into a fresh pointer of the same type.
			into := reflect.New(reflect.TypeOf(c.v).Elem()).Interface()
			if err := s.Decode(b, into); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(into, c.v) {
				t.Fatalf("round trip changed the record:\n got %+v\nwant %+v", into, c.v)
			}
			anyV, err := s.DecodeAny(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(anyV, c.v) {
				t.Fatalf("DecodeAny: got %+v, want %+v", anyV, c.v)
			}
			// A record value (not a pointer) encodes the same.
			b2, err := s.Encode(reflect.ValueOf(c.v).Elem().Interface())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, b2) {
				t.Fatal("value and pointer encode differently")
			}
			// AppendEncode appends.
			b3, err := s.AppendEncode([]byte("prefix"), c.v)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b3, append([]byte("prefix"), b...)) {
				t.Fatal("AppendEncode did not append the encoding")
			}
			// The unframed body is the framed record without its header,
			// and decodes to the same record.
			body, err := AppendBody([]byte("prefix"), c.v)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(body, []byte("prefix")) || !bytes.HasSuffix(b, body[len("prefix"):]) || len(b)-len(body)+len("prefix") != 10 {
				t.Fatal("AppendBody is not the single-object record without its 10-byte header")
			}
			into2 := reflect.New(reflect.TypeOf(c.v).Elem()).Interface()
			if err := DecodeBody(body[len("prefix"):], into2); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(into2, c.v) {
				t.Fatalf("body round trip: got %+v, want %+v", into2, c.v)
			}
			if err := DecodeBody(append(body[len("prefix"):], 0), into2); err == nil {
				t.Fatal("DecodeBody accepted a trailing byte")
			}
		})
	}
}

// TestWireMatchesGoavro checks the hand-written binary codec against
// goavro: the same bytes as goavro writes from the native form, and the
// same record as goavro's decoding converted back.
func TestWireMatchesGoavro(t *testing.T) {
	for _, v := range append(allFull(), allEmpty()...) {
		t.Run(fmt.Sprintf("%T", v), func(t *testing.T) {
			k, native, err := toNative(v)
			if err != nil {
				t.Fatal(err)
			}
			codec := known().current[k].codec
			want, err := codec.BinaryFromNative(nil, native)
			if err != nil {
				t.Fatal(err)
			}
			var e wenc
			writeRecord(&e, v)
			if e.err != nil {
				t.Fatal(e.err)
			}
			// goavro writes map entries in Go's random map order; the wire
			// encoder sorts keys. Compare those bodies by decoding them.
			f, isFlag := v.(*Flag)
			if sortedMap := isFlag && len(f.Evidence) > 1; !sortedMap && !bytes.Equal(e.b, want) {
				t.Fatalf("wire encoding differs from goavro:\n got %x\nwant %x", e.b, want)
			} else if sortedMap {
				want = e.b
			}
			n, rest, err := codec.NativeFromBinary(want)
			if err != nil || len(rest) != 0 {
				t.Fatalf("goavro decode: %v, %d left", err, len(rest))
			}
			viaGoavro := newRecord(k)
			if err := fromNative(n.(map[string]any), viaGoavro); err != nil {
				t.Fatal(err)
			}
			direct := newRecord(k)
			if err := readRecord(newWdec(want), direct); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(direct, viaGoavro) || !reflect.DeepEqual(direct, v) {
				t.Fatalf("decoders disagree:\ndirect %+v\ngoavro %+v\n  want %+v", direct, viaGoavro, v)
			}
		})
	}
}

func TestSingleObjectHeader(t *testing.T) {
	s := NewSerde()
	for _, v := range allFull() {
		t.Run(fmt.Sprintf("%T", v), func(t *testing.T) {
			b, err := s.Encode(v)
			if err != nil {
				t.Fatal(err)
			}
			if b[0] != 0xC3 || b[1] != 0x01 {
				t.Fatalf("marker %x, want c301", b[:2])
			}
			k, native, _ := toNative(v)
			codec := known().current[k].codec
			if got := binary.LittleEndian.Uint64(b[2:10]); got != codec.Rabin {
				t.Fatalf("fingerprint %016x, want goavro's %016x", got, codec.Rabin)
			}
			name, _ := TypeOf(v)
			if fp, ok := Fingerprint(name); !ok || fp != codec.Rabin {
				t.Fatalf("Fingerprint(%s) = %016x, %v", name, fp, ok)
			}
			// The whole frame is what goavro's single-object encoder writes
			// (Flag evidence has several keys in random map order: skip).
			if _, isFlag := v.(*Flag); !isFlag {
				want, err := codec.SingleFromNative(nil, native)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b, want) {
					t.Fatalf("frame differs from goavro's:\n got %x\nwant %x", b, want)
				}
			}
		})
	}
}

func TestTimes(t *testing.T) {
	s := NewSerde()
	paris := time.FixedZone("CET", 3600)
	cases := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"utc ms", t0, t0},
		{"sub-ms truncated", t0.Add(999 * time.Microsecond), t0},
		{"zone dropped", t0.In(paris), t0},
		{"zero", time.Time{}, time.Time{}},
		{"pre-1970 floors", time.Unix(-1, 500_500_000), time.Unix(-1, 500_000_000).UTC()},
		{"epoch", time.Unix(0, 0), time.Unix(0, 0).UTC()},
		{"max", time.UnixMilli(1<<63 - 1), time.UnixMilli(1<<63 - 1).UTC()},
		{"min", time.UnixMilli(-1 << 63), time.UnixMilli(-1 << 63).UTC()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := s.Encode(&Refund{OccurredAt: c.in, ReceivedAt: c.in})
			if err != nil {
				t.Fatal(err)
			}
			var r Refund
			if err := s.Decode(b, &r); err != nil {
				t.Fatal(err)
			}
			if r.OccurredAt != c.want || r.OccurredAt.Location() != time.UTC {
				t.Fatalf("got %v (%v), want %v", r.OccurredAt, r.OccurredAt.Location(), c.want)
			}
		})
	}
	for _, bad := range []time.Time{time.UnixMilli(1<<63 - 1).Add(time.Millisecond), time.UnixMilli(-1 << 63).Add(-time.Millisecond)} {
		if _, err := s.Encode(&Refund{OccurredAt: bad}); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("encoding time %v: got %v, want ErrOutOfRange", bad, err)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	s := NewSerde()
	for _, v := range []any{nil, 42, "order", (*Order)(nil), &struct{}{}, map[string]any{}} {
		if _, err := s.Encode(v); !errors.Is(err, ErrNotRecord) {
			t.Errorf("Encode(%T): got %v, want ErrNotRecord", v, err)
		}
	}
	dst := []byte("keep")
	out, err := s.AppendEncode(dst, 42)
	if err == nil || string(out) != "keep" {
		t.Errorf("AppendEncode on error: %q, %v", out, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	s := NewSerde()
	order, err := s.Encode(fullOrder())
	if err != nil {
		t.Fatal(err)
	}
	unknownFP := append([]byte{0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8}, order[10:]...)
	badUnion := bytes.Clone(order)
	// The code field of Click: the first union after three strings.
	click, _ := s.Encode(&Click{EventID: "e", ClickID: "c", VisitorID: "v"})
	badUnion = bytes.Clone(click)
	badUnion[10+6] = 4 // branch 2 of ["null","string"]
	hugeArray := bytes.Clone(order[:10])
	hugeArray = append(hugeArray, make([]byte, 6)...) // six empty strings
	hugeArray = append(hugeArray, 0, 0, 0, 0, 0)      // five longs
	hugeArray = append(hugeArray, 0xfe, 0xff, 0xff, 0xff, 0x0f)
	badBool := bytes.Clone(click)
	badBool[10+3+11] = 7 // is_bot after 3 strings and 8 null unions
	cases := []struct {
		name string
		in   []byte
		into any
		want error
		msg  string
	}{
		{"empty", nil, new(Order), ErrTruncated, ""},
		{"one byte", []byte{0xC3}, new(Order), ErrTruncated, ""},
		{"short single-object header", order[:9], new(Order), ErrTruncated, ""},
		{"short confluent header", []byte{0, 0, 1}, new(Order), ErrTruncated, ""},
		{"wrong magic", append([]byte{0x7f}, order[1:]...), new(Order), ErrNotFramed, ""},
		{"wrong second marker byte", append([]byte{0xC3, 0x02}, order[2:]...), new(Order), ErrNotFramed, ""},
		{"unknown fingerprint", unknownFP, new(Order), ErrUnknownSchema, ""},
		{"trailing bytes", append(bytes.Clone(order), 0), new(Order), ErrTrailingBytes, ""},
		{"truncated body", order[:len(order)-1], new(Order), ErrTruncated, ""},
		{"header only", order[:10], new(Order), ErrTruncated, ""},
		{"bad union branch", badUnion, new(Click), ErrMalformed, ""},
		{"bad boolean", badBool, new(Click), ErrMalformed, ""},
		{"array count beyond input", hugeArray, new(Order), ErrTruncated, ""},
		{"wrong type", order, new(Click), ErrWrongType, "schemas: record is io.heldsway.v1.Order, not Click"},
		{"not a pointer", order, Order{}, ErrNotRecord, ""},
		{"nil pointer", order, (*Order)(nil), ErrNotRecord, ""},
		{"not a record", order, new(string), ErrNotRecord, ""},
		{"confluent without registry", append([]byte{0, 0, 0, 0, 1}, order[10:]...), new(Order), ErrNoRegistry,
			"decoding Order: schemas: confluent-framed record but no schema registry configured"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.Decode(c.in, c.into)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if c.msg != "" && err.Error() != c.msg {
				t.Fatalf("message %q, want %q", err.Error(), c.msg)
			}
			if _, isPtr := c.into.(*Order); isPtr && c.want != ErrNotRecord {
				if _, err := s.DecodeAny(c.in); err == nil && c.want != ErrWrongType {
					t.Fatal("DecodeAny accepted what Decode rejected")
				}
			}
		})
	}
}

func TestDecodeLeavesTargetOnError(t *testing.T) {
	s := NewSerde()
	b, _ := s.Encode(fullOrder())
	o := fullClick()
	_ = s.Decode(b, o)
	if !reflect.DeepEqual(o, fullClick()) {
		t.Fatal("wrong-type decode modified the target")
	}
	var ord Order
	ord.OrderID = "keep"
	if err := s.Decode(b[:len(b)-3], &ord); err == nil || ord.OrderID != "keep" {
		t.Fatalf("truncated decode: err %v, target %+v", err, ord)
	}
}

func TestDecodedBytesDoNotAlias(t *testing.T) {
	s := NewSerde()
	b, _ := s.Encode(fullDeadLetter())
	var d DeadLetter
	if err := s.Decode(b, &d); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 0
	}
	if !reflect.DeepEqual(&d, fullDeadLetter()) {
		t.Fatal("decoded record changed when the input was overwritten")
	}
}

func TestEmptyKeyIsNotNull(t *testing.T) {
	s := NewSerde()
	b, _ := s.Encode(&DeadLetter{Key: []byte{}})
	var d DeadLetter
	if err := s.Decode(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Key == nil || len(d.Key) != 0 {
		t.Fatalf("empty key decoded as %#v", d.Key)
	}
}

func TestFlagEncodingIsDeterministic(t *testing.T) {
	s := NewSerde()
	f := fullFlag()
	for i := range 20 {
		f.Evidence[fmt.Sprint("k", i)] = strings.Repeat("v", i)
	}
	first, _ := s.Encode(f)
	for range 20 {
		b, _ := s.Encode(f)
		if !bytes.Equal(b, first) {
			t.Fatal("equal flags encoded differently")
		}
	}
}
