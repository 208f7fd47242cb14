package attribution

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestLegacyJSONState: state written as JSON by earlier versions decodes
// to the same values as the binary encoding, so an upgrade keeps every
// customer, candidate and ledger.
func TestLegacyJSONState(t *testing.T) {
	st, cand, l, _ := seedState(t)
	for _, tc := range []struct {
		name   string
		v      any
		binary func() ([]byte, error)
		decode func([]byte) (any, error)
	}{
		{"customer", &st, st.Marshal, func(b []byte) (any, error) { return UnmarshalCustomer(b) }},
		{"candidate", &cand, cand.Marshal, func(b []byte) (any, error) { return UnmarshalCandidate(b) }},
		{"ledger", &l, l.Marshal, func(b []byte) (any, error) { return UnmarshalOrderLedger(b) }},
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
				if _, err := tc.decode(bin[:n]); err == nil {
					t.Fatalf("a truncation to %d bytes decoded", n)
				}
			}
		})
	}
}
