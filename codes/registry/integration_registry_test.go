package registry_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heldsway/heldsway/codes/csvfile"
	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/codes/registry/registrytest"
	"github.com/heldsway/heldsway/schemas"
)

func ptr[T any](v T) *T { return &v }

// exampleCSV is the example file the README and the demo import.
func exampleCSV(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/example.csv")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestIntegrationImportRestoreUpdate(t *testing.T) {
	k := registrytest.New(t)
	topic := k.Topic(t)
	reg := k.Registry(t, topic)
	var mu sync.Mutex
	var synced []registry.Applied
	w := k.Writer(t, reg, registry.SyncerFunc(func(_ context.Context, ch []registry.Applied) error {
		mu.Lock()
		defer mu.Unlock()
		synced = append(synced, ch...)
		return nil
	}))
	ctx := ctxT(t)

	rep, err := csvfile.Import(ctx, strings.NewReader(exampleCSV(t)), reg, w, csvfile.ImportOptions{Atomic: true})
	if err != nil || !rep.OK() || rep.Created != 10 || rep.Written != 10 {
		t.Fatalf("import: %v %+v", err, rep)
	}
	if len(synced) != 10 {
		t.Fatalf("syncer saw %d changes, want 10", len(synced))
	}
	// The writer's registry reads its own writes.
	if c, ok := reg.Get("SARAH15"); !ok || c.Version != 1 || c.EventID != registry.EventID("SARAH15", 1) || c.AffiliateID != "aff_sarah_lee" {
		t.Fatalf("SARAH15 = %+v, %v", c, ok)
	}
	if got := len(reg.ByAffiliate("aff_deep_dive")); got != 2 {
		t.Fatalf("aff_deep_dive holds %d codes", got)
	}

	// A fresh registry restores the same state from the topic.
	fresh := k.Registry(t, topic)
	if fresh.Len() != 10 {
		t.Fatalf("fresh registry holds %d codes", fresh.Len())
	}
	for _, c := range reg.All() {
		f, ok := fresh.Get(c.Code)
		if !ok || !registry.SameDefinition(&c, &f) || f.Version != c.Version || f.EventID != c.EventID {
			t.Fatalf("restored %s differs:\n%+v\n%+v", c.Code, c, f)
		}
	}

	// The same file again changes nothing; a changed row bumps the version.
	rep, err = csvfile.Import(ctx, strings.NewReader(exampleCSV(t)), reg, w, csvfile.ImportOptions{})
	if err != nil || rep.Unchanged != 10 || rep.Written != 0 {
		t.Fatalf("re-import: %v %+v", err, rep)
	}
	rep, err = csvfile.Import(ctx, strings.NewReader("code,affiliate_id,status,max_uses\nsarah15,aff_sarah_lee,paused,750\n"), reg, w, csvfile.ImportOptions{})
	if err != nil || rep.Updated != 1 {
		t.Fatalf("update: %v %+v", err, rep)
	}
	c, _ := reg.Get("SARAH15")
	if c.Version != 2 || c.EventID != registry.EventID("SARAH15", 2) || c.Status != registry.StatusPaused || *c.MaxUses != 750 || c.DisplayCode != "sarah15" {
		t.Fatalf("after update: %+v", c)
	}

	// Sync state written by a syncer does not call the syncer again, and
	// makes the code findable by its remote id.
	before := len(synced)
	c.Platforms = []schemas.PlatformSync{{Platform: registry.PlatformStripe, StoreID: "acct_1", RemoteID: ptr("promo_123"), Status: registry.SyncSynced}}
	if _, err := w.Put(ctx, c, c.Version); err != nil {
		t.Fatal(err)
	}
	if len(synced) != before {
		t.Fatalf("platform-only update reached the syncer")
	}
	if got, ok := reg.ByRemoteID("stripe", "acct_1", "promo_123"); !ok || got.Code != "SARAH15" || got.Version != 3 {
		t.Fatalf("ByRemoteID = %+v, %v", got, ok)
	}
	// A change based on a stale version is refused.
	if _, err := w.Put(ctx, c, 2); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("stale put: %v", err)
	}
	// An import never touches Platforms.
	if _, err := csvfile.Import(ctx, strings.NewReader("code,affiliate_id,status\nSARAH15,aff_sarah_lee,active\n"), reg, w, csvfile.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := reg.Get("SARAH15"); len(got.Platforms) != 1 || got.Version != 4 {
		t.Fatalf("import touched platforms: %+v", got)
	}

	// Delete is a tombstone; a re-created code continues its versions.
	if err := w.Delete(ctx, "NOAH15", registry.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Get("NOAH15"); ok {
		t.Fatal("NOAH15 still there")
	}
	if _, err := csvfile.Import(ctx, strings.NewReader("code,affiliate_id,coupon,discount_value,currency\nNOAH15,aff_noah_b,spring-launch,15,USD\n"), reg, w, csvfile.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if c, _ := reg.Get("NOAH15"); c.Version != 2 {
		t.Fatalf("re-created NOAH15 at version %d, want 2", c.Version)
	}

	// After compaction the topic still restores the latest state.
	k.Cluster.Compact()
	compacted := k.Registry(t, topic)
	if compacted.Len() != reg.Len() {
		t.Fatalf("compacted registry holds %d codes, want %d", compacted.Len(), reg.Len())
	}
	for _, c := range reg.All() {
		f, ok := compacted.Get(c.Code)
		if !ok || f.Version != c.Version || !registry.SameDefinition(&c, &f) {
			t.Fatalf("after compaction %s = %+v, want %+v", c.Code, f, c)
		}
	}
}

func TestIntegrationDeactivateExpire(t *testing.T) {
	k := registrytest.New(t)
	topic := k.Topic(t)
	reg := k.Registry(t, topic)
	w := k.Writer(t, reg, nil)
	ctx := ctxT(t)
	if rep, err := csvfile.Import(ctx, strings.NewReader(exampleCSV(t)), reg, w, csvfile.ImportOptions{}); err != nil || !rep.OK() {
		t.Fatalf("import: %v %+v", err, rep)
	}
	res, err := w.Apply(ctx, registry.Deactivate(reg, "aff_deep_dive"), registry.ApplyOptions{})
	if err != nil || res.Written != 2 {
		t.Fatalf("deactivate: %v %+v", err, res)
	}
	for _, c := range reg.ByAffiliate("aff_deep_dive") {
		if c.Status != registry.StatusInactive || c.Version != 2 {
			t.Fatalf("%s: %+v", c.Code, c)
		}
	}
	if len(registry.Deactivate(reg, "aff_deep_dive")) != 0 {
		t.Fatal("deactivating twice changes something")
	}
	// Codes valid until 2099-12-31 (7 rows, one paused) expire on 2100-01-01;
	// MAYAVIP20 (until 2100-05-15) and the open-ended podcast codes do not.
	changes := registry.Expire(reg, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if len(changes) != 7 {
		t.Fatalf("expire picked %d codes", len(changes))
	}
	if _, err := w.Apply(ctx, changes, registry.ApplyOptions{Atomic: true}); err != nil {
		t.Fatal(err)
	}
	if c, _ := reg.Get("MAYAVIP20"); c.Status != registry.StatusActive {
		t.Fatalf("MAYAVIP20 = %s", c.Status)
	}
	if c, _ := reg.Get("LUCAS15"); c.Status != registry.StatusInactive {
		t.Fatalf("LUCAS15 = %s", c.Status)
	}
	if n := len(registry.Select(reg, registry.Filter{Status: registry.StatusInactive})); n != 9 {
		t.Fatalf("%d inactive codes, want 9", n)
	}
}

func TestIntegrationAtomicWritesNothing(t *testing.T) {
	k := registrytest.New(t)
	topic := k.Topic(t)
	reg := k.Registry(t, topic)
	w := k.Writer(t, reg, nil)
	ctx := ctxT(t)
	csv := exampleCSV(t) + "BROKEN,aff_x,,,spring-launch,percent,15,USD,2026-04-01,2026-03-01,,,,,,,,,,active\n"
	rep, err := csvfile.Import(ctx, strings.NewReader(csv), reg, w, csvfile.ImportOptions{Atomic: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 1 || rep.Written != 0 || len(rep.Errors) != 1 || rep.Errors[0].Line != 12 || rep.Errors[0].Field != "valid_until" {
		t.Fatalf("report %+v", rep)
	}
	if n := k.EndOffsets(t, topic); n != 0 {
		t.Fatalf("atomic import with a bad row wrote %d records", n)
	}
	// Without --atomic the 10 valid rows are written.
	rep, err = csvfile.Import(ctx, strings.NewReader(csv), reg, w, csvfile.ImportOptions{})
	if err != nil || rep.Written != 10 || rep.Failed != 1 {
		t.Fatalf("non-atomic: %v %+v", err, rep)
	}
	if fresh := k.Registry(t, topic); fresh.Len() != 10 {
		t.Fatalf("fresh registry holds %d", fresh.Len())
	}
}

func TestIntegrationConflictBetweenPlanAndApply(t *testing.T) {
	k := registrytest.New(t)
	topic := k.Topic(t)
	reg := k.Registry(t, topic)
	w := k.Writer(t, reg, nil)
	ctx := ctxT(t)
	s, _ := csvfile.ReadCSV(strings.NewReader("code,affiliate_id\nRACE1,aff_1\nRACE2,aff_1\n"))
	changes, _, _ := csvfile.Plan(reg, s, csvfile.ImportOptions{})
	// Someone else creates RACE1 meanwhile.
	if _, err := w.Put(ctx, schemas.Code{DisplayCode: "RACE1", CouponID: "c", AffiliateID: "aff_2", DiscountType: registry.Percent, Status: registry.StatusActive}, 0); err != nil {
		t.Fatal(err)
	}
	res, err := w.Apply(ctx, changes, registry.ApplyOptions{Atomic: true})
	if err != nil || len(res.Conflicts) != 1 || res.Written != 0 {
		t.Fatalf("atomic apply: %v %+v", err, res)
	}
	res, err = w.Apply(ctx, changes, registry.ApplyOptions{})
	if err != nil || len(res.Conflicts) != 1 || res.Written != 1 {
		t.Fatalf("apply: %v %+v", err, res)
	}
	if c, _ := reg.Get("RACE1"); c.AffiliateID != "aff_2" {
		t.Fatalf("RACE1 overwritten: %+v", c)
	}
}

// BenchmarkImport100k measures a 100,000-row import end to end against
// kfake: parse, validate, produce in one transaction, read back.
func BenchmarkImport100k(b *testing.B) {
	const n = 100_000
	var sb strings.Builder
	sb.WriteString("code,affiliate_id,affiliate_name,coupon,discount_type,discount_value,currency,valid_until,max_uses,once_per_customer,commission_type,commission_value\n")
	for i := range n {
		fmt.Fprintf(&sb, "INFL%06d,aff_%d,Influencer %d,launch,percent,15,USD,2026-12-31,500,yes,percent,20\n", i, i, i)
	}
	csv := sb.String()
	k := registrytest.New(b)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		topic := k.Topic(b)
		reg := k.Registry(b, topic)
		w := k.Writer(b, reg, nil)
		b.StartTimer()
		rep, err := csvfile.Import(context.Background(), strings.NewReader(csv), reg, w, csvfile.ImportOptions{Atomic: true, Platforms: []string{registry.PlatformStripe}})
		if err != nil || rep.Written != n {
			b.Fatalf("import: %v %+v", err, rep)
		}
		b.StopTimer()
		if reg.Len() != n {
			b.Fatalf("registry holds %d", reg.Len())
		}
		w.Close()
		reg.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
