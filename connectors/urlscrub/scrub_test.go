package urlscrub

import (
	"errors"
	"strings"
	"testing"
)

func TestScrub(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"", "", false},
		{"https://shop.example/", "https://shop.example/", false},
		{"https://shop.example/p?utm_source=news&email=jane%40example.com&utm_medium=mail", "https://shop.example/p?utm_source=news&utm_medium=mail", false},
		{"https://shop.example/?gclid=abc&fbclid=def&MSCLKID=x&ttclid=y&session=s3cr3t", "https://shop.example/?gclid=abc&fbclid=def&MSCLKID=x&ttclid=y", false},
		{"https://shop.example/?hs_cid=c1&hs_vid=v1&token=t", "https://shop.example/?hs_cid=c1&hs_vid=v1", false},
		{"https://shop.example/?utm_content=jane@example.com&utm_term=ok", "https://shop.example/?utm_term=ok", false},
		{"https://shop.example/?utm_content=jane%40example.com", "https://shop.example/", false},
		{"https://user:pass@shop.example/x", "https://shop.example/x", false},
		{"https://shop.example/x#email=jane@example.com", "https://shop.example/x", false},
		{"https://shop.example/account/jane@example.com/orders", "https://shop.example/account/-/orders", false},
		{"https://shop.example/account/jane%40example.com", "https://shop.example/account/-", false},
		{"/products/x?utm_source=y&ref=jane@example.com", "/products/x?utm_source=y", false},
		{"/?", "/", false},
		{"HTTP://Shop.Example/?UTM_Source=a", "http://Shop.Example/?UTM_Source=a", false},
		{"https://shop.example/?utm_source=%zz", "https://shop.example/", false},
		{"mailto:jane@example.com", "", true},
		{"//shop.example/x", "", true},
		{"//@//", "", true},
		{"javascript:alert(1)", "", true},
		{"https://", "", true},
		{"http://[::1", "", true},
		{"http://jane@example.com:port/", "", true},
	}
	for _, tt := range tests {
		got, err := Scrub(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("Scrub(%q) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil && !errors.Is(err, ErrURL) {
			t.Errorf("Scrub(%q) error %v does not wrap ErrURL", tt.in, err)
		}
		if err != nil && strings.Contains(err.Error(), "jane") {
			t.Errorf("Scrub(%q) error repeats the input: %v", tt.in, err)
		}
		if l := Lenient(tt.in); l != tt.want {
			t.Errorf("Lenient(%q) = %q, want %q", tt.in, l, tt.want)
		}
	}
}

// FuzzScrub: whatever the input, the output holds no '@', no fragment and
// no userinfo, scrubbing is idempotent, and it grows the input by at most
// its percent-encoding.
func FuzzScrub(f *testing.F) {
	for _, s := range []string{
		"https://shop.example/p?utm_source=news&email=jane%40example.com",
		"https://u:p@shop.example/a@b/c?gclid=1#frag",
		"/products/x?utm_source=y&ref=z",
		"mailto:jane@example.com",
		"https://shop.example/%zz?utm_a=%40",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Scrub(in)
		if err != nil {
			if out != "" {
				t.Fatalf("Scrub(%q) returned %q with error %v", in, out, err)
			}
			return
		}
		if strings.Contains(out, "@") || strings.Contains(out, "#") {
			t.Fatalf("Scrub(%q) = %q keeps an '@' or a fragment", in, out)
		}
		if len(out) > 3*len(in) {
			t.Fatalf("Scrub(%q) = %q grew more than percent-encoding can", in, out)
		}
		again, err := Scrub(out)
		if err != nil || again != out {
			t.Fatalf("Scrub(Scrub(%q)) = %q, %v; want %q", in, again, err, out)
		}
	})
}
