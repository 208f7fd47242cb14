package attribution

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/heldsway/heldsway/state"
)

// memState is a UsageState over a map, for the fuzzers.
type memState map[string][]byte

func (m memState) Get(key []byte) ([]byte, bool, error) {
	v, ok := m[string(key)]
	return v, ok, nil
}

func (m memState) Set(key, val []byte) { m[string(key)] = append([]byte(nil), val...) }
func (m memState) Delete(key []byte)   { delete(m, string(key)) }

// storeState is a UsageState over a real state store (Pebble on an
// in-memory filesystem), one batch at a time, in partition 0, as the
// processor's transaction is.
type storeState struct {
	store *state.Store
	batch *state.Batch
	err   error // first error of Set or Delete
}

// openStoreState opens an empty store, closed when t ends.
func openStoreState(t testing.TB) *storeState {
	t.Helper()
	s, err := state.Open("usage", state.Config{FS: vfs.NewMem(), CacheSize: 1 << 20, MemTableSize: 1 << 20, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &storeState{store: s}
}

// begin opens a batch; commit writes it.
func (s *storeState) begin() { s.batch = s.store.NewBatch() }

func (s *storeState) commit(t testing.TB) {
	t.Helper()
	if s.err != nil {
		t.Fatalf("writing usage state: %v", s.err)
	}
	if err := s.batch.Commit(nil); err != nil {
		t.Fatalf("committing usage state: %v", err)
	}
	s.batch = nil
}

func (s *storeState) Get(key []byte) ([]byte, bool, error) { return s.batch.Get(0, key) }

func (s *storeState) Set(key, val []byte) {
	if err := s.batch.Set(0, key, val); err != nil && s.err == nil {
		s.err = err
	}
}

func (s *storeState) Delete(key []byte) {
	if err := s.batch.Delete(0, key); err != nil && s.err == nil {
		s.err = err
	}
}

var (
	_ UsageState = memState(nil)
	_ UsageState = (*storeState)(nil)
)
