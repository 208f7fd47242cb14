package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/heldsway/heldsway/sinks/clickhouse/chtest"
)

// These tests run against a real ClickHouse (see chtest: 18.16 locally,
// HELDSWAY_TEST_CLICKHOUSE to point elsewhere).

func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func openWriter(t *testing.T, ctx context.Context, dsn string) *Writer {
	t.Helper()
	w, err := Open(ctx, WriterConfig{DSN: dsn})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func count(t *testing.T, ctx context.Context, w *Writer, query string) uint64 {
	t.Helper()
	var n uint64
	if err := w.Conn().QueryRow(ctx, query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestMigrationsApplyAndAreIdempotent(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	srv := chtest.New(t)
	w := openWriter(t, ctx, srv.DSN)
	if w.Database() != srv.Database {
		t.Fatalf("database %q, want %q", w.Database(), srv.Database)
	}
	t.Logf("server %s, insert_deduplication_token supported: %v", w.ServerVersion(), w.dedupTokens)
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}

	// Again, on a new connection: nothing to apply.
	w2 := openWriter(t, ctx, srv.DSN)
	if n, err := migrate(ctx, w2.Conn(), ms, w2.log); err != nil || n != 0 {
		t.Fatalf("third run applied %d, %v; want 0", n, err)
	}
	if got := count(t, ctx, w2, "SELECT count() FROM schema_migrations"); got != uint64(len(ms)) {
		t.Fatalf("schema_migrations has %d rows, want %d", got, len(ms))
	}
	rows, err := w2.Conn().Query(ctx, "SELECT name FROM system.tables WHERE database = ? ORDER BY name", srv.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	want := []string{"schema_migrations",
		// 0002: the per-code rollups (package analytics) and their views.
		"rollup_code_orders", "rollup_code_clicks", "rollup_code_flags", "rollup_refreshes",
		"code_orders_daily", "code_clicks_daily", "code_flags_daily"}
	for _, tb := range tables {
		want = append(want, tb.name)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("tables = %v, want %v", got, want)
	}
}

// TestTablesMatchDDL: each descriptor inserts exactly the DDL's columns,
// leaving only inserted_at to its default. (18.16's system.columns has no
// position, so names are compared as sets.)
func TestTablesMatchDDL(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	srv := chtest.New(t)
	w := openWriter(t, ctx, srv.DSN)
	for _, tb := range tables {
		rows, err := w.Conn().Query(ctx, "SELECT name FROM system.columns WHERE database = ? AND table = ? ORDER BY name", srv.Database, tb.name)
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			cols = append(cols, n)
		}
		rows.Close()
		want := append(slices.Clone(tb.columns), "inserted_at")
		slices.Sort(want)
		if !slices.Equal(cols, want) {
			t.Errorf("%s:\n DDL  %v\n code %v", tb.name, cols, want)
		}
	}
}

func TestWriterRoundTripsEveryTable(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	srv := chtest.New(t)
	w := openWriter(t, ctx, srv.DSN)

	var rows []Row
	for i, rec := range sampleRecords() {
		rows = append(rows, Row{Record: rec, Partition: int32(i % 3), Offset: int64(100 + i)})
	}
	if err := w.Write(ctx, rows); err != nil {
		t.Fatalf("Write: %v", err)
	}
	for i, tb := range tables {
		var id string
		var p int32
		var off int64
		var inserted time.Time
		q := fmt.Sprintf("SELECT event_id, kafka_partition, kafka_offset, inserted_at FROM %s FINAL", tb.name)
		if err := w.Conn().QueryRow(ctx, q).Scan(&id, &p, &off, &inserted); err != nil {
			t.Fatalf("%s: %v", tb.name, err)
		}
		vals, _ := tb.values(rows[i].Record)
		if id != vals[0] || p != rows[i].Partition || off != rows[i].Offset || time.Since(inserted) > time.Hour {
			t.Errorf("%s: got %s %d/%d at %v", tb.name, id, p, off, inserted)
		}
	}

	t.Run("orders", func(t *testing.T) {
		o := sampleOrder(1)
		var (
			orderID, customerKey      string
			codes                     []string
			amounts                   []int64
			remoteIDs                 []*string
			firstOrder                *uint8
			cycle                     *int32
			startedMS, appliedMS      *int64
			applied                   *time.Time
			occurred                  time.Time
			occurredMS, total, discnt int64
			landing, visitor          *string
		)
		err := w.Conn().QueryRow(ctx, `SELECT order_id, customer_key, codes, code_amounts, code_remote_ids,
			customer_first_order, subscription_cycle, subscription_started_at_ms, code_applied_at_ms, code_applied_at,
			occurred_at, occurred_at_ms, total, discount, landing_url, customer_visitor_id FROM orders FINAL`).Scan(
			&orderID, &customerKey, &codes, &amounts, &remoteIDs, &firstOrder, &cycle, &startedMS, &appliedMS, &applied,
			&occurred, &occurredMS, &total, &discnt, &landing, &visitor)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case orderID != o.OrderID || customerKey != o.Customer.Key || total != o.Total || discnt != o.Discount:
			t.Errorf("scalars: %s %s %d %d", orderID, customerKey, total, discnt)
		case !slices.Equal(codes, []string{"SPRING15", "FREESHIP"}) || !slices.Equal(amounts, []int64{1000, 500}):
			t.Errorf("codes: %v %v", codes, amounts)
		case len(remoteIDs) != 2 || remoteIDs[0] == nil || *remoteIDs[0] != "gid://1" || remoteIDs[1] != nil:
			t.Errorf("remote ids: %v", remoteIDs)
		case firstOrder == nil || *firstOrder != 1 || cycle == nil || *cycle != 2:
			t.Errorf("first order, cycle: %v %v", firstOrder, cycle)
		case startedMS == nil || *startedMS != o.Subscription.StartedAt.UnixMilli():
			t.Errorf("subscription_started_at_ms: %v", startedMS)
		case appliedMS == nil || *appliedMS != o.CodeAppliedAt.UnixMilli() || applied == nil || !applied.Equal(o.CodeAppliedAt.Truncate(time.Second)):
			t.Errorf("code_applied_at: %v %v", applied, appliedMS)
		case !occurred.Equal(t0.Truncate(time.Second)) || occurredMS != t0.UnixMilli():
			t.Errorf("occurred_at: %v %d, want %v %d", occurred, occurredMS, t0.Truncate(time.Second), t0.UnixMilli())
		case landing == nil || *landing != *o.LandingURL || visitor == nil || *visitor != "visitor-1":
			t.Errorf("nullable strings: %v %v", landing, visitor)
		}
	})

	t.Run("attributions", func(t *testing.T) {
		var weights []int32
		var kinds []string
		var won []uint8
		var shareCodes []*string
		var reasons []string
		err := w.Conn().QueryRow(ctx, "SELECT share_weight_bp, touch_kinds, touch_won, share_codes, reasons FROM attributions FINAL").
			Scan(&weights, &kinds, &won, &shareCodes, &reasons)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(weights, []int32{6000, 4000}) || !slices.Equal(kinds, []string{"code", "click"}) ||
			!slices.Equal(won, []uint8{1, 0}) || *shareCodes[0] != "SPRING15" || shareCodes[1] != nil ||
			!slices.Equal(reasons, []string{"code", "click"}) {
			t.Errorf("got %v %v %v %v %v", weights, kinds, won, shareCodes, reasons)
		}
	})

	t.Run("codes", func(t *testing.T) {
		var names []string
		var synced []*int64
		var version uint64
		var commission *int64
		err := w.Conn().QueryRow(ctx, "SELECT platform_names, platform_synced_at_ms, version, commission_value FROM codes FINAL").
			Scan(&names, &synced, &version, &commission)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(names, []string{"shopify", "stripe"}) || synced[0] == nil || *synced[0] != t0.UnixMilli() ||
			synced[1] != nil || version != 1 || commission == nil || *commission != 1000 {
			t.Errorf("got %v %v %d %v", names, synced, version, commission)
		}
	})

	t.Run("flags and deadletters", func(t *testing.T) {
		var keys, vals []string
		if err := w.Conn().QueryRow(ctx, "SELECT evidence_keys, evidence_values FROM flags FINAL").Scan(&keys, &vals); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(keys, []string{"first_seen", "site"}) || !slices.Equal(vals, []string{"2026-03-14", "coupons.example"}) {
			t.Errorf("evidence %v %v", keys, vals)
		}
		var value string
		var key *string
		var off *int64
		if err := w.Conn().QueryRow(ctx, "SELECT value, key, source_offset FROM deadletters FINAL").Scan(&value, &key, &off); err != nil {
			t.Fatal(err)
		}
		if value != "\xc3\x01\xff" || key == nil || *key != "k" || off == nil || *off != 7 {
			t.Errorf("deadletter %q %v %v", value, key, off)
		}
	})
}

func TestWriterCollapsesDuplicatesAndKeepsLatestVersion(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	srv := chtest.New(t)
	w := openWriter(t, ctx, srv.DSN)

	var orders []Row
	for i := range 5 {
		orders = append(orders, Row{Record: sampleOrder(i), Offset: int64(i)})
	}
	// The same batch twice (a redelivery), then attribution versions out
	// of order and a code's versions.
	for range 2 {
		if err := w.Write(ctx, orders); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []int32{1, 3, 2, 3} {
		if err := w.Write(ctx, []Row{{Record: sampleAttribution(v)}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []int64{2, 1} {
		if err := w.Write(ctx, []Row{{Record: sampleCode(v)}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(t, ctx, w, "SELECT count() FROM orders FINAL"); got != 5 {
		t.Errorf("orders FINAL = %d, want 5", got)
	}
	var version uint64
	var commission int64
	if err := w.Conn().QueryRow(ctx, "SELECT version, commission FROM attributions FINAL").Scan(&version, &commission); err != nil {
		t.Fatal(err)
	}
	if version != 3 || commission != 3*850 {
		t.Errorf("attribution FINAL: version %d commission %d, want 3, %d", version, commission, 3*850)
	}
	if err := w.Conn().QueryRow(ctx, "SELECT argMax(version, version) FROM codes WHERE code = 'SPRING15'").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != 2 {
		t.Errorf("code argMax version = %d, want 2", version)
	}
}

func TestWriterReportsRowsItCannotStore(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	srv := chtest.New(t)
	w := openWriter(t, ctx, srv.DSN)

	old := sampleOrder(2)
	old.OccurredAt = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	err := w.Write(ctx, []Row{{Record: sampleOrder(1)}, {Record: old}, {Record: "not a record"}, {Record: sampleClick()}})
	var be *BatchError
	if !errors.As(err, &be) || !IsInvalid(err) {
		t.Fatalf("Write: %v, want a *BatchError", err)
	}
	if len(be.Rows) != 2 || be.Rows[0].Index != 1 || be.Rows[1].Index != 2 ||
		!strings.Contains(be.Rows[0].Err.Error(), "occurred_at") || !errors.Is(be.Rows[1].Err, ErrUnknownRecord) {
		t.Fatalf("rows = %+v", be.Rows)
	}
	if got := count(t, ctx, w, "SELECT count() FROM orders"); got != 1 {
		t.Errorf("orders = %d, want the valid one", got)
	}
	if got := count(t, ctx, w, "SELECT count() FROM clicks"); got != 1 {
		t.Errorf("clicks = %d, want 1", got)
	}
}

func TestOpenRejectsHTTPAndBadNames(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	if _, err := Open(ctx, WriterConfig{DSN: "http://127.0.0.1:8123/heldsway"}); !errors.Is(err, ErrNotNative) {
		t.Errorf("http: %v", err)
	}
	if _, err := Open(ctx, WriterConfig{DSN: "clickhouse://127.0.0.1:9000/a-b"}); !errors.Is(err, ErrBadDatabase) {
		t.Errorf("bad name: %v", err)
	}
	if _, err := Open(ctx, WriterConfig{}); !errors.Is(err, ErrConfig) {
		t.Errorf("no dsn: %v", err)
	}
}

// TestOpenLogsToConfigLogger: the Writer logs to its WriterConfig's
// Logger (the one way a logger is passed); a nil Logger logs nothing.
func TestOpenLogsToConfigLogger(t *testing.T) {
	ctx := testContext(t, time.Minute)
	srv := chtest.New(t)
	for _, tc := range []struct {
		name   string
		logger bool
		want   int
	}{
		{name: "config logger", logger: true, want: 1},
		{name: "nil logger", logger: false, want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.InfoLevel)
			cfg := WriterConfig{DSN: srv.DSN}
			if tc.logger {
				cfg.Logger = zap.New(core).Named("writer")
			}
			w, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			w.Close()
			got := logs.FilterMessage("connected to clickhouse").All()
			if len(got) != tc.want {
				t.Fatalf("%d %q entries, want %d (all: %v)", len(got), "connected to clickhouse", tc.want, logs.All())
			}
			for _, e := range got {
				if e.LoggerName != "writer" || e.ContextMap()["database"] != w.Database() {
					t.Errorf("entry %+v: want logger %q and database %q", e, "writer", w.Database())
				}
			}
		})
	}
}
