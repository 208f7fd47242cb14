package clickhouse

import (
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
