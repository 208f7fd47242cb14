package harness

import (
	"slices"
	"testing"

	gokajob "github.com/heldsway/heldsway/bench/goka"
)

// TestGokaGroups keeps the harness's copy of the Goka peer's consumer
// group names in step with bench/goka, which the harness does not import
// (it would link Goka into heldsway).
func TestGokaGroups(t *testing.T) {
	for _, g := range []string{"bench-goka", "bench-goka-kill"} {
		if got, want := gokaGroups(g), gokajob.Groups(g); !slices.Equal(got, want) {
			t.Errorf("gokaGroups(%q) = %v, bench/goka has %v", g, got, want)
		}
	}
}
