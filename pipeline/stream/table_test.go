package stream

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/pipeline/kafka"
)

// TestTable materialises a compacted topic with plain, committed,
// aborted and tombstone records, then follows a live update; a stage that
// depends on the table is not ready until the table caught up.
func TestTable(t *testing.T) {
	const codes = "codes"
	h := newHarness(t, codes)
	rec := func(k, v string) *kgo.Record {
		r := &kgo.Record{Topic: codes, Key: []byte(k)}
		if v != "" {
			r.Value = []byte(v)
		}
		return r
	}
	if err := h.cl.ProduceSync(h.ctx, rec("a", "1"), rec("b", "1")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	txn, err := kgo.NewClient(kgo.SeedBrokers(h.addr), kgo.TransactionalID("table-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Close()
	for _, commit := range []kgo.TransactionEndTry{kgo.TryAbort, kgo.TryCommit} {
		if err := txn.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		recs := []*kgo.Record{rec("c", "aborted"), rec("a", "aborted")}
		if commit {
			recs = []*kgo.Record{rec("a", "2"), rec("b", "")}
		}
		if err := txn.ProduceSync(h.ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := txn.EndTransaction(h.ctx, commit); err != nil {
			t.Fatal(err)
		}
	}

	var mu sync.Mutex
	var changes []string
	tbl, err := NewTable(TableConfig{Topic: codes, Conn: kafka.Conn{Brokers: []string{h.addr}}, OnChange: func(k, old, v []byte) {
		mu.Lock()
		changes = append(changes, string(k)+":"+string(old)+"->"+string(v))
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}

	// A stage depending on the table waits for it.
	cfg := h.config(tempDir(t), "a")
	cfg.Tables = []*Table{tbl}
	r := h.start(cfg, counter)
	h.produce(2, 0, 1)
	if r.s.Ready() || tbl.CaughtUp() {
		t.Fatal("stage ready before its table caught up")
	}

	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- tbl.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := tbl.WaitCaughtUp(h.ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  string
		want string
		ok   bool
	}{
		{"a", "2", true},
		{"b", "", false},
		{"c", "", false},
	}
	for _, tt := range tests {
		if v, ok := tbl.Get([]byte(tt.key)); ok != tt.ok || string(v) != tt.want {
			t.Errorf("Get(%s) = %q, %v; want %q, %v", tt.key, v, ok, tt.want, tt.ok)
		}
	}
	if tbl.Len() != 1 {
		t.Errorf("Len = %d, want 1", tbl.Len())
	}

	if err := h.cl.ProduceSync(h.ctx, rec("d", "live")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the live update", 15*time.Second, func() bool { v, _ := tbl.Get([]byte("d")); return string(v) == "live" })
	h.waitFor("the stage to be ready", 30*time.Second, r.s.Ready)
	h.waitCaughtUp()

	mu.Lock()
	defer mu.Unlock()
	for _, c := range changes {
		if c == "c:->aborted" || c == "a:1->aborted" {
			t.Errorf("OnChange saw an aborted record: %s", c)
		}
	}
	if len(changes) != 5 { // a, b, a, b deleted, d
		t.Errorf("OnChange calls %v, want 5", changes)
	}
}

// TestTableNoValues: a table that keeps no values still delivers every
// committed change in order, with no old value, and Get finds nothing.
func TestTableNoValues(t *testing.T) {
	const codes = "codes"
	h := newHarness(t, codes)
	rec := func(k, v string) *kgo.Record {
		r := &kgo.Record{Topic: codes, Key: []byte(k)}
		if v != "" {
			r.Value = []byte(v)
		}
		return r
	}
	if err := h.cl.ProduceSync(h.ctx, rec("a", "1"), rec("a", "2"), rec("b", "1"), rec("b", "")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var changes []string
	tbl, err := NewTable(TableConfig{Topic: codes, Conn: kafka.Conn{Brokers: []string{h.addr}}, NoValues: true,
		OnChange: func(k, old, v []byte) {
			mu.Lock()
			defer mu.Unlock()
			if old != nil {
				t.Errorf("OnChange(%s) got old value %q from a table without values", k, old)
			}
			changes = append(changes, string(k)+"->"+string(v))
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- tbl.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := tbl.WaitCaughtUp(h.ctx); err != nil {
		t.Fatal(err)
	}
	if v, ok := tbl.Get([]byte("a")); ok || v != nil || tbl.Len() != 0 {
		t.Errorf("Get(a) = %q, %v, Len %d; want nothing kept", v, ok, tbl.Len())
	}
	mu.Lock()
	defer mu.Unlock()
	// Each key's changes in the order produced (keys may sit on
	// different partitions, so only per key).
	for key, want := range map[string]string{"a": "a->1 a->2", "b": "b->1 b->"} {
		var got []string
		for _, c := range changes {
			if strings.HasPrefix(c, key+"->") {
				got = append(got, c)
			}
		}
		if strings.Join(got, " ") != want {
			t.Errorf("changes of %s: %q, want %q", key, got, want)
		}
	}
}
