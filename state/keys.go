package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// metaPrefix is the partition prefix reserved for metadata. Partitions are
// non-negative int32s, so no data key starts with 0xFFFFFFFF.
var metaPrefix = [4]byte{0xFF, 0xFF, 0xFF, 0xFF}

// dataKey appends the key of (p, key) to dst.
func dataKey(dst []byte, p int32, key []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(p))
	return append(dst, key...)
}

// partitionBounds returns the key range [lo, hi) holding partition p's data.
func partitionBounds(p int32) (lo, hi []byte) {
	lo = binary.BigEndian.AppendUint32(nil, uint32(p))
	hi = binary.BigEndian.AppendUint32(nil, uint32(p)+1)
	return lo, hi
}

// prefixUpperBound returns the smallest key greater than every key with the
// given prefix, or nil if there is none (the prefix is all 0xFF).
func prefixUpperBound(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// metaKey is the key holding partition p's applied offsets.
func metaKey(p int32) []byte {
	k := append([]byte(nil), metaPrefix[:]...)
	return binary.BigEndian.AppendUint32(k, uint32(p))
}

func checkPartition(p int32) error {
	if p < 0 {
		return fmt.Errorf("%w: %d", ErrBadPartition, p)
	}
	return nil
}

// encodeOffsets encodes topic -> next offset, sorted by topic so equal maps
// encode equally.
func encodeOffsets(m map[string]int64) []byte {
	topics := make([]string, 0, len(m))
	for t := range m {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	var b []byte
	for _, t := range topics {
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
		b = binary.AppendVarint(b, m[t])
	}
	return b
}

var errCorruptOffsets = errors.New("state: corrupt applied offsets")

func decodeOffsets(b []byte) (map[string]int64, error) {
	m := make(map[string]int64)
	for len(b) > 0 {
		n, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < n {
			return nil, errCorruptOffsets
		}
		t := string(b[w : w+int(n)])
		b = b[w+int(n):]
		off, w := binary.Varint(b)
		if w <= 0 {
			return nil, errCorruptOffsets
		}
		b = b[w:]
		m[t] = off
	}
	return m, nil
}
