package processor

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// TestIntegrationStageLagKeepsGroups is the regression test for the
// drain checks that failed under load: while one stage group exists and
// the others do not yet (a stage still joining on a busy machine), the
// lag check must leave the list of stage groups as it was, so the next
// check still asks for all three.
func TestIntegrationStageLagKeepsGroups(t *testing.T) {
	e := newEnv(t, nil)
	adm := kadm.NewClient(e.cl)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var offs kadm.Offsets
	offs.Add(kadm.Offset{Topic: e.topics.Clicks, Partition: 0, At: 0, LeaderEpoch: -1})
	if _, err := adm.CommitOffsets(ctx, stageGroups[0], offs); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(stageGroups)
	for i := range 10 {
		lags, err := stageLag(ctx, adm)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := lags[stageGroups[0]]; !ok {
			t.Fatalf("check %d: no lag for the group that exists, %s", i, stageGroups[0])
		}
		if !slices.Equal(stageGroups, want) {
			t.Fatalf("check %d changed the stage groups to %v", i, stageGroups)
		}
	}
}
