package schemas

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

func newFakeRegistry(t testing.TB) (*srfake.Registry, *sr.Client) {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return reg, cl
}

func TestConfluentRoundTrip(t *testing.T) {
	reg, cl := newFakeRegistry(t)
	topics, err := NewTopics("acme")
	if err != nil {
		t.Fatal(err)
	}
	s := NewSerde(WithRegistry(cl), WithTopics(topics))
	for _, v := range append(allFull(), allEmpty()...) {
		t.Run(fmt.Sprintf("%T", v), func(t *testing.T) {
			b, err := s.Encode(v)
			if err != nil {
				t.Fatal(err)
			}
			name, _ := TypeOf(v)
			subject := s.Subject(name)
			if !strings.HasPrefix(subject, "acme.") || !strings.HasSuffix(subject, ".v1-value") {
				t.Fatalf("subject %q", subject)
			}
			got, ok := reg.GetSchema(subject, 1)
			if !ok {
				t.Fatalf("subject %s not registered", subject)
			}
			if b[0] != 0 || int(binary.BigEndian.Uint32(b[1:5])) != got.ID {
				t.Fatalf("header %x, want magic 0 and id %d", b[:5], got.ID)
			}
			// The body is the same as in single-object framing.
			soe, _ := NewSerde().Encode(v)
			if !bytes.Equal(b[5:], soe[10:]) {
				t.Fatal("Confluent and single-object bodies differ")
			}
			into := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := s.Decode(b, into); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(into, v) {
				t.Fatalf("got %+v, want %+v", into, v)
			}
			// A fresh Serde learns the id from the registry.
			fresh := NewSerde(WithRegistry(cl))
			back, err := fresh.DecodeAny(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, v) {
				t.Fatalf("fresh Serde: got %+v, want %+v", back, v)
			}
			// A registry Serde still reads single-object framing.
			if err := s.Decode(soe, into); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	reg, cl := newFakeRegistry(t)
	s := NewSerde(WithRegistry(cl))
	ctx := context.Background()
	if err := s.Register(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Register(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	topics, _ := NewTopics(DefaultTopicPrefix)
	for _, topic := range topics.All() {
		if !reg.SubjectExists(topic + "-value") {
			t.Errorf("subject %s-value not registered", topic)
		}
		if _, ok := reg.GetSchema(topic+"-value", 2); ok {
			t.Errorf("subject %s-value registered twice", topic)
		}
	}
	if err := NewSerde().Register(ctx); !errors.Is(err, ErrNoRegistry) {
		t.Errorf("Register without registry: %v", err)
	}
}

func TestRegistryFailure(t *testing.T) {
	reg, cl := newFakeRegistry(t)
	reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusInternalServerError)
		return true
	})
	s := NewSerde(WithRegistry(cl))
	if _, err := s.Encode(fullOrder()); !errors.Is(err, ErrRegistry) {
		t.Errorf("encode with failing registry: %v", err)
	}
	if err := s.Decode([]byte{0, 0, 0, 0, 9, 0}, new(Order)); !errors.Is(err, ErrRegistry) {
		t.Errorf("decode with failing registry: %v", err)
	}
}

// TestRegistryWriterSchemas decodes records written with schemas the
// package does not embed, fetched from the registry by id.
func TestRegistryWriterSchemas(t *testing.T) {
	reg, cl := newFakeRegistry(t)
	s := NewSerde(WithRegistry(cl))
	seed := func(id int, subject, schema string) {
		reg.SeedSchema(subject, id, id, sr.Schema{Schema: schema})
	}
	frame := func(id int, body []byte) []byte {
		return append([]byte{0, byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}, body...)
	}

	// A Flag writer without severity and evidence, with a field the reader
	// does not know, and platform written as a plain string.
	seed(200, "x-value", `{"type":"record","name":"Flag","namespace":"io.heldsway.v1","fields":[
		{"name":"event_id","type":"string"},
		{"name":"type","type":"string"},
		{"name":"legacy_score","type":"double"},
		{"name":"order_id","type":["null","string"],"default":null},
		{"name":"platform","type":"string"},
		{"name":"store_id","type":["null","string"],"default":null},
		{"name":"code","type":["null","string"],"default":null},
		{"name":"affiliate_id","type":["null","string"],"default":null},
		{"name":"occurred_at","type":{"type":"long","logicalType":"timestamp-millis"}},
		{"name":"detected_at","type":{"type":"long","logicalType":"timestamp-millis"}}]}`)
	var e wenc
	e.str("ev")
	e.str("code_leak")
	e.b = binary.LittleEndian.AppendUint64(e.b, 0x3ff0000000000000) // 1.0
	e.optStr(ptr("1001"))
	e.str("shopify")
	e.optStr(nil)
	e.optStr(ptr("LEAK"))
	e.optStr(nil)
	e.time("", t0)
	e.time("", t1)
	var f Flag
	if err := s.Decode(frame(200, e.b), &f); err != nil {
		t.Fatal(err)
	}
	want := Flag{EventID: "ev", Type: "code_leak", Severity: "review", OrderID: ptr("1001"), Platform: ptr("shopify"),
		Code: ptr("LEAK"), OccurredAt: t0, DetectedAt: t1}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("got %+v\nwant %+v", f, want)
	}

	// A Refund writer with amount as int (promoted to long) and without
	// total and full.
	seed(201, "y-value", `{"type":"record","name":"io.heldsway.v1.Refund","fields":[
		{"name":"event_id","type":"string"},{"name":"refund_id","type":"string"},{"name":"order_id","type":"string"},
		{"name":"platform","type":"string"},{"name":"store_id","type":"string"},{"name":"currency","type":"string"},
		{"name":"amount","type":"int"},
		{"name":"reason","type":["null","string"],"default":null},
		{"name":"customer_key","type":["null","string"],"default":null},
		{"name":"occurred_at","type":{"type":"long","logicalType":"timestamp-millis"}},
		{"name":"received_at","type":{"type":"long","logicalType":"timestamp-millis"}}]}`)
	e = wenc{}
	for _, str := range []string{"ev", "r1", "1001", "shopify", "shop", "EUR"} {
		e.str(str)
	}
	e.int(-9000)
	e.optStr(nil)
	e.optStr(ptr("vis_1"))
	e.time("", t0)
	e.time("", t1)
	got, err := s.DecodeAny(frame(201, e.b))
	if err != nil {
		t.Fatal(err)
	}
	wantRefund := &Refund{EventID: "ev", RefundID: "r1", OrderID: "1001", Platform: "shopify", StoreID: "shop",
		Currency: "EUR", Amount: -9000, CustomerKey: ptr("vis_1"), OccurredAt: t0, ReceivedAt: t1}
	if !reflect.DeepEqual(got, wantRefund) {
		t.Fatalf("got %+v\nwant %+v", got, wantRefund)
	}

	// Schemas that cannot be read.
	seed(300, "z-value", `{"type":"record","name":"io.heldsway.v1.Flag","fields":[{"name":"event_id","type":"string"}]}`)
	seed(301, "z-value", `{"type":"record","name":"io.heldsway.v1.Refund","fields":[{"name":"amount","type":"string"}]}`)
	seed(302, "z-value", `{"type":"record","name":"com.example.Other","fields":[{"name":"a","type":"string"}]}`)
	seed(303, "z-value", `"string"`)
	reg.SeedSchema("j-value", 1, 304, sr.Schema{Schema: `{"type":"object"}`, Type: sr.TypeJSON})
	for _, c := range []struct {
		id   int
		want error
	}{
		{300, ErrIncompatibleSchema}, // type has no default
		{301, ErrIncompatibleSchema}, // amount retyped
		{302, ErrUnknownSchema},
		{303, ErrUnknownSchema},
		{304, ErrUnknownSchema},
		{999, ErrUnknownSchema}, // no such id
	} {
		if _, err := s.DecodeAny(frame(c.id, []byte{0})); !errors.Is(err, c.want) {
			t.Errorf("schema id %d: got %v, want %v", c.id, err, c.want)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	_, cl := newFakeRegistry(t)
	s := NewSerde(WithRegistry(cl))
	reader := NewSerde(WithRegistry(cl))
	done := make(chan error)
	for g := range 8 {
		go func() {
			var err error
			for i := range 50 {
				v := allFull()[(g+i)%int(numKinds)]
				var b []byte
				if b, err = s.Encode(v); err != nil {
					break
				}
				var got any
				if got, err = reader.DecodeAny(b); err != nil {
					break
				}
				if !reflect.DeepEqual(got, v) {
					err = fmt.Errorf("got %+v, want %+v", got, v)
					break
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
