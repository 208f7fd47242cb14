package schemas

import "testing"

// TestID pins ID's output: payout systems deduplicate on these ids, so a
// change here is a breaking change to the wire contract, never a fix.
func TestID(t *testing.T) {
	cases := []struct {
		parts []string
		want  string
	}{
		{[]string{}, "e3b0c44298fc1c149afbf4c8996fb924"},
		{[]string{""}, "af5570f5a1810b7af78caf4bc70a660f"},
		{[]string{"", ""}, "ef3829ef976d5227e19af2ccb9c74328"},
		{[]string{"a"}, "3b196fd4907bedf51c3090e9835f2f7c"},
		{[]string{"ab"}, "9caccc24b5d7e06c21c0277b6530d666"},
		{[]string{"a", "b"}, "be4c526c90ef11d6ea1d24b6dc1977f7"},
		{[]string{"a\x1fb"}, "a4e0c3337b51811ec5d85a6ba6d98e08"},
		{[]string{"shopify", "shop.example", "1001", "orders/paid"}, "4d7201edbddb2a042805d5eaf77b56a7"},
		{[]string{"héllo", "wörld"}, "10087a02693c18f402616585166b071f"},
	}
	seen := make(map[string]bool)
	for _, c := range cases {
		got := ID(c.parts...)
		if got != c.want {
			t.Errorf("ID(%q) = %s, want %s", c.parts, got, c.want)
		}
		if seen[got] {
			t.Errorf("ID(%q) collides with another case", c.parts)
		}
		seen[got] = true
	}
}

func BenchmarkID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ID("shopify", "shop.example", "1001", "orders/paid")
	}
}
