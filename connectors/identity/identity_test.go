package identity

import (
	"strings"
	"testing"
)

func TestHasher(t *testing.T) {
	if _, err := NewHasher([]byte("short")); err != ErrShortKey {
		t.Fatalf("short key: got %v, want ErrShortKey", err)
	}
	h, err := NewHasher([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewHasher([]byte("fedcba9876543210"))
	tests := []struct {
		name, a, b string
		same       bool
	}{
		{"email case and space", " Jane@Example.COM ", "jane@example.com", true},
		{"different emails", "a@example.com", "b@example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.Email(tt.a) == h.Email(tt.b); got != tt.same {
				t.Fatalf("same = %v, want %v", got, tt.same)
			}
		})
	}
	if h.Email("x@example.com") == other.Email("x@example.com") {
		t.Fatal("tokens do not depend on the key")
	}
	if strings.Contains(h.Email("jane@example.com"), "jane") {
		t.Fatal("token leaks the email")
	}
	if h.Email("  ") != "" || h.IP("not-an-ip") != "" {
		t.Fatal("empty or invalid input must give an empty token")
	}
	if h.IP("::ffff:10.0.0.1") != h.IP("10.0.0.1") {
		t.Fatal("IPv4-mapped address must hash like the IPv4 address")
	}
	if h.IP("10.0.0.1") == h.Email("10.0.0.1") {
		t.Fatal("IP and email tokens must be domain-separated")
	}
}

func TestIDs(t *testing.T) {
	v := NewVisitorID()
	if !ValidVisitorID(v) {
		t.Fatalf("NewVisitorID gave invalid %q", v)
	}
	c := NewClickID(v)
	got, ok := VisitorFromClickID(c)
	if !ok || got != v {
		t.Fatalf("VisitorFromClickID(%q) = %q, %v", c, got, ok)
	}
	for _, bad := range []string{"", "v", v + ".", v + ".SHORT", "x" + v[1:] + ".abcdefghijklmnop", v + ".abcdefghijklmno!"} {
		if _, ok := VisitorFromClickID(bad); ok {
			t.Errorf("VisitorFromClickID(%q) accepted", bad)
		}
	}
}

func TestCustomerKey(t *testing.T) {
	v := NewVisitorID()
	v2 := NewVisitorID()
	click := NewClickID(v2)
	tests := []struct {
		name                                       string
		visitor, click, email, customer, ref, want string
	}{
		{"visitor wins", v, click, "h", "paddle/s/ctm_1", "shopify/s/1", v},
		{"click carries visitor", "", click, "h", "", "shopify/s/1", v2},
		{"bad visitor falls to click", "garbage", click, "", "", "r", v2},
		{"email", "", "bogus", "abc", "stripe/s/cus_1", "r", "e:abc"},
		{"platform customer", "", "", "", "paddle/s/ctm_1", "paddle/s/txn_1", "p:paddle/s/ctm_1"},
		{"order alone", "", "", "", "", "shopify/s/1", "o:shopify/s/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CustomerKey(tt.visitor, tt.click, tt.email, tt.customer, tt.ref); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzVisitorFromClickID(f *testing.F) {
	f.Add(NewClickID(NewVisitorID()))
	f.Add("v.x")
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := VisitorFromClickID(s)
		if ok && !ValidVisitorID(v) {
			t.Fatalf("returned invalid visitor %q", v)
		}
	})
}
