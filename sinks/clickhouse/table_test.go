package clickhouse

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

func TestEveryRecordHasATable(t *testing.T) {
	recs := sampleRecords()
	if len(recs) != len(tables) {
		t.Fatalf("%d sample records for %d tables", len(recs), len(tables))
	}
	for i, rec := range recs {
		tb, ok := tableFor(rec)
		if !ok || tb != tables[i] {
			t.Errorf("tableFor(%T) = %v, %v; want %s", rec, tb, ok, tables[i].name)
		}
		if _, ok := tableFor(&rec); ok {
			t.Errorf("tableFor(*any) found a table")
		}
	}
	if _, ok := tableFor(42); ok {
		t.Error("tableFor(42) found a table")
	}
}

func TestValuesMatchColumns(t *testing.T) {
	for i, rec := range sampleRecords() {
		tb := tables[i]
		t.Run(tb.name, func(t *testing.T) {
			want := len(tb.columns) - len(metaColumns)
			full, err := tb.values(rec)
			if err != nil {
				t.Fatalf("values(populated): %v", err)
			}
			if len(full) != want {
				t.Errorf("populated record: %d values for %d columns", len(full), want)
			}
			if cols := slices.Compact(slices.Sorted(slices.Values(tb.columns))); len(cols) != len(tb.columns) {
				t.Errorf("duplicate column names in %v", tb.columns)
			}
			if tb.columns[0] != "event_id" {
				t.Errorf("first column %q, want event_id (dedupToken relies on it)", tb.columns[0])
			}
		})
	}
}

func TestValuesAcceptValueAndPointer(t *testing.T) {
	o := sampleOrder(1)
	a, err := ordersTable.values(o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ordersTable.values(&o)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("value gives %d values, pointer %d", len(a), len(b))
	}
	if _, err := ordersTable.values(sampleClick()); !errors.Is(err, ErrUnknownRecord) {
		t.Fatalf("values(click) on orders: %v, want ErrUnknownRecord", err)
	}
	if _, err := ordersTable.values((*schemas.Order)(nil)); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("values(nil order): %v, want ErrInvalidRecord", err)
	}
}

func TestOrderValues(t *testing.T) {
	o := sampleOrder(1)
	vals, err := ordersTable.values(o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for i, v := range vals {
		got[ordersTable.columns[i]] = v
	}
	if got["occurred_at"] != t0.Truncate(time.Second) || got["occurred_at_ms"] != t0.UnixMilli() {
		t.Errorf("occurred_at = %v, %v", got["occurred_at"], got["occurred_at_ms"])
	}
	if !slices.Equal(got["codes"].([]string), []string{"SPRING15", "FREESHIP"}) ||
		!slices.Equal(got["code_amounts"].([]int64), []int64{1000, 500}) {
		t.Errorf("codes = %v, %v", got["codes"], got["code_amounts"])
	}
	if ids := got["code_remote_ids"].([]*string); *ids[0] != "gid://1" || ids[1] != nil {
		t.Errorf("code_remote_ids = %v", ids)
	}
	if *got["customer_first_order"].(*uint8) != 1 || *got["subscription_cycle"].(*int32) != 2 {
		t.Errorf("first_order, cycle = %v, %v", got["customer_first_order"], got["subscription_cycle"])
	}

	// Optional parts absent: same columns, NULLs and empty arrays.
	o.Codes, o.Subscription, o.Customer.FirstOrder, o.CodeAppliedAt = nil, nil, nil, nil
	vals, err = ordersTable.values(o)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		got[ordersTable.columns[i]] = v
	}
	if got["subscription_id"].(*string) != nil || got["code_applied_at"].(*time.Time) != nil ||
		got["customer_first_order"].(*uint8) != nil || len(got["codes"].([]string)) != 0 {
		t.Errorf("absent optionals: %v", got)
	}
}

func TestValuesRejectWhatClickHouseCannotHold(t *testing.T) {
	tests := []struct {
		name string
		rec  any
		tb   *table
	}{
		{"order before 1970", func() any {
			o := sampleOrder(1)
			o.OccurredAt = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)
			return o
		}(), ordersTable},
		{"order with zero time", func() any { o := sampleOrder(1); o.ReceivedAt = time.Time{}; return o }(), ordersTable},
		{"order applied after 2105", func() any {
			o := sampleOrder(1)
			o.CodeAppliedAt = ptr(time.Date(2106, 1, 1, 0, 0, 0, 0, time.UTC))
			return o
		}(), ordersTable},
		{"code with negative version", func() any { c := sampleCode(-1); return c }(), codesTable},
		{"attribution with negative version", func() any { a := sampleAttribution(-2); return a }(), attributionsTable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.tb.values(tt.rec)
			if !IsInvalid(err) {
				t.Fatalf("values: %v, want ErrInvalidRecord", err)
			}
		})
	}
}

func TestFlagEvidenceSortedByKey(t *testing.T) {
	vals, err := flagsTable.values(sampleFlag())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for i, v := range vals {
		got[flagsTable.columns[i]] = v
	}
	if !slices.Equal(got["evidence_keys"].([]string), []string{"first_seen", "site"}) ||
		!slices.Equal(got["evidence_values"].([]string), []string{"2026-03-14", "coupons.example"}) {
		t.Fatalf("evidence = %v %v", got["evidence_keys"], got["evidence_values"])
	}
}

func TestTopicTables(t *testing.T) {
	topics, err := schemas.NewTopics("hs")
	if err != nil {
		t.Fatal(err)
	}
	m := topicTables(topics)
	if len(m) != len(tables) || m[topics.Orders] != ordersTable || m[topics.DeadLetter] != deadlettersTable {
		t.Fatalf("topicTables = %v", m)
	}
	topics.Clicks = ""
	if m := topicTables(topics); len(m) != len(tables)-1 {
		t.Fatalf("an unset topic is consumed: %v", m)
	}
}
