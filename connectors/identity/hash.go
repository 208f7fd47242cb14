package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"strings"
)

// MinKeyLen is the shortest hash key accepted.
const MinKeyLen = 16

// ErrShortKey is returned for a hash key shorter than MinKeyLen bytes.
var ErrShortKey = errors.New("identity: hash key must be at least 16 bytes")

// Hasher replaces personal data with keyed HMAC-SHA256 tokens.
type Hasher struct{ key []byte }

// NewHasher returns a Hasher with key.
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) < MinKeyLen {
		return nil, ErrShortKey
	}
	return &Hasher{key: append([]byte(nil), key...)}, nil
}

func (h *Hasher) sum(kind, v string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))
}

// Email returns the token of an email address, normalised by trimming and
// lower-casing; "" for an empty address.
func (h *Hasher) Email(email string) string {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return ""
	}
	return h.sum("email", e)
}

// IP returns the token of an IP address in canonical form; "" when ip does
// not parse.
func (h *Hasher) IP(ip string) string {
	p := net.ParseIP(strings.TrimSpace(ip))
	if p == nil {
		return ""
	}
	return h.sum("ip", p.String())
}
