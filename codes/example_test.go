package codes_test

import (
	"fmt"
	"strings"

	"github.com/heldsway/heldsway/codes"
)

func ExampleRule_Generate() {
	rule := codes.MustParseRule("{first}{discount}")
	taken := map[string]bool{"SARAH10": true}
	for _, a := range []codes.Affiliate{{ID: "aff_1", Name: "John Doe"}, {ID: "aff_2", Name: "Sarah Lee"}} {
		code, _ := rule.Generate(a, codes.DiscountText(codes.Percent, 1000, nil), func(c string) bool { return taken[c] })
		fmt.Println(a.ID, code)
	}
	// Output:
	// aff_1 JOHN10
	// aff_2 SARAH10G6
}

func ExampleForPlatform() {
	for _, p := range []string{codes.PlatformStripe, codes.PlatformWooCommerce, codes.PlatformPaddle} {
		c, err := codes.ForPlatform(" partner-john-x7 ", p)
		fmt.Println(p, c, err)
	}
	// Output:
	// stripe PARTNER-JOHN-X7 <nil>
	// woocommerce partner-john-x7 <nil>
	// paddle  codes: code not accepted by platform: paddle allows only letters and digits, "PARTNER-JOHN-X7" contains '-'
}

func ExamplePlan() {
	csv := `code,affiliate_id,discount_type,discount_value,currency,valid_from,valid_until
SARAH10,aff_1,percent,10,,2026-04-01,2026-04-30
sarah10,aff_2,percent,10,,,
JOHN5,aff_3,fixed,5,,,
MAYA15,aff_4,percent,15,,2026-05-01,2026-04-01
`
	s, err := codes.ReadCSV(strings.NewReader(csv))
	if err != nil {
		fmt.Println(err)
		return
	}
	changes, _, rep := codes.Plan(codes.NewMemLookup(), s, codes.ImportOptions{})
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
