package schemas

import "strings"

// refEscaper escapes the two bytes that would make a joined reference
// ambiguous: the separator and the escape character itself.
var refEscaper = strings.NewReplacer("%", "%25", "/", "%2F")

// OrderRef returns the reference of an order (or of a platform's customer):
// platform, store and id joined by "/", with "%" written as "%25" and "/"
// as "%2F" in the platform and the id. The platform then ends at the first
// "/" and the id starts after the last one, so the store between them is
// kept as it is (WooCommerce stores are URLs) and different parts never
// give the same reference: store "s/x" with order "o" is "p/s/x/o", store
// "s" with order "x/o" is "p/s/x%2Fo".
//
// It is the Kafka key of refunds, attributions, adjustments and flags
// about an order, and the input of the "o:"/"p:" customer keys. A
// platform and an id without "/" or "%" are unchanged, so the keys of such
// orders are the same as before the escaping was introduced.
func OrderRef(platform, store, id string) string {
	return escapeRef(platform) + "/" + store + "/" + escapeRef(id)
}

func escapeRef(s string) string {
	if !strings.ContainsAny(s, "%/") {
		return s
	}
	return refEscaper.Replace(s)
}

// SplitOrderRef is the inverse of OrderRef. It reports false for a
// reference that OrderRef cannot have produced.
func SplitOrderRef(ref string) (platform, store, id string, ok bool) {
	i, j := strings.IndexByte(ref, '/'), strings.LastIndexByte(ref, '/')
	if i < 0 || i == j {
		return "", "", "", false
	}
	p, ok1 := unescapeRef(ref[:i])
	o, ok2 := unescapeRef(ref[j+1:])
	if !ok1 || !ok2 {
		return "", "", "", false
	}
	return p, ref[i+1 : j], o, true
}

func unescapeRef(s string) (string, bool) {
	if !strings.Contains(s, "%") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "%25"):
			b.WriteByte('%')
		case strings.HasPrefix(s[i:], "%2F"):
			b.WriteByte('/')
		default:
			return "", false
		}
		i += 2
	}
	return b.String(), true
}
