package state

import (
	"fmt"
	"testing"
)

func TestKeyFilter(t *testing.T) {
	f := newKeyFilter(1 << 20) // 8 Mbit
	const n = 500_000
	for i := range n {
		f.add(fmt.Appendf(nil, "key-%d", i))
	}
	for i := range n {
		if !f.mayContain(fmt.Appendf(nil, "key-%d", i)) {
			t.Fatalf("key-%d added but not contained", i)
		}
	}
	fp := 0
	for i := range n {
		if f.mayContain(fmt.Appendf(nil, "other-%d", i)) {
			fp++
		}
	}
	// 16 bits per key, 6 probes in one 512-bit block: well under 2%.
	if rate := float64(fp) / n; rate > 0.02 {
		t.Fatalf("false positive rate %.4f", rate)
	}
	var nilFilter *keyFilter
	nilFilter.add([]byte("k"))
	if !nilFilter.mayContain([]byte("k")) {
		t.Fatal("a disabled filter must answer maybe")
	}
	if small := newKeyFilter(1); len(small.words) != blockWords {
		t.Fatalf("smallest filter has %d words", len(small.words))
	}
}

// TestStoreFilter: keys written before a reopen and keys written since are
// found; a key never written is answered without Pebble, and reading it
// again after it is written finds it.
func TestStoreFilter(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Config{NoSync: true, FilterBytes: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	b := s.NewWriteBatch()
	if err := b.Set(1, []byte("before"), []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(map[int32]map[string]int64{1: {"in": 1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, Config{NoSync: true, FilterBytes: 1 << 16}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, ok, err := s.Get(1, []byte("before")); err != nil || !ok || string(v) != "v1" {
		t.Fatalf("a key written before the reopen: %q %v %v", v, ok, err)
	}
	if s.filter.mayContain(dataKey(nil, 1, []byte("never"))) {
		t.Log("false positive on the probe key (allowed, but unlikely)")
	}
	if _, ok, err := s.Get(1, []byte("never")); err != nil || ok {
		t.Fatalf("a key never written: %v %v", ok, err)
	}
	b = s.NewBatch()
	if err := b.Set(1, []byte("never"), []byte("now")); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := b.Get(1, []byte("never")); err != nil || !ok || string(v) != "now" {
		t.Fatalf("an indexed batch reads its own write: %q %v %v", v, ok, err)
	}
	if err := b.Commit(nil); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.Get(1, []byte("never")); err != nil || !ok || string(v) != "now" {
		t.Fatalf("after the write: %q %v %v", v, ok, err)
	}
}
