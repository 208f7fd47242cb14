package attribution

import (
	"testing"

	"github.com/heldsway/heldsway/schemas"
)

// TestAffiliateIndex: an affiliate is active while any of its codes is;
// one whose codes were all deactivated has left the program.
func TestAffiliateIndex(t *testing.T) {
	serde := schemas.NewSerde()
	x := NewAffiliateIndex(serde)
	enc := func(code, aff, status string) []byte {
		b, err := serde.Encode(&schemas.Code{Code: code, DisplayCode: code, AffiliateID: aff, Status: status, DiscountType: "percent"})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var cur = map[string][]byte{}
	set := func(code, aff, status string) {
		var v []byte
		if aff != "" {
			v = enc(code, aff, status)
		}
		x.Change([]byte(code), cur[code], v)
		cur[code] = v
	}
	steps := []struct {
		code, aff, status string // aff "" deletes the code
		known, active     bool   // of aff-1 after the step
	}{
		{"A1", "aff-1", "active", true, true},
		{"A2", "aff-1", "active", true, true},
		{"A1", "aff-1", "inactive", true, true},
		{"A2", "aff-1", "paused", true, false},
		{"A2", "aff-1", "active", true, true},
		{"A2", "aff-2", "active", true, false}, // moved to another affiliate
		{"A1", "", "", false, false},
	}
	for i, s := range steps {
		set(s.code, s.aff, s.status)
		if known, active := x.Lookup("aff-1"); known != s.known || active != s.active {
			t.Fatalf("step %d (%s %s %s): aff-1 known=%v active=%v, want %v %v", i, s.code, s.aff, s.status, known, active, s.known, s.active)
		}
	}
	if known, active := x.Lookup("aff-2"); !known || !active {
		t.Fatalf("aff-2 known=%v active=%v", known, active)
	}
}
