package urlscrub

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrURL is wrapped by Scrub's errors: the input is not an http(s) URL or
// a relative reference.
var ErrURL = errors.New("urlscrub: not an http(s) URL")

// clickIDs are the query parameters, besides utm_*, that Scrub keeps: the
// ad and affiliate platforms' own click ids, which attribution may need,
// and HeldSway's visitor and click ids. Compared case-insensitively.
var clickIDs = map[string]bool{
	"gclid": true, "gbraid": true, "wbraid": true, "dclid": true, "gclsrc": true, // Google
	"fbclid":    true, // Meta
	"msclkid":   true, // Microsoft Advertising
	"ttclid":    true, // TikTok
	"twclid":    true, // X
	"li_fat_id": true, // LinkedIn
	"epik":      true, // Pinterest
	"rdt_cid":   true, // Reddit
	"sccid":     true, // Snapchat
	"yclid":     true, // Yandex
	"irclickid": true, // impact.com
	"hs_cid":    true, // HeldSway click id
	"hs_vid":    true, // HeldSway visitor id
}

// Allowed reports whether the query parameter key is kept.
func Allowed(key string) bool {
	k := strings.ToLower(key)
	return strings.HasPrefix(k, "utm_") || clickIDs[k]
}

// Scrub returns raw without userinfo, fragment, query parameters outside
// the allowlist, allowlisted parameters whose value holds an '@', and path
// segments holding an '@' (replaced by "-"). raw may be an absolute
// http(s) URL or a relative reference ("/products/x?utm_source=y", as
// Shopify's landing_site is). "" scrubs to "". Anything else (another
// scheme, such as mailto:, or unparsable text) is an error wrapping
// ErrURL.
func Scrub(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The reason, not the input: it may hold what Scrub removes.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("%w: %v", ErrURL, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return "", fmt.Errorf("%w: %q has no host", ErrURL, redactedScheme(u))
		}
	case "":
		if u.Host != "" || u.User != nil || strings.HasPrefix(raw, "//") {
			return "", fmt.Errorf("%w: a reference with an authority but no scheme", ErrURL)
		}
	default:
		return "", fmt.Errorf("%w: scheme %q", ErrURL, redactedScheme(u))
	}
	if u.Opaque != "" {
		return "", fmt.Errorf("%w: opaque URL", ErrURL)
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	u.ForceQuery = false
	u.RawQuery = scrubQuery(u.RawQuery)
	if strings.Contains(u.Path, "@") {
		segs := strings.Split(u.EscapedPath(), "/")
		for i, s := range segs {
			if p, err := url.PathUnescape(s); err != nil || strings.Contains(p, "@") {
				segs[i] = "-"
			}
		}
		p := strings.Join(segs, "/")
		u.Path, _ = url.PathUnescape(p)
		u.RawPath = p
	}
	return u.String(), nil
}

// Lenient is Scrub for URLs an outside party reports that the request
// cannot be refused for (a browser's Referer, a field of a signed
// webhook): a URL Scrub refuses is dropped ("").
func Lenient(raw string) string {
	s, err := Scrub(raw)
	if err != nil {
		return ""
	}
	return s
}

// scrubQuery keeps the allowlisted pairs of a raw query, in their order
// and original encoding.
func scrubQuery(q string) string {
	if q == "" {
		return ""
	}
	var kept []string
	for _, pair := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil || !Allowed(key) || strings.Contains(key, "@") {
			continue
		}
		val, err := url.QueryUnescape(v)
		if err != nil || strings.Contains(val, "@") {
			continue
		}
		kept = append(kept, pair)
	}
	return strings.Join(kept, "&")
}

// redactedScheme names what was refused without repeating the URL, which
// may hold what Scrub is there to remove.
func redactedScheme(u *url.URL) string { return u.Scheme }
