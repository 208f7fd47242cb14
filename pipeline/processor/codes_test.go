package processor

import (
	"testing"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/schemas"
)

// TestCodeView applies registry records as the codes table delivers them
// (no old values) and checks what the rules look up and what the
// affiliate index says after each.
func TestCodeView(t *testing.T) {
	serde := schemas.NewSerde()
	enc := func(code, aff, status string, version int64) []byte {
		c := schemas.Code{Code: code, DisplayCode: code, CouponID: "c", AffiliateID: aff, DiscountType: "percent",
			DiscountValue: 1000, Status: status, Version: version, UpdatedAt: worldStart}
		c.EventID = schemas.ID(code, "v")
		b, err := serde.Encode(&c)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	type want struct {
		code            string
		found           bool
		aff             string // expected AffiliateID when found
		version         int64
		affKnown, affOn bool // AffiliateIndex.Lookup of the affiliate named in check
		affiliate       string
	}
	steps := []struct {
		name  string
		key   string
		val   []byte
		check want
	}{
		{"first definition", "SAVE10", enc("SAVE10", "aff-1", "active", 1),
			want{code: "SAVE10", found: true, aff: "aff-1", version: 1, affiliate: "aff-1", affKnown: true, affOn: true}},
		{"paused", "SAVE10", enc("SAVE10", "aff-1", "paused", 2),
			want{code: "SAVE10", found: true, aff: "aff-1", version: 2, affiliate: "aff-1", affKnown: true, affOn: false}},
		{"moved to another affiliate", "SAVE10", enc("SAVE10", "aff-2", "active", 3),
			want{code: "SAVE10", found: true, aff: "aff-2", version: 3, affiliate: "aff-1", affKnown: false}},
		{"undecodable record drops the code", "SAVE10", []byte("not avro"),
			want{code: "SAVE10", found: false, affiliate: "aff-2", affKnown: false}},
		{"defined again", "SAVE10", enc("SAVE10", "aff-2", "active", 4),
			want{code: "SAVE10", found: true, aff: "aff-2", version: 4, affiliate: "aff-2", affKnown: true, affOn: true}},
		{"tombstone deletes", "SAVE10", nil,
			want{code: "SAVE10", found: false, affiliate: "aff-2", affKnown: false}},
		{"unknown code", "OTHER", enc("OTHER", "aff-3", "active", 1),
			want{code: "SAVE10", found: false, affiliate: "aff-3", affKnown: true, affOn: true}},
	}
	affs := attribution.NewAffiliateIndex(serde)
	v := newCodeView(serde, affs, zap.NewNop())
	for _, s := range steps {
		v.change([]byte(s.key), nil, s.val)
		c, ok := v.lookup(s.check.code)
		if ok != s.check.found || (ok && (c.AffiliateID != s.check.aff || c.Version != s.check.version || c.Code != s.check.code)) {
			t.Errorf("%s: lookup(%s) = %+v, %v; want found=%v affiliate %s version %d", s.name, s.check.code, c, ok, s.check.found, s.check.aff, s.check.version)
		}
		known, active := affs.Lookup(s.check.affiliate)
		if known != s.check.affKnown || active != s.check.affOn {
			t.Errorf("%s: affiliate %s known=%v active=%v; want %v %v", s.name, s.check.affiliate, known, active, s.check.affKnown, s.check.affOn)
		}
	}
	if v.bad.Load() != 1 {
		t.Errorf("undecodable records counted %d, want 1", v.bad.Load())
	}
	if v.len() != 1 {
		t.Errorf("view holds %d codes, want 1 (OTHER)", v.len())
	}
}
