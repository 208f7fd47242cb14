package stream

import (
	"fmt"
	"slices"
	"testing"

	"github.com/heldsway/heldsway/state"
)

func openStore(t *testing.T) *state.Store {
	t.Helper()
	st, err := state.Open(t.TempDir(), state.Config{NoSync: true})
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

func TestValueCache(t *testing.T) {
	c := newValueCache(32 << 20)
	c.put("key", []byte("vvvvv"), true)
	c.put("gone", nil, false)
	if v, found, ok := c.get("key"); !ok || !found || string(v) != "vvvvv" {
		t.Errorf("key: %q %v %v", v, found, ok)
	}
	if _, found, ok := c.get("gone"); !ok || found {
		t.Errorf("absent key: found %v ok %v, want a cached absence", found, ok)
	}
	if _, _, ok := c.get("never"); ok {
		t.Error("a key never put hit")
	}
	v, _, _ := c.get("key")
	v[0] = 'X'
	if v2, _, _ := c.get("key"); string(v2) != "vvvvv" {
		t.Error("get returned the cached bytes themselves")
	}
	// A value too large to cache is not cached, and the older value of its
	// key is dropped rather than served.
	c.put("key", make([]byte, maxCachedValue), true)
	if _, _, ok := c.get("key"); ok {
		t.Error("a value over the entry bound was cached, or the older value kept")
	}
	c.delete("gone")
	if _, _, ok := c.get("gone"); ok {
		t.Error("a deleted key hit")
	}
	// Writing far more than the cache holds evicts: the cache stays
	// bounded.
	val := make([]byte, 1000)
	for i := range 200_000 {
		c.put(fmt.Sprintf("k%07d", i), val, true)
	}
	if n := c.len(); n == 0 || n >= 200_000 {
		t.Errorf("%d entries after writing 200,000 values of 1 KB into 32 MiB", n)
	}
	c.clear()
	if c.len() != 0 {
		t.Errorf("clear left %d entries", c.len())
	}
	var nilCache *valueCache
	nilCache.put("k", nil, false)
	if _, _, ok := nilCache.get("k"); ok {
		t.Error("a nil cache hit")
	}
}
