package goka

import (
	"fmt"
	"hash"
	"testing"

	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKafkaHasherPartitions: Goka with kafkaHasher puts every key in the
// partition franz-go's default partitioner produces it to (the harness
// produces the inputs, refunds and the code registry with franz-go).
func TestKafkaHasherPartitions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hasher func() func(string, int32) int32
		same   bool
	}{
		{"kafka", func() func(string, int32) int32 { return gokaPartition(kafkaHasher) }, true},
		{"goka default", func() func(string, int32) int32 { return gokaPartition(goka.DefaultHasher()) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			part := tc.hasher()
			kp := kgo.StickyKeyPartitioner(nil).ForTopic("t")
			differ := 0
			for _, n := range []int32{1, 3, 4, 16} {
				for i := range 2000 {
					// Every length mod 4 (murmur2's tail), the empty key too.
					key := []string{"", "a", "ab", "abc", "code/P", "api/bench/o"}[i%6]
					if i >= 6 {
						key += fmt.Sprint(i)
					}
					if kp.Partition(&kgo.Record{Key: []byte(key)}, int(n)) != int(part(key, n)) {
						differ++
					}
				}
			}
			if (differ == 0) != tc.same {
				t.Errorf("%d keys in another partition than franz-go's, want same %v", differ, tc.same)
			}
		})
	}
}

// gokaPartition is Goka's partitioner (Processor.hash, View.hash) over h.
func gokaPartition(h func() hash.Hash32) func(string, int32) int32 {
	return func(key string, n int32) int32 {
		x := h()
		_, _ = x.Write([]byte(key))
		v := int32(x.Sum32())
		if v < 0 {
			v = -v
		}
		return v % n
	}
}
