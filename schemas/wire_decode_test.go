package schemas

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

// TestDecodeAllocs: decoding a record allocates once for all its strings
// (a copy of the input), once for all its bytes values (another), once for
// its optional values and records outside arrays (its slab, which
// DecodeAny allocates together with the record), and per array block and
// map: never once per field.
func TestDecodeAllocs(t *testing.T) {
	for _, c := range []struct {
		v    any
		want float64
		why  string
	}{
		{fullClick(), 2, "strings, slab"},
		{fullOrder(), 4, "strings, slab (with the subscription); codes and their optional strings"},
		{fullRefund(), 2, "strings, slab"},
		{fullCode(), 6, "strings, slab (with the commission); allowed affiliates; platforms, their optional strings and times"},
		{fullAttribution(), 7, "strings, slab; reasons; shares and touches, each with their optional strings"},
		{fullAdjustment(), 2, "strings, slab"},
		{fullFlag(), 4, "strings, slab; the evidence map (two)"},
		{fullDeadLetter(), 3, "strings, bytes, slab"},
	} {
		t.Run(benchName(c.v), func(t *testing.T) {
			decode, decodeAny := decodeAllocs(t, c.v)
			if decode > c.want || decodeAny > c.want {
				t.Fatalf("%v allocations per Decode, %v per DecodeAny, want at most %v (%s)", decode, decodeAny, c.want, c.why)
			}
		})
	}
}

// TestDecodeAllocsFlat: the allocations do not grow with the number of
// items or optional values a record holds.
func TestDecodeAllocsFlat(t *testing.T) {
	for _, n := range []int{1, 10, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			a := fullAttribution()
			a.Touches, a.Shares, a.Reasons = nil, nil, nil
			for i := range n {
				id := fmt.Sprintf("aff_%d", i)
				a.Reasons = append(a.Reasons, "reason_"+id)
				a.Shares = append(a.Shares, Share{AffiliateID: id, Code: ptr("C" + id), ClickID: ptr("clk" + id), WeightBP: 1})
				a.Touches = append(a.Touches, Touch{Kind: "click", AffiliateID: ptr(id), Code: ptr("C" + id),
					ClickID: ptr("clk" + id), At: t0, Reason: ptr("late")})
			}
			if got, _ := decodeAllocs(t, a); got > 7 {
				t.Fatalf("%v allocations per decode of %d items, want at most 7", got, n)
			}
		})
	}
}

