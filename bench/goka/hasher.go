package goka

import "hash"

// kafkaHasher makes Goka place keys in the partitions Kafka's default
// partitioner (murmur2, what franz-go and the Java client use) does.
// Goka's own default (fnv-1a) would look registry codes up in the wrong
// partition of its registry view, and send an order's attributions and its
// refunds (produced by Kafka clients) to different partitions of the
// order-keyed processor.
func kafkaHasher() hash.Hash32 { return &murmur2{} }

// murmur2 buffers the key and hashes it on Sum32, returning Kafka's
// toPositive(murmur2(key)), which Goka's partitioner (int32, negated when
// negative, modulo the partition count) leaves as it is.
type murmur2 struct{ b []byte }

func (m *murmur2) Write(p []byte) (int, error) { m.b = append(m.b, p...); return len(p), nil }
func (m *murmur2) Sum(b []byte) []byte {
	s := m.Sum32()
	return append(b, byte(s>>24), byte(s>>16), byte(s>>8), byte(s))
}
func (m *murmur2) Reset()         { m.b = m.b[:0] }
func (m *murmur2) Size() int      { return 4 }
func (m *murmur2) BlockSize() int { return 4 }

// Sum32 is Kafka's Utils.murmur2 masked to 31 bits (Utils.toPositive).
func (m *murmur2) Sum32() uint32 {
	const (
		seed uint32 = 0x9747b28c
		mul  uint32 = 0x5bd1e995
		r           = 24
	)
	b := m.b
	h := seed ^ uint32(len(b))
	for len(b) >= 4 {
		k := uint32(b[3])<<24 | uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
		b = b[4:]
		k *= mul
		k ^= k >> r
		k *= mul
		h *= mul
		h ^= k
	}
	switch len(b) {
	case 3:
		h ^= uint32(b[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(b[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(b[0])
		h *= mul
	}
	h ^= h >> 13
	h *= mul
	h ^= h >> 15
	return h & 0x7fffffff
}
