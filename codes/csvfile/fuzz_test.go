package csvfile

import (
	"strings"
	"testing"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// FuzzImportCSV checks that planning any input never panics and that the
// report agrees with the changes: every row is counted once, failed rows
// have errors naming their line, and every change is a valid definition.
func FuzzImportCSV(f *testing.F) {
	f.Add(exampleCSV(f), false)
	f.Add("code,affiliate_id,discount_type,discount_value,currency\nA,b,fixed,1.5,USD\na,c,percent,101,\n", true)
	f.Add("code,affiliate_id,valid_from,valid_until\nX,y,2026-01-02,2026-01-01\n", false)
	f.Add("affiliate_id,affiliate_name\nq,Zoë Ø\n", false)
	f.Add("code,affiliate_id\n\"a\nb\",c\n", false)
	f.Add("\ufeffCODE ,Affiliate_ID\nsarah10,aff_other\n", true)
	l := registry.NewMemLookup(schemas.Code{Code: "SARAH10", DisplayCode: "SARAH10", CouponID: "percent-10", AffiliateID: "aff_s", DiscountType: registry.Percent, DiscountValue: 1000, Status: registry.StatusActive, Version: 2})
	rule := MustParseRule("{first}{discount}")
	f.Fuzz(func(t *testing.T, csv string, atomic bool) {
		s, err := ReadCSV(strings.NewReader(csv))
		if err != nil {
			return
		}
		opts := ImportOptions{Atomic: atomic, Results: true}
		if len(csv)%2 == 0 {
			opts.Rule = rule
		}
		changes, lines, rep := Plan(l, s, opts)
		if rep.Rows != s.Len() || rep.Created+rep.Updated+rep.Unchanged+rep.Failed != rep.Rows {
			t.Fatalf("counts do not add up: %+v", rep)
		}
		if len(rep.Results) != rep.Rows {
			t.Fatalf("%d results for %d rows", len(rep.Results), rep.Rows)
		}
		failedLines := map[int]bool{}
		for _, e := range rep.Errors {
			if e.Line < 2 {
				t.Fatalf("error on line %d: %v", e.Line, e)
			}
			failedLines[e.Line] = true
		}
		failed := 0
		for _, r := range rep.Results {
			if r.Action == ActionFailed {
				failed++
				if !failedLines[r.Line] {
					t.Fatalf("failed row on line %d has no error", r.Line)
				}
			}
		}
		if failed != rep.Failed {
			t.Fatalf("%d failed results, report says %d", failed, rep.Failed)
		}
		if atomic && rep.Failed > 0 {
			if len(changes) != 0 {
				t.Fatalf("atomic with failures planned %d changes", len(changes))
			}
			return
		}
		if len(changes) != rep.Created+rep.Updated {
			t.Fatalf("%d changes for %d created + %d updated", len(changes), rep.Created, rep.Updated)
		}
		seen := map[string]bool{}
		for _, ch := range changes {
			if seen[ch.Code] {
				t.Fatalf("code %s changed twice", ch.Code)
			}
			seen[ch.Code] = true
			if lines[ch.Code] < 2 {
				t.Fatalf("change %s has no line", ch.Code)
			}
			if errs := registry.Validate(ch.Value); len(errs) > 0 {
				t.Fatalf("planned invalid code %+v: %v", ch.Value, errs)
			}
			if n, err := promocode.Normalize(ch.Value.DisplayCode); err != nil || n != ch.Code {
				t.Fatalf("change key %q for display code %q", ch.Code, ch.Value.DisplayCode)
			}
		}
	})
}
