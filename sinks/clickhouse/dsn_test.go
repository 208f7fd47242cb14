package clickhouse

import (
	"net/url"
	"strings"
	"testing"
)

// TestDSNWithPassword: the password replaces any password in the DSN; the
// user defaults to "default"; no password leaves the DSN as it is.
func TestDSNWithPassword(t *testing.T) {
	const pass = "s3cr/t@x"
	for _, tt := range []struct{ in, pass, want string }{
		{"clickhouse://127.0.0.1:9000/heldsway", pass, "clickhouse://default:s3cr%2Ft%40x@127.0.0.1:9000/heldsway"},
		{"clickhouse://hs:old@ch:9000/heldsway?secure=true", pass, "clickhouse://hs:s3cr%2Ft%40x@ch:9000/heldsway?secure=true"},
		{"clickhouse://hs@ch:9440/heldsway?secure=true&dial_timeout=5s", pass, "clickhouse://hs:s3cr%2Ft%40x@ch:9440/heldsway?secure=true&dial_timeout=5s"},
		{"clickhouse://ch:9000/h", "from-file", "clickhouse://default:from-file@ch:9000/h"},
		{"clickhouse://u:p@ch:9000/h", "", "clickhouse://u:p@ch:9000/h"},
	} {
		got, err := DSNWithPassword(tt.in, tt.pass)
		if err != nil || got != tt.want {
			t.Errorf("DSNWithPassword(%q, %q) = %q, %v; want %q", tt.in, tt.pass, got, err, tt.want)
		}
	}
	if _, err := DSNWithPassword("clickhouse://u:oldpw123@ch:9000/h\x7f", pass); err == nil || strings.Contains(err.Error(), "oldpw123") {
		t.Errorf("bad URL: %v; want an error that does not show the DSN", err)
	}
}

// FuzzDSNWithPassword: for any DSN and password, the result is either an
// error that does not show the DSN, or the DSN itself when the password
// is empty, or, for a DSN with a host, a URL holding exactly that
// password. (A DSN without a host, such as " ", is passed on as it comes
// out of url.URL.String: the ClickHouse client refuses it.)
func FuzzDSNWithPassword(f *testing.F) {
	for _, s := range [][2]string{
		{"clickhouse://127.0.0.1:9000/heldsway", "s3cr/t@x"},
		{"clickhouse://hs:old@ch:9000/heldsway?secure=true", "p"},
		{"clickhouse://u:p@ch:9000/h", ""},
		{"%zz", "p"},
		{"", "p"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, dsn, pass string) {
		got, err := DSNWithPassword(dsn, pass)
		if err != nil {
			// Fixed text cannot show the DSN (a substring test would
			// fail on a DSN such as ":", which the text contains).
			if err != errDSNNotURL {
				t.Fatalf("error %q, want only the fixed %q", err, errDSNNotURL)
			}
			return
		}
		if pass == "" {
			if got != dsn {
				t.Fatalf("no password changed the DSN: %q -> %q", dsn, got)
			}
			return
		}
		if in, err := url.Parse(dsn); err != nil || in.Host == "" {
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("result %q is not a URL: %v", got, err)
		}
		if p, ok := u.User.Password(); !ok || p != pass {
			t.Fatalf("result %q has password %q, want %q", got, p, pass)
		}
	})
}
