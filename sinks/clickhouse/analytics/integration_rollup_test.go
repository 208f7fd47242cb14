package analytics_test

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/sinks/clickhouse"
	"github.com/heldsway/heldsway/sinks/clickhouse/analytics"
	"github.com/heldsway/heldsway/sinks/clickhouse/analytics/analyticstest"
	"github.com/heldsway/heldsway/sinks/clickhouse/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

// These tests run against a real ClickHouse (chtest: 18.16 locally,
// HELDSWAY_TEST_CLICKHOUSE to point elsewhere).

type env struct {
	ctx    context.Context
	w      *clickhouse.Writer
	client *analytics.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	srv := chtest.New(t)
	w, err := clickhouse.Open(ctx, clickhouse.WriterConfig{DSN: srv.DSN})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	c, err := analytics.New(analytics.Config{DSN: srv.DSN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &env{ctx: ctx, w: w, client: c}
}

func (e *env) write(t *testing.T, rows []clickhouse.Row) {
	t.Helper()
	if err := e.w.Write(e.ctx, rows); err != nil {
		t.Fatalf("writing %d rows: %v", len(rows), err)
	}
}

func (e *env) refresh(t *testing.T, opts analytics.RefreshOptions) analytics.Refresh {
	t.Helper()
	r, err := e.client.Refresh(e.ctx, opts)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	return r
}

func (e *env) count(t *testing.T, q string) uint64 {
	t.Helper()
	var n uint64
	if err := e.w.Conn().QueryRow(e.ctx, q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// The whole dataset and a day either side, so orders moved to the day
// before the first are in range.
var (
	from = analyticstest.First.AddDate(0, 0, -1)
	to   = analyticstest.First.AddDate(0, 0, analyticstest.Days)
)

func (e *env) snapshot(t *testing.T) ([]analytics.CodeStats, []analytics.DayStats) {
	t.Helper()
	codes, err := e.client.Codes(e.ctx, analytics.Query{From: from, To: to})
	if err != nil {
		t.Fatalf("Codes: %v", err)
	}
	daily, err := e.client.Daily(e.ctx, analytics.Query{From: from, To: to})
	if err != nil {
		t.Fatalf("Daily: %v", err)
	}
	return codes, daily
}

// TestRollupsAreDuplicateProof is the forced redelivery: the same raw
// rows inserted again (as a sink that crashed before committing would)
// with merges stopped, so the duplicates are physically there when the
// rollups are refreshed, must leave every figure unchanged; and at every
// step the rollups agree with a recomputation from the raw tables.
func TestRollupsAreDuplicateProof(t *testing.T) {
	e := newEnv(t)
	ds := analyticstest.New(1)
	raw := []string{"clicks", "orders", "refunds", "codes", "attributions", "adjustments", "flags"}
	for _, tb := range raw {
		if err := e.w.Conn().Exec(e.ctx, "SYSTEM STOP MERGES "+tb); err != nil {
			t.Fatalf("stopping merges on %s: %v", tb, err)
		}
	}

	e.write(t, ds.Initial)
	r := e.refresh(t, analytics.RefreshOptions{})
	if len(r.Days) < analyticstest.Days {
		t.Fatalf("first refresh recomputed %d days, want all %d+", len(r.Days), analyticstest.Days)
	}
	codes1, daily1 := e.snapshot(t)
	assertAgrees(t, codes1, recompute(t, e.ctx, e.w.Conn(), from, to))

	// Redelivery of everything.
	e.write(t, analyticstest.Redeliver(ds.Initial))
	for _, tb := range raw {
		all, distinct := e.count(t, "SELECT count() FROM "+tb), e.count(t, "SELECT uniqExact(event_id) FROM "+tb)
		if all != 2*distinct {
			t.Fatalf("%s: %d rows of %d events: the redelivered duplicates should be physically present", tb, all, distinct)
		}
	}
	e.refresh(t, analytics.RefreshOptions{})
	codes2, daily2 := e.snapshot(t)
	if !reflect.DeepEqual(codes1, codes2) {
		t.Errorf("per-code figures changed after redelivery:\nbefore %+v\nafter  %+v", codes1, codes2)
	}
	if !reflect.DeepEqual(daily1, daily2) {
		t.Errorf("daily figures changed after redelivery")
	}

	// Late data: refunds and revisions of old orders, an order moved a
	// day back; then all of it redelivered once more.
	e.write(t, ds.Late)
	e.refresh(t, analytics.RefreshOptions{})
	codes3, _ := e.snapshot(t)
	assertAgrees(t, codes3, recompute(t, e.ctx, e.w.Conn(), from, to))
	if reflect.DeepEqual(codes1, codes3) {
		t.Error("late data changed nothing; the dataset should exercise it")
	}
	e.write(t, analyticstest.Redeliver(ds.All()))
	e.refresh(t, analytics.RefreshOptions{})
	codes4, daily4 := e.snapshot(t)
	if !reflect.DeepEqual(codes3, codes4) {
		t.Errorf("per-code figures changed after the second redelivery")
	}
	// A full recomputation agrees with the incremental ones.
	e.refresh(t, analytics.RefreshOptions{Full: true})
	codes5, daily5 := e.snapshot(t)
	if !reflect.DeepEqual(codes4, codes5) || !reflect.DeepEqual(daily4, daily5) {
		t.Errorf("full refresh differs from incremental")
	}
	assertAgrees(t, codes5, recompute(t, e.ctx, e.w.Conn(), from, to))

	// Sub-ranges agree too (uniques are not additive over days).
	mid := analyticstest.First.AddDate(0, 0, 5)
	part, err := e.client.Codes(e.ctx, analytics.Query{From: mid, To: mid.AddDate(0, 0, 3)})
	if err != nil {
		t.Fatal(err)
	}
	assertAgrees(t, part, recompute(t, e.ctx, e.w.Conn(), mid, mid.AddDate(0, 0, 3)))

	// The figures an affiliate manager reads.
	byCode := map[string]analytics.CodeStats{}
	for _, s := range codes5 {
		if s.Currency == "EUR" {
			byCode[s.Code] = s
		}
	}
	if s := byCode["LEAKY"]; !s.Leaked || s.LeakFlags != 3 {
		t.Errorf("LEAKY: leaked %v, leak flags %d, want leaked with 3: %+v", s.Leaked, s.LeakFlags, s)
	}
	if s := byCode["ANNA10"]; s.Leaked || s.AffiliateID != "aff-anna" || s.Orders == 0 || s.Clicks == 0 || s.RefundedOrders == 0 {
		t.Errorf("ANNA10 figures look wrong: %+v", s)
	}
	t.Logf("ANNA10 %+v", byCode["ANNA10"])
}

// TestRefreshIsIncremental: a refresh with nothing new recomputes no day
// once the margin has passed, and one after late rows recomputes the days
// they touch (including the day an order moved away from).
func TestRefreshIsIncremental(t *testing.T) {
	e := newEnv(t)
	ds := analyticstest.New(2)
	// The server clock has second resolution: let it tick between the
	// writes and the refreshes, so what is new is unambiguous.
	e.write(t, ds.Initial)
	e.waitNextSecond(t)
	e.refresh(t, analytics.RefreshOptions{})
	e.waitNextSecond(t)
	if r := e.refresh(t, analytics.RefreshOptions{Margin: time.Nanosecond}); len(r.Days) != 0 {
		t.Fatalf("nothing new, yet %d days recomputed: %v", len(r.Days), r.Days)
	}
	e.waitNextSecond(t)
	e.write(t, ds.Late)
	r := e.refresh(t, analytics.RefreshOptions{Margin: time.Nanosecond})
	want := touchedBy(ds.Late, ds.All())
	var got []string
	for _, d := range r.Days {
		got = append(got, d.Format(time.DateOnly))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("late rows recomputed days\n %v\nwant\n %v", got, want)
	}
	codes, _ := e.snapshot(t)
	assertAgrees(t, codes, recompute(t, e.ctx, e.w.Conn(), from, to))
	t.Logf("late rows recomputed %d days", len(r.Days))
}

// touchedBy lists the days rows touch, sorted: every event day of an order
// they concern, and the days of clicks and flags.
func touchedBy(rows, all []clickhouse.Row) []string {
	orderDays := map[string][]string{}
	for _, r := range all {
		if o, ok := r.Record.(schemas.Order); ok {
			k := o.Platform + "/" + o.StoreID + "/" + o.OrderID
			orderDays[k] = append(orderDays[k], o.OccurredAt.Format(time.DateOnly))
		}
	}
	set := map[string]bool{}
	for _, r := range rows {
		switch v := r.Record.(type) {
		case schemas.Order:
			for _, d := range orderDays[v.Platform+"/"+v.StoreID+"/"+v.OrderID] {
				set[d] = true
			}
		case schemas.Refund:
			for _, d := range orderDays[v.Platform+"/"+v.StoreID+"/"+v.OrderID] {
				set[d] = true
			}
		case schemas.Attribution:
			for _, d := range orderDays[v.Platform+"/"+v.StoreID+"/"+v.OrderID] {
				set[d] = true
			}
		case schemas.Adjustment:
			for _, d := range orderDays[v.Platform+"/"+v.StoreID+"/"+v.OrderID] {
				set[d] = true
			}
		case schemas.Click:
			set[v.OccurredAt.Format(time.DateOnly)] = true
		case schemas.Flag:
			set[v.OccurredAt.Format(time.DateOnly)] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// waitNextSecond polls until the server's now() has moved on a second.
func (e *env) waitNextSecond(t *testing.T) {
	t.Helper()
	var start time.Time
	if err := e.w.Conn().QueryRow(e.ctx, "SELECT now()").Scan(&start); err != nil {
		t.Fatal(err)
	}
	for {
		var now time.Time
		if err := e.w.Conn().QueryRow(e.ctx, "SELECT now()").Scan(&now); err != nil {
			t.Fatal(err)
		}
		if now.After(start) {
			return
		}
		select {
		case <-e.ctx.Done():
			t.Fatal(e.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
