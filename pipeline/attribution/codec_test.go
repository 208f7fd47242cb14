package attribution

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// TestLegacyJSONState: state written as JSON by earlier versions decodes
// to the same values as the binary encoding, so an upgrade keeps every
// customer, candidate and ledger.
func TestLegacyJSONState(t *testing.T) {
	st, cand, l, _ := seedState(t)
	if len(st.Subscriptions) != 2 {
		t.Fatalf("seed customer keeps %d subscriptions, want 2", len(st.Subscriptions))
	}
	// The first binary version wrote customers without subscriptions: such
	// a value is a prefix of today's, and decodes with none.
	noSubs := st
	noSubs.Subscriptions = nil
	noSubs.Orders = slices.Clone(st.Orders)
	for i := range noSubs.Orders {
		noSubs.Orders[i].Sum = "" // kept from the third version on
	}
	v1 := mustMarshal(t, noSubs.Marshal)
	// The second wrote subscriptions without the credits of their first
	// payments and without a customer's first credit.
	noCredits := st
	noCredits.Subscriptions = slices.Clone(st.Subscriptions)
	for i := range noCredits.Subscriptions {
		noCredits.Subscriptions[i].AffiliateID, noCredits.Subscriptions[i].Code = "", ""
	}
	noCredits.FirstAffiliate, noCredits.FirstCode, noCredits.FirstCreditAt = "", "", time.Time{}
	noCredits.Orders = slices.Clone(st.Orders)
	for i := range noCredits.Orders {
		noCredits.Orders[i].Sum = ""
	}
	v2 := mustMarshal(t, noCredits.Marshal)
	if !st.hasCredits() {
		t.Fatal("seed customer has no credits to encode")
	}
	for _, tc := range []struct {
		name   string
		v      any
		binary func() ([]byte, error)
		decode func([]byte) (any, error)
		// prefixes are truncations that are whole values of earlier
		// versions, and what they decode to.
		prefixes map[int]any
	}{
		{"customer", &st, st.Marshal, func(b []byte) (any, error) { return UnmarshalCustomer(b) }, map[int]any{len(v1): noSubs, len(v2): noCredits}},
		{"candidate", &cand, cand.Marshal, func(b []byte) (any, error) { return UnmarshalCandidate(b) }, nil},
		{"ledger", &l, l.Marshal, func(b []byte) (any, error) { return UnmarshalOrderLedger(b) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			legacy, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			bin := mustMarshal(t, tc.binary)
			if bin[0] != formatBinary || len(bin) >= len(legacy) {
				t.Fatalf("binary encoding: format %#x, %d bytes (JSON %d)", bin[0], len(bin), len(legacy))
			}
			fromJSON, err := tc.decode(legacy)
			if err != nil {
				t.Fatal(err)
			}
			fromBin, err := tc.decode(bin)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(fromJSON, fromBin) {
				t.Fatalf("JSON and binary decode differently:\n%+v\n%+v", fromJSON, fromBin)
			}
			if !reflect.DeepEqual(fromBin, reflect.ValueOf(tc.v).Elem().Interface()) {
				t.Fatalf("binary round trip changed the value:\n%+v\n%+v", fromBin, tc.v)
			}
			for n := range bin {
				v, err := tc.decode(bin[:n])
				want, isPrefix := tc.prefixes[n]
				switch {
				case isPrefix && err != nil:
					t.Fatalf("the earlier version's value (%d bytes): %v", n, err)
				case isPrefix && !reflect.DeepEqual(v, want):
					t.Fatalf("the earlier version's value decoded to\n%+v\nwant\n%+v", v, want)
				case !isPrefix && err == nil:
					t.Fatalf("a truncation to %d bytes decoded", n)
				}
			}
		})
	}
}

// TestLegacyJSONCustomerWithoutSubscriptions: a customer stored as JSON by a
// version that kept no subscriptions decodes with none, and its next
// subscription payment starts to be remembered.
func TestLegacyJSONCustomerWithoutSubscriptions(t *testing.T) {
	legacy := []byte(`{"o":[{"k":"shopify/shop/o1","t":"2024-05-01T12:00:00Z"}],"n":1,"s":["ev-o1"]}`)
	c, err := UnmarshalCustomer(legacy)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subscriptions != nil || c.OrdersSeen != 1 || len(c.Seen) != 1 {
		t.Fatalf("decoded %+v", c)
	}
	a := New(NewProgram())
	a.Order(&c, schemas.Order{EventID: "ev-o2", OrderID: "o2", Platform: "shopify", StoreID: "shop",
		Subscription: &schemas.Subscription{ID: "sub"}, OccurredAt: t0}, nil, t0)
	want := []SubscriptionStart{{ID: "sub", Start: t0}}
	if !reflect.DeepEqual(c.Subscriptions, want) {
		t.Fatalf("subscriptions %+v, want %+v", c.Subscriptions, want)
	}
	back, err := UnmarshalCustomer(mustMarshal(t, c.Marshal))
	if err != nil || !reflect.DeepEqual(back.Subscriptions, want) {
		t.Fatalf("round trip: %+v, %v", back.Subscriptions, err)
	}
}

func TestUnmarshalCustomerSubscriptionsChecked(t *testing.T) {
	many := Customer{}
	for i := range MaxSubscriptions + 1 {
		many.Subscriptions = append(many.Subscriptions, SubscriptionStart{ID: fmt.Sprint("s", i), Start: t0})
	}
	overBound, err := json.Marshal(many)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"repeated id":   []byte(`{"u":[{"i":"s","t":"2024-01-01T00:00:00Z"},{"i":"s","t":"2023-01-01T00:00:00Z"}]}`),
		"empty id":      []byte(`{"u":[{"i":"","t":"2024-01-01T00:00:00Z"}]}`),
		"over bound":    overBound,
		"binary over":   append([]byte{formatBinary, 0, 0, 0, 0, 0, 0, MaxSubscriptions + 1}, make([]byte, 64)...),
		"binary trails": append(mustMarshal(t, (&Customer{Subscriptions: []SubscriptionStart{{ID: "s", Start: t0}}}).Marshal), 0),
	} {
		if _, err := UnmarshalCustomer(data); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
}
