package state

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// The processor's hot path: per customer, read the touches, append one,
// write them back, inside the open transaction's batch.

const benchCustomers = 10000

var benchKeys = func() [][]byte {
	ks := make([][]byte, benchCustomers)
	for i := range ks {
		ks[i] = []byte(fmt.Sprintf("cust/%08d", i))
	}
	return ks
}()

func benchKey(i int) []byte { return benchKeys[i%benchCustomers] }

func seed(b *testing.B, s *Store) {
	batch := s.NewBatch()
	val := make([]byte, 256)
	for i := 0; i < benchCustomers; i++ {
		if err := batch.Set(int32(i%8), benchKey(i), val); err != nil {
			b.Fatal(err)
		}
	}
	if err := batch.Commit(nil); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkTouchRead(b *testing.B) {
	s := openMem(b, vfs.NewMem())
	defer s.Close()
	seed(b, s)
	batch := s.NewBatch()
	defer batch.Discard()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok, err := batch.Get(int32(i%8), benchKey(i)); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkTouchWrite(b *testing.B) {
	s := openMem(b, vfs.NewMem())
	defer s.Close()
	seed(b, s)
	b.ReportAllocs()
	b.ResetTimer()
	batch := s.NewBatch()
	for i := 0; i < b.N; i++ {
		p, k := int32(i%8), benchKey(i)
		v, _, err := batch.Get(p, k)
		if err != nil {
			b.Fatal(err)
		}
		v = binary.BigEndian.AppendUint64(v[:min(len(v), 512)], uint64(i))
		if err := batch.Set(p, k, v); err != nil {
			b.Fatal(err)
		}
		// Commit like a transaction of 1000 records.
		if i%1000 == 999 {
			if err := batch.Commit(map[int32]map[string]int64{p: {"t": int64(i)}}); err != nil {
				b.Fatal(err)
			}
			batch = s.NewBatch()
		}
	}
	batch.Discard()
}
