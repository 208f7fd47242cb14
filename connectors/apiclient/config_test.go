package apiclient

import (
	"net/http"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	keys := map[string]string{"acct_1": "sk_test"}
	tests := []struct {
		name string
		c    Config
		want string // "" means valid
	}{
		{"valid", Config{Platform: "stripe", KeyName: "secret key", Keys: keys}, ""},
		{"valid base URL", Config{Platform: "stripe", KeyName: "secret key", Keys: keys, BaseURL: "http://localhost:12111/"}, ""},
		{"no keys", Config{Platform: "stripe", KeyName: "secret key"}, "stripe: client needs at least one store secret key"},
		{"empty key", Config{Platform: "paddle", KeyName: "API key", Keys: map[string]string{"s": ""}}, `paddle: empty store id or API key for store "s"`},
		{"empty store", Config{Platform: "paddle", KeyName: "API key", Keys: map[string]string{"": "k"}}, `paddle: empty store id or API key for store ""`},
		{"bad scheme", Config{Platform: "paddle", KeyName: "API key", Keys: keys, BaseURL: "ftp://x"}, `paddle: invalid base URL "ftp://x"`},
		{"no host", Config{Platform: "paddle", KeyName: "API key", Keys: keys, BaseURL: "https://"}, `paddle: invalid base URL "https://"`},
		{"negative size", Config{Platform: "stripe", KeyName: "secret key", Keys: keys, CacheSize: -1}, "stripe: negative cache size or TTL"},
		{"negative TTL", Config{Platform: "stripe", KeyName: "secret key", Keys: keys, CacheTTL: -time.Second}, "stripe: negative cache size or TTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
			if _, oerr := Open(tt.c, "https://api.example.com", time.Hour); (oerr == nil) != (err == nil) {
				t.Fatalf("Open = %v, Validate = %v", oerr, err)
			}
		})
	}
}

func TestOpenDefaults(t *testing.T) {
	keys := map[string]string{"s": "k"}
	c, err := Open(Config{Platform: "p", KeyName: "key", Keys: keys}, "https://api.example.com", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "https://api.example.com" || c.HTTP == nil || c.HTTP.Timeout != DefaultTimeout || c.Now == nil || c.Cache == nil {
		t.Fatalf("defaults not applied: %+v", c)
	}
	keys["s"] = "changed"
	if c.Keys["s"] != "k" {
		t.Fatal("Open did not copy the keys")
	}

	// The default TTL applies: an entry lives defaultTTL.
	now := time.Unix(1700000000, 0)
	c.Cache.Put("a", "1", now)
	if _, ok := c.Cache.Get("a", now.Add(time.Hour-time.Nanosecond)); !ok {
		t.Fatal("entry expired before the default TTL")
	}
	if _, ok := c.Cache.Get("a", now.Add(time.Hour)); ok {
		t.Fatal("entry outlived the default TTL")
	}
}

func TestOpenKeepsSettings(t *testing.T) {
	hc := &http.Client{}
	clock := func() time.Time { return time.Unix(1, 0) }
	c, err := Open(Config{Platform: "p", KeyName: "key", Keys: map[string]string{"s": "k"},
		BaseURL: "http://localhost:8080//", HTTPClient: hc, CacheSize: 1, CacheTTL: time.Minute, Now: clock}, "https://unused", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "http://localhost:8080" || c.HTTP != hc || c.Now() != clock() {
		t.Fatalf("settings not kept: %+v", c)
	}
	now := clock()
	c.Cache.Put("a", "1", now)
	c.Cache.Put("b", "2", now)
	if c.Cache.Len() != 1 {
		t.Fatalf("cache holds %d entries, want CacheSize 1", c.Cache.Len())
	}
}
