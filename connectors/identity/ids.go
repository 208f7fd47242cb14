package identity

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

var idEnc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("identity: reading random bytes: " + err.Error()) // crypto/rand never fails on Linux
	}
	return idEnc.EncodeToString(b)
}

// NewVisitorID returns a fresh visitor id: "v" and 26 base32 characters.
func NewVisitorID() string { return "v" + random(16) }

// NewClickID returns a click id for visitorID: the visitor id, "." and 16
// random base32 characters.
func NewClickID(visitorID string) string { return visitorID + "." + random(10) }

// ValidVisitorID reports whether id has the shape NewVisitorID gives.
func ValidVisitorID(id string) bool {
	if len(id) != 27 || id[0] != 'v' {
		return false
	}
	for i := 1; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// VisitorFromClickID returns the visitor id embedded in a click id.
func VisitorFromClickID(clickID string) (string, bool) {
	v, rest, ok := strings.Cut(clickID, ".")
	if !ok || !ValidVisitorID(v) || len(rest) != 16 {
		return "", false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return "", false
		}
	}
	return v, true
}

// CustomerKey applies the precedence in the package doc. customerRef is
// platform/store/customer id when the platform has its own customer id
// (empty otherwise); orderRef is platform/store/order id, the last resort.
func CustomerKey(visitorID, clickID, emailHash, customerRef, orderRef string) string {
	if ValidVisitorID(visitorID) {
		return visitorID
	}
	if v, ok := VisitorFromClickID(clickID); ok {
		return v
	}
	if emailHash != "" {
		return "e:" + emailHash
	}
	if customerRef != "" {
		return "p:" + customerRef
	}
	return "o:" + orderRef
}
