package schemas

import "testing"

func TestOrderRef(t *testing.T) {
	cases := []struct {
		platform, store, id, want string
	}{
		{"shopify", "shop.example", "1001", "shopify/shop.example/1001"},
		{"woocommerce", "https://shop.example", "77", "woocommerce/https://shop.example/77"},
		{"conversion", "s/x", "o", "conversion/s/x/o"},
		{"conversion", "s", "x/o", "conversion/s/x%2Fo"},
		{"conversion", "s", "x%2Fo", "conversion/s/x%252Fo"},
		{"a/b", "s", "o", "a%2Fb/s/o"},
		{"", "", "", "//"},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		got := OrderRef(c.platform, c.store, c.id)
		if got != c.want {
			t.Errorf("OrderRef(%q, %q, %q) = %q, want %q", c.platform, c.store, c.id, got, c.want)
		}
		if seen[got] {
			t.Errorf("OrderRef(%q, %q, %q) collides", c.platform, c.store, c.id)
		}
		seen[got] = true
		p, s, i, ok := SplitOrderRef(got)
		if !ok || p != c.platform || s != c.store || i != c.id {
			t.Errorf("SplitOrderRef(%q) = %q, %q, %q, %v", got, p, s, i, ok)
		}
	}
	for _, bad := range []string{"a/b", "ab", "a/b/c%", "a/b/c%2", "a%41/b/c"} {
		if _, _, _, ok := SplitOrderRef(bad); ok {
			t.Errorf("SplitOrderRef(%q) accepted", bad)
		}
	}
}

// FuzzOrderRef checks that OrderRef is injective: it round-trips through
// SplitOrderRef, so two different part lists never share a reference.
func FuzzOrderRef(f *testing.F) {
	f.Add("conversion", "s/x", "o")
	f.Add("conversion", "s", "x/o")
	f.Add("p", "%2F", "%")
	f.Fuzz(func(t *testing.T, p, s, i string) {
		ref := OrderRef(p, s, i)
		gp, gs, gi, ok := SplitOrderRef(ref)
		if !ok || gp != p || gs != s || gi != i {
			t.Fatalf("OrderRef(%q, %q, %q) = %q splits to %q, %q, %q, %v", p, s, i, ref, gp, gs, gi, ok)
		}
	})
}
