package ingest

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadStores feeds arbitrary bytes as the stores file. Secrets named
// by env or file that do not exist are errors, never panics.
func FuzzLoadStores(f *testing.F) {
	for _, s := range []string{
		"shopify:\n  - id: acme.myshopify.com\n    secret_env: HOME\n",
		"stripe:\n  - id: acct_1\n    secret_file: /nonexistent\n    api_key_env: HOME\n    sync: {}\n",
		"paddle:\n  - id: a\n    secret_env: HOME\n  - id: a\n    secret_env: HOME\n",
		"woocommerce: [{id: '', secret_env: X}]\n",
		"shopify: {id: x}\n",
		"bogus: 1\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "stores.yaml")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		stores, err := LoadStores(path)
		if err != nil {
			return
		}
		for name, ps := range stores {
			for _, s := range ps.Webhooks {
				if s.ID == "" || s.Secret == "" {
					t.Fatalf("%s: store %+v accepted without an id or secret", name, s)
				}
			}
		}
	})
}
