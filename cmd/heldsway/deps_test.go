package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestProductDeps checks that the heldsway binary links none of the
// benchmark's peer-baseline libraries: Goka and what it brings (Sarama,
// LevelDB) belong to bench/cmd/goka-peer, a binary of its own.
func TestProductDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/heldsway/heldsway/cmd/heldsway").Output()
	if err != nil {
		t.Fatalf("go list: %v", err) // a skip would hide the check

	}
	for _, banned := range []string{
		"github.com/lovoo/goka",
		"github.com/IBM/sarama",
		"github.com/syndtr/goleveldb",
		"github.com/heldsway/heldsway/bench/goka",
	} {
		for _, pkg := range strings.Fields(string(out)) {
			if pkg == banned || strings.HasPrefix(pkg, banned+"/") {
				t.Errorf("heldsway links %s (from %s): keep it in bench/cmd/goka-peer", pkg, banned)
				break
			}
		}
	}
}
