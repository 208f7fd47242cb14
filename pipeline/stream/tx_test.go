package stream

import (
	"fmt"
	"slices"
	"testing"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/state"
)

func openStore(t *testing.T) *state.Store {
	t.Helper()
	st, err := state.Open(t.TempDir(), state.Config{NoSync: true}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func txGet(t *testing.T, tx *Tx, key string) string {
	t.Helper()
	v, ok, err := tx.Get([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return "<absent>"
	}
	return string(v)
}

// TestTxHoldsWritesUntilApplied: a record sees its own writes (Get and
// Scan), the batch sees them only after apply, and a failed record's
// writes never reach the batch.
func TestTxHoldsWritesUntilApplied(t *testing.T) {
	st := openStore(t)
	b := st.NewBatch()
	defer b.Discard()
	if err := b.Set(0, []byte("k/a"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(0, []byte("k/c"), []byte("3")); err != nil {
		t.Fatal(err)
	}
	tx := Tx{dirty: map[string][]byte{}}
	tx.reset(0, b)
	tx.Set([]byte("k/b"), []byte("2"))
	tx.Delete([]byte("k/c"))
	tx.Set([]byte("k/a"), []byte("1'"))
	tx.Set([]byte("k/d"), []byte("4"))
	for key, want := range map[string]string{"k/a": "1'", "k/b": "2", "k/c": "<absent>", "k/d": "4"} {
		if got := txGet(t, &tx, key); got != want {
			t.Errorf("record sees %s = %s, want %s", key, got, want)
		}
	}
	var scanned []string
	if err := tx.Scan([]byte("k/"), func(k, v []byte) error {
		scanned = append(scanned, string(k)+"="+string(v))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"k/a=1'", "k/b=2", "k/d=4"}; !slices.Equal(scanned, want) {
		t.Errorf("scan %v, want %v", scanned, want)
	}
	if v, _, _ := b.Get(0, []byte("k/a")); string(v) != "1" {
		t.Errorf("batch saw a write before apply: %q", v)
	}

	// A failed record: reset without apply leaves the batch as it was.
	tx.reset(0, b)
	if got := txGet(t, &tx, "k/a"); got != "1" {
		t.Errorf("the next record sees %s, want the batch's 1", got)
	}

	tx.Set([]byte("k/a"), []byte("A"))
	tx.Delete([]byte("k/c"))
	changes, err := tx.apply()
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 {
		t.Fatalf("apply returned %d changes", len(changes))
	}
	tx.reset(0, b)
	if got, got2 := txGet(t, &tx, "k/a"), txGet(t, &tx, "k/c"); got != "A" || got2 != "<absent>" {
		t.Errorf("after apply: k/a %s, k/c %s", got, got2)
	}
	if len(tx.dirty) != 2 {
		t.Errorf("dirty keys %d, want 2", len(tx.dirty))
	}
}

// TestTxCacheSeesOnlyCommitted: the cache answers reads of keys the batch
// has not written, never holds a value of the open transaction, and a key
// written in the batch is read from the batch.
func TestTxCacheSeesOnlyCommitted(t *testing.T) {
	st := openStore(t)
	cache := newValueCache(1 << 20)
	b := st.NewBatch()
	if err := b.Set(0, []byte("k"), []byte("committed")); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(nil); err != nil {
		t.Fatal(err)
	}

	b = st.NewBatch()
	defer b.Discard()
	tx := Tx{cache: cache, dirty: map[string][]byte{}}
	tx.reset(0, b)
	if got := txGet(t, &tx, "k"); got != "committed" {
		t.Fatalf("read %s", got)
	}
	if got := txGet(t, &tx, "missing"); got != "<absent>" {
		t.Fatalf("read %s", got)
	}
	if cache.len() != 2 {
		t.Fatalf("cache holds %d entries, want the value and the absent key", cache.len())
	}
	tx.Set([]byte("k"), []byte("open"))
	tx.Set([]byte("missing"), []byte("open too"))
	if _, err := tx.apply(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"k", "missing"} {
		if v, found, ok := cache.get(cacheKey(0, []byte(k))); ok && found && string(v) != "committed" {
			t.Fatalf("cache holds the open transaction's %s = %s", k, v)
		}
	}
	tx.reset(0, b)
	if got := txGet(t, &tx, "k"); got != "open" {
		t.Fatalf("a later record of the transaction reads %s, want its batch value", got)
	}
	// Partitions are separate keys.
	tx.reset(1, b)
	if got := txGet(t, &tx, "k"); got != "<absent>" {
		t.Fatalf("partition 1 reads %s", got)
	}
}

func TestValueCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newValueCache(10 * (entryOverhead + 12))
	for i := range 10 {
		c.put(fmt.Sprintf("key%02d", i), []byte("vvvvv"), true)
	}
	c.get("key00") // now the most recent
	c.put("key10", []byte("vvvvv"), true)
	if _, _, ok := c.get("key01"); ok {
		t.Error("key01, the least recently used, is still cached")
	}
	if v, found, ok := c.get("key00"); !ok || !found || string(v) != "vvvvv" {
		t.Errorf("key00: %q %v %v", v, found, ok)
	}
	v, _, _ := c.get("key00")
	v[0] = 'X'
	if v2, _, _ := c.get("key00"); string(v2) != "vvvvv" {
		t.Error("get returned the cached slice itself")
	}
	c.put("huge", make([]byte, c.max), true)
	if _, _, ok := c.get("huge"); ok || c.len() != 10 {
		t.Errorf("a value over an eighth of the cache was cached (%d entries)", c.len())
	}
	c.clear()
	if c.len() != 0 || c.size != 0 {
		t.Errorf("clear left %d entries, %d bytes", c.len(), c.size)
	}
	var nilCache *valueCache
	nilCache.put("k", nil, false)
	if _, _, ok := nilCache.get("k"); ok {
		t.Error("a nil cache hit")
	}
}