// decodeAllocs returns the allocations per Decode of v into an existing
// record, and per DecodeAny.
func decodeAllocs(t *testing.T, v any) (decode, decodeAny float64) {
	t.Helper()
	s := NewSerde()
	b, err := s.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := kindOf(v)
	into, want := newRecord(k), normalized(t, v)
	var derr error
	decode = testing.AllocsPerRun(50, func() { derr = s.Decode(b, into) })
	if derr != nil {
		t.Fatal(derr)
	}
	if !reflect.DeepEqual(into, want) {
		t.Fatalf("decoded %+v, want %+v", into, want)
	}
	var got any
	decodeAny = testing.AllocsPerRun(50, func() { got, derr = s.DecodeAny(b) })
	if derr != nil {
		t.Fatal(derr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeAny returned %+v, want %+v", got, want)
	}
	return decode, decodeAny
}

// normalized is v as decoding returns it (times in UTC milliseconds).
func normalized(t *testing.T, v any) any {
	t.Helper()
	s := NewSerde()
	b, err := s.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.DecodeAny(b)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestDecodeCopiesInput: a decoded record shares no memory with its input,
// which Kafka clients may reuse for the next fetch.
func TestDecodeCopiesInput(t *testing.T) {
	s := NewSerde()
	for _, v := range allFull() {
		t.Run(benchName(v), func(t *testing.T) {
			b, err := s.Encode(v)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.DecodeAny(bytes.Clone(b))
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.DecodeAny(b)
			if err != nil {
				t.Fatal(err)
			}
			for i := range b {
				b[i] = 'X'
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("overwriting the input changed the record:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestDecodedSlicesAreCapped: slices a record holds share an allocation
// with its other values, so appending to one must copy rather than write
// over the next.
func TestDecodedSlicesAreCapped(t *testing.T) {
	s := NewSerde()
	for _, c := range []struct {
		v     any
		field string
		add   any // appended to the field
	}{
		// Reasons' slots come before the shares' and touches' optional
		// strings, AllowedAffiliates' before the commission's and the
		// platforms', Key's bytes before Value's: what is appended would
		// land on them.
		{fullAttribution(), "Reasons", []string{"over"}},
		{fullCode(), "AllowedAffiliates", []string{"over"}},
		{fullDeadLetter(), "Key", []byte("over")},
	} {
		t.Run(benchName(c.v), func(t *testing.T) {
			b, err := s.Encode(c.v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.DecodeAny(b)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.DecodeAny(b)
			if err != nil {
				t.Fatal(err)
			}
			f := reflect.ValueOf(got).Elem().FieldByName(c.field)
			f.Set(reflect.AppendSlice(f, reflect.ValueOf(c.add)))
			// Every other field is as decoded.
			f.Set(reflect.ValueOf(want).Elem().FieldByName(c.field))
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("appending to %s changed other fields:\n got %+v\nwant %+v", c.field, got, want)
			}
		})
	}
}

// TestDecodeMultipleBlocks: arrays and maps written in several blocks
// (as other Avro writers may) decode whole, with their pool slots counted
// across the blocks.
func TestDecodeMultipleBlocks(t *testing.T) {
	a := fullAttribution()
	a.Reasons = []string{"r1", "r2", "r3"}
	a.Touches = append(a.Touches, Touch{Kind: "click", AffiliateID: ptr("aff_3"), Reason: ptr("late"), At: t0})
	// Attribution's body, hand-assembled with each array in blocks of at
	// most two items, the second with a negative count and a byte size.
	e := &wenc{}
	e.str(a.EventID)
	e.str(a.OrderID)
	e.str(a.Platform)
	e.str(a.StoreID)
	e.int(a.Version)
	e.str(a.Status)
	e.str(a.Rule)
	e.str(a.Method)
	e.optStr(a.AffiliateID)
	e.optStr(a.Code)
	e.optStr(a.ClickID)
	e.str(a.CustomerKey)
	e.str(a.Currency)
	e.long(a.OrderTotal)
	e.long(a.NetAmount)
	e.long(a.Commission)
	blocks(e, len(a.Reasons), func(e *wenc, i int) { e.str(a.Reasons[i]) })
	blocks(e, len(a.Shares), func(e *wenc, i int) { writeShare(e, &a.Shares[i]) })
	blocks(e, len(a.Touches), func(e *wenc, i int) { writeTouch(e, &a.Touches[i]) })
	e.time("order_occurred_at", a.OrderOccurredAt)
	e.time("decided_at", a.DecidedAt)
	var got Attribution
	if err := readRecord(newWdec(e.b), &got); err != nil {
		t.Fatal(err)
	}
	if want := normalized(t, a); !reflect.DeepEqual(&got, want) {
		t.Fatalf("decoded %+v\nwant %+v", got, want)
	}
	if _, err := NewSerde().Encode(&got); err != nil {
		t.Fatal(err)
	}
}

// blocks writes n items in blocks of at most two, every second block with
// a negative count followed by its size in bytes.
func blocks(e *wenc, n int, item func(*wenc, int)) {
	for i, blk := 0, 0; i < n; blk++ {
		k := min(2, n-i)
		var body wenc
		for j := range k {
			item(&body, i+j)
		}
		if blk%2 == 1 {
			e.long(int64(-k))
			e.long(int64(len(body.b)))
		} else {
			e.long(int64(k))
		}
		e.b = append(e.b, body.b...)
		i += k
	}
	e.end()
}
