package state

import (
	"fmt"
	"testing"
)

func FuzzDecodeOffsets(f *testing.F) {
	f.Add(encodeOffsets(map[string]int64{"clicks.v1": 10, "orders.v1": 3}))
	f.Add(encodeOffsets(map[string]int64{}))
	f.Add([]byte{0x05, 'a'})
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeOffsets(b)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to something that decodes equal.
		m2, err := decodeOffsets(encodeOffsets(m))
		if err != nil || fmt.Sprint(m) != fmt.Sprint(m2) {
			t.Fatalf("round trip of %v: %v, %v", m, m2, err)
		}
	})
}
