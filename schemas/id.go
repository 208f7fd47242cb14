package schemas

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// ID returns a deterministic id for the parts: the lower-case hex of the
// first 16 bytes of the SHA-256 of the parts, each as its length (8 bytes,
// big-endian) then its bytes, separated by 0x1f. Prefixing lengths makes
// the encoding unambiguous: ID("a", "b") != ID("ab") != ID("a\x1fb").
//
// The ids are event ids that payout systems deduplicate on, so the output
// for given parts is stable forever: never change this function; add a new
// one if ever a different id is needed. TestID pins known values.
func ID(parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0x1f})
		}
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}
