package state

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

func openMem(t testing.TB, fs vfs.FS) *Store {
	t.Helper()
	s, err := Open("db", Config{FS: fs, CacheSize: 1 << 20, MemTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustCommit(t testing.TB, b *Batch, applied map[int32]map[string]int64) {
	t.Helper()
	if err := b.Commit(applied); err != nil {
		t.Fatal(err)
	}
}

// scanAll returns partition p's keys and values as "k=v" strings.
func scanAll(t testing.TB, scan func(int32, []byte, func(k, v []byte) error) error, p int32, prefix string) []string {
	t.Helper()
	var out []string
	if err := scan(p, []byte(prefix), func(k, v []byte) error {
		out = append(out, fmt.Sprintf("%s=%s", k, v))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBatchReadsOwnWritesThenDB(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	b := s.NewBatch()
	for _, kv := range []string{"a", "b", "c"} {
		if err := b.Set(0, []byte(kv), []byte("db-"+kv)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Set(1, []byte("a"), []byte("other-partition")); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, b, nil)

	b = s.NewBatch()
	defer b.Discard()
	if err := b.Set(0, []byte("b"), []byte("batch-b")); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(0, []byte("c")); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(0, []byte("d"), []byte("batch-d")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		p       int32
		key     string
		want    string
		wantOK  bool
		wantDB  string
		wantDBk bool
	}{
		{"untouched from db", 0, "a", "db-a", true, "db-a", true},
		{"overwritten in batch", 0, "b", "batch-b", true, "db-b", true},
		{"deleted in batch", 0, "c", "", false, "db-c", true},
		{"new in batch", 0, "d", "batch-d", true, "", false},
		{"other partition isolated", 1, "a", "other-partition", true, "other-partition", true},
		{"missing", 2, "a", "", false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok, err := b.Get(tt.p, []byte(tt.key))
			if err != nil || ok != tt.wantOK || string(v) != tt.want {
				t.Fatalf("batch Get = %q, %v, %v; want %q, %v", v, ok, err, tt.want, tt.wantOK)
			}
			v, ok, err = s.Get(tt.p, []byte(tt.key))
			if err != nil || ok != tt.wantDBk || string(v) != tt.wantDB {
				t.Fatalf("store Get = %q, %v, %v; want %q, %v", v, ok, err, tt.wantDB, tt.wantDBk)
			}
		})
	}

	got := scanAll(t, b.Scan, 0, "")
	want := []string{"a=db-a", "b=batch-b", "d=batch-d"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("batch Scan = %v, want %v", got, want)
	}
	got = scanAll(t, s.Scan, 0, "")
	want = []string{"a=db-a", "b=db-b", "c=db-c"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("store Scan = %v, want %v", got, want)
	}
}

func TestScanPrefix(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	b := s.NewBatch()
	for _, k := range []string{"c1/t1", "c1/t2", "c10/t1", "c2/t1", "c1\xff", "\xff\xff"} {
		if err := b.Set(3, []byte(k), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	// Neighbouring partitions must not leak into a scan.
	for _, p := range []int32{2, 4} {
		if err := b.Set(p, []byte("c1/x"), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	mustCommit(t, b, nil)

	tests := []struct {
		prefix string
		want   []string
	}{
		{"c1/", []string{"c1/t1=v", "c1/t2=v"}},
		{"c1", []string{"c1/t1=v", "c1/t2=v", "c10/t1=v", "c1\xff=v"}},
		{"c2", []string{"c2/t1=v"}},
		{"\xff", []string{"\xff\xff=v"}},
		{"zz", nil},
		{"", []string{"c1/t1=v", "c1/t2=v", "c10/t1=v", "c1\xff=v", "c2/t1=v", "\xff\xff=v"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.prefix), func(t *testing.T) {
			if got := scanAll(t, s.Scan, 3, tt.prefix); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("Scan(%q) = %q, want %q", tt.prefix, got, tt.want)
			}
		})
	}

	stop := errors.New("stop")
	n := 0
	err := s.Scan(3, nil, func(k, v []byte) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Scan stop: err=%v n=%d", err, n)
	}
}

func TestAppliedOffsetsMergeAndDrop(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()

	if _, found, err := s.AppliedOffsets(0); err != nil || found {
		t.Fatalf("fresh partition: found=%v err=%v", found, err)
	}
	b := s.NewBatch()
	_ = b.Set(0, []byte("k"), []byte("v"))
	_ = b.Set(1, []byte("k"), []byte("v"))
	mustCommit(t, b, map[int32]map[string]int64{0: {"clicks": 10, "orders": 3}, 1: {"clicks": 7}})

	// A later commit touching only one topic keeps the other.
	b = s.NewBatch()
	mustCommit(t, b, map[int32]map[string]int64{0: {"clicks": 12}, 2: {}})

	tests := []struct {
		p     int32
		want  map[string]int64
		found bool
	}{
		{0, map[string]int64{"clicks": 12, "orders": 3}, true},
		{1, map[string]int64{"clicks": 7}, true},
		{2, map[string]int64{}, true},
		{3, nil, false},
	}
	for _, tt := range tests {
		got, found, err := s.AppliedOffsets(tt.p)
		if err != nil || found != tt.found || (found && fmt.Sprint(got) != fmt.Sprint(tt.want)) {
			t.Fatalf("AppliedOffsets(%d) = %v, %v, %v; want %v, %v", tt.p, got, found, err, tt.want, tt.found)
		}
	}

	if err := s.DropPartition(0); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.AppliedOffsets(0); found {
		t.Fatal("applied offsets survived DropPartition")
	}
	if got := scanAll(t, s.Scan, 0, ""); len(got) != 0 {
		t.Fatalf("partition 0 after drop: %v", got)
	}
	if got := scanAll(t, s.Scan, 1, ""); len(got) != 1 {
		t.Fatalf("partition 1 after dropping 0: %v", got)
	}
	if _, found, _ := s.AppliedOffsets(1); !found {
		t.Fatal("dropping partition 0 removed partition 1's offsets")
	}
}

func TestDropLastPartition(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	const maxP = int32(1<<31 - 1)
	b := s.NewBatch()
	_ = b.Set(maxP, []byte("k"), []byte("v"))
	mustCommit(t, b, map[int32]map[string]int64{maxP: {"t": 1}, 0: {"t": 1}})
	if err := s.DropPartition(maxP); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get(maxP, []byte("k")); ok {
		t.Fatal("key survived")
	}
	if _, found, _ := s.AppliedOffsets(0); !found {
		t.Fatal("metadata of another partition was dropped")
	}
}

func TestBadPartitionAndUseAfterCommit(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	b := s.NewBatch()
	if err := b.Set(-1, []byte("k"), nil); !errors.Is(err, ErrBadPartition) {
		t.Fatalf("Set(-1) = %v", err)
	}
	if _, _, err := s.Get(-2, nil); !errors.Is(err, ErrBadPartition) {
		t.Fatalf("Get(-2) = %v", err)
	}
	if err := b.Commit(map[int32]map[string]int64{-1: {}}); !errors.Is(err, ErrBadPartition) {
		t.Fatalf("Commit(-1) = %v", err)
	}
	if err := b.Set(0, []byte("k"), nil); err == nil {
		t.Fatal("Set after Commit succeeded")
	}
	b.Discard() // idempotent
}

func TestDiscardWritesNothing(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	b := s.NewBatch()
	_ = b.Set(0, []byte("k"), []byte("v"))
	b.Discard()
	if _, ok, _ := s.Get(0, []byte("k")); ok {
		t.Fatal("discarded write visible")
	}
}

func TestReopenKeepsCommittedState(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	b := s.NewBatch()
	_ = b.Set(5, []byte("k"), []byte("v"))
	mustCommit(t, b, map[int32]map[string]int64{5: {"t": 42}})
	b = s.NewBatch()
	_ = b.Set(5, []byte("uncommitted"), []byte("v"))
	b.Discard()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(5, []byte("k")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close = %v", err)
	}

	s = openMem(t, fs)
	defer s.Close()
	if v, ok, err := s.Get(5, []byte("k")); err != nil || !ok || string(v) != "v" {
		t.Fatalf("after reopen Get = %q %v %v", v, ok, err)
	}
	if _, ok, _ := s.Get(5, []byte("uncommitted")); ok {
		t.Fatal("discarded key persisted")
	}
	if got, _, _ := s.AppliedOffsets(5); got["t"] != 42 {
		t.Fatalf("applied after reopen = %v", got)
	}
}

// TestCommitWriteFailure injects a write error into the write-ahead log:
// Commit must return an error (not panic, not exit), the store must refuse
// further work, and after reopening the directory the database must hold
// the state and offsets of the last successful commit.
func TestCommitWriteFailure(t *testing.T) {
	mem := vfs.NewMem()
	toggle := &errorfs.Toggle{Injector: errorfs.ErrInjected.If(errorfs.And(errorfs.Writes, errorfs.PathMatch("db/*.log")))}
	s := openMem(t, errorfs.Wrap(mem, toggle))

	b := s.NewBatch()
	_ = b.Set(0, []byte("k"), []byte("before"))
	mustCommit(t, b, map[int32]map[string]int64{0: {"t": 1}})

	toggle.On()
	b = s.NewBatch()
	_ = b.Set(0, []byte("k"), []byte("after"))
	_ = b.Set(0, []byte("k2"), []byte("after"))
	err := b.Commit(map[int32]map[string]int64{0: {"t": 2}})
	if err == nil {
		t.Fatal("Commit succeeded despite a failing WAL")
	}
	if !IsFailed(err) {
		t.Fatalf("Commit error %v does not wrap ErrFailed", err)
	}
	if _, _, err := s.Get(0, []byte("k")); !IsFailed(err) {
		t.Fatalf("Get on failed store = %v", err)
	}
	if err := s.NewBatch().Commit(nil); !IsFailed(err) {
		t.Fatalf("second Commit on failed store = %v", err)
	}
	_ = s.Close()
	toggle.Off()

	// Reopen on what reached the "disk" (the failed write never did).
	s = openMem(t, mem)
	defer s.Close()
	if v, ok, err := s.Get(0, []byte("k")); err != nil || !ok || string(v) != "before" {
		t.Fatalf("after reopen k = %q %v %v, want before", v, ok, err)
	}
	if _, ok, _ := s.Get(0, []byte("k2")); ok {
		t.Fatal("part of the failed batch persisted")
	}
	if got, _, _ := s.AppliedOffsets(0); got["t"] != 1 {
		t.Fatalf("applied after reopen = %v, want t:1", got)
	}
}

func TestOffsetsCodec(t *testing.T) {
	tests := []map[string]int64{
		{},
		{"a": 0},
		{"clicks.v1": 1 << 40, "orders.v1": -1, "": 7},
	}
	for _, m := range tests {
		got, err := decodeOffsets(encodeOffsets(m))
		if err != nil || fmt.Sprint(got) != fmt.Sprint(m) {
			t.Fatalf("round trip %v = %v, %v", m, got, err)
		}
	}
	for _, bad := range [][]byte{{0x05, 'a'}, {0x01, 'a'}, {0x80}} {
		if _, err := decodeOffsets(bad); err == nil {
			t.Fatalf("decodeOffsets(%x) accepted", bad)
		}
	}
	if !bytes.Equal(prefixUpperBound([]byte{1, 0xFF}), []byte{2}) || prefixUpperBound([]byte{0xFF}) != nil {
		t.Fatal("prefixUpperBound")
	}
}
