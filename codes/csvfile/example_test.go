package csvfile_test

import (
	"fmt"
	"strings"

	"github.com/heldsway/heldsway/codes/csvfile"
	"github.com/heldsway/heldsway/codes/registry"
)

func ExampleRule_Generate() {
	rule := csvfile.MustParseRule("{first}{discount}")
	taken := map[string]bool{"SARAH10": true}
	for _, a := range []csvfile.Affiliate{{ID: "aff_1", Name: "John Doe"}, {ID: "aff_2", Name: "Sarah Lee"}} {
		code, _ := rule.Generate(a, csvfile.DiscountText(registry.Percent, 1000, nil), func(c string) bool { return taken[c] })
		fmt.Println(a.ID, code)
	}
	// Output:
	// aff_1 JOHN10
	// aff_2 SARAH10G6
}

func ExamplePlan() {
	csv := `code,affiliate_id,discount_type,discount_value,currency,valid_from,valid_until
SARAH10,aff_1,percent,10,,2026-04-01,2026-04-30
sarah10,aff_2,percent,10,,,
JOHN5,aff_3,fixed,5,,,
MAYA15,aff_4,percent,15,,2026-05-01,2026-04-01
`
	s, err := csvfile.ReadCSV(strings.NewReader(csv))
	if err != nil {
		fmt.Println(err)
		return
	}
	changes, _, rep := csvfile.Plan(registry.NewMemLookup(), s, csvfile.ImportOptions{})
	fmt.Printf("%d to write, %d failed\n", len(changes), rep.Failed)
	for _, e := range rep.Errors {
		fmt.Println(e)
	}
	// Output:
	// 1 to write, 3 failed
	// line 3 (SARAH10): code: "sarah10" duplicates line 2 (codes are compared case-insensitively)
	// line 4 (JOHN5): discount_value: a fixed amount needs currency
	// line 5 (MAYA15): valid_until: 2026-04-01 is before valid_from 2026-05-01
}
