package csvfile

import (
	"os"
	"strings"
	"testing"

	"github.com/heldsway/heldsway/codes/registry"
)

func exampleCSV(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/example.csv")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func none(string) bool { return false }

func TestRuleGenerate(t *testing.T) {
	tests := []struct {
		rule     string
		a        Affiliate
		discount string
		want     string
	}{
		{"{first}{discount}", Affiliate{ID: "a1", Name: "Sarah Connor"}, "10", "SARAH10"},
		{"{first}{last}{discount}", Affiliate{ID: "a2", Name: "John Doe"}, "15", "JOHNDOE15"},
		{"{first}{last}{discount}", Affiliate{ID: "a3", Name: "Zoë  O'Brien-Smith"}, "15", "ZOEOBRIENSMITH15"},
		{"{first}", Affiliate{ID: "a4", Name: "Maximilianusque"}, "", "MAXIMILIANUS"},
		{"{email}-{discount}", Affiliate{ID: "a5", Email: "jane.doe+promo@example.com"}, "5", "JANEDOE-5"},
		{"ACME-{first}", Affiliate{ID: "a6", Name: "josé"}, "", "ACME-JOSE"},
	}
	for _, tt := range tests {
		got, err := MustParseRule(tt.rule).Generate(tt.a, tt.discount, none)
		if err != nil || got != tt.want {
			t.Errorf("%s for %+v = %q, %v; want %q", tt.rule, tt.a, got, err, tt.want)
		}
	}
}

func TestRuleRandom(t *testing.T) {
	r := MustParseRule("PARTNER-{first}-{random:2}")
	a := Affiliate{ID: "aff_42", Name: "John"}
	got, err := r.Generate(a, "", none)
	if err != nil || !strings.HasPrefix(got, "PARTNER-JOHN-") || len(got) != len("PARTNER-JOHN-")+2 {
		t.Fatalf("got %q, %v", got, err)
	}
	again, _ := r.Generate(a, "", none)
	if again != got {
		t.Fatalf("not deterministic: %q then %q", got, again)
	}
	other, _ := r.Generate(Affiliate{ID: "aff_43", Name: "John"}, "", none)
	if other == got {
		t.Logf("two affiliates share a suffix by chance: %q", got) // 1 in 961
	}
	long, _ := MustParseRule("{random:8}").Generate(a, "", none)
	for _, c := range long + got[len(got)-2:] {
		if strings.ContainsRune("0O1IL", c) {
			t.Fatalf("look-alike %q in %q", c, long)
		}
	}
}

func TestAlphabetHasNoLookAlikes(t *testing.T) {
	for _, c := range "0O1IL" {
		if strings.ContainsRune(Alphabet, c) {
			t.Fatalf("Alphabet contains %q", c)
		}
	}
	seen := map[rune]bool{}
	for _, c := range Alphabet {
		if seen[c] {
			t.Fatalf("Alphabet repeats %q", c)
		}
		seen[c] = true
	}
}

func TestRuleCollisions(t *testing.T) {
	r := MustParseRule("{first}{discount}")
	a := Affiliate{ID: "aff_7", Name: "Sarah"}
	taken := map[string]bool{"SARAH10": true}
	got, err := r.Generate(a, "10", func(c string) bool { return taken[c] })
	if err != nil || !strings.HasPrefix(got, "SARAH10") || len(got) != len("SARAH10")+2 {
		t.Fatalf("got %q, %v", got, err)
	}
	again, _ := r.Generate(a, "10", func(c string) bool { return taken[c] })
	if again != got {
		t.Fatalf("collision handling not deterministic: %q vs %q", got, again)
	}
	taken[got] = true
	third, _ := r.Generate(a, "10", func(c string) bool { return taken[c] })
	if third == got || !strings.HasPrefix(third, "SARAH10") {
		t.Fatalf("third = %q", third)
	}
	// Rules with {random} draw new characters instead of appending.
	rr := MustParseRule("P-{first}-{random:3}")
	first, _ := rr.Generate(a, "", none)
	next, _ := rr.Generate(a, "", func(c string) bool { return c == first })
	if next == first || len(next) != len(first) {
		t.Fatalf("random collision: %q then %q", first, next)
	}
	if _, err := r.Generate(a, "10", func(string) bool { return true }); err == nil {
		t.Fatal("want ErrExhausted when everything is taken")
	}
}

func TestParseRuleErrors(t *testing.T) {
	for _, s := range []string{"", "SAVE10", "{first", "{nickname}", "{random:0}", "{random:9}", "A B{first}"} {
		if _, err := ParseRule(s); err == nil {
			t.Errorf("ParseRule(%q) accepted", s)
		}
	}
	if _, err := MustParseRule("{last}").Generate(Affiliate{ID: "a", Name: "Cher"}, "", none); err == nil {
		t.Error("{last} of a one-word name accepted")
	}
}

func TestDiscountText(t *testing.T) {
	usd := "USD"
	tests := []struct {
		typ  string
		v    int64
		cur  *string
		want string
	}{
		{registry.Percent, 1000, nil, "10"}, {registry.Percent, 1250, nil, "125"}, {registry.Fixed, 500, &usd, "5"}, {registry.Fixed, 499, &usd, "499"},
	}
	for _, tt := range tests {
		if got := DiscountText(tt.typ, tt.v, tt.cur); got != tt.want {
			t.Errorf("DiscountText(%s, %d) = %q, want %q", tt.typ, tt.v, got, tt.want)
		}
	}
}
