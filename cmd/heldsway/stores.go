package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/heldsway/heldsway/connectors/webhook"
)

// storeSpec is one store in the stores file. Secrets are never written in
// the file itself: they come from an environment variable or a file.
type storeSpec struct {
	ID         string `yaml:"id"`
	SecretEnv  string `yaml:"secret_env"`
	SecretFile string `yaml:"secret_file"`
	// APIKeyEnv / APIKeyFile: the platform API key used to resolve
	// promotion-code (Stripe) or discount (Paddle) ids.
	APIKeyEnv  string `yaml:"api_key_env"`
	APIKeyFile string `yaml:"api_key_file"`
	// Sync, when present, has codes pushed to the store with the API key
	// (see syncSpec in codes_sync.go).
	Sync *syncSpec `yaml:"sync"`
}

// storesFile is the --stores-file format:
//
//	shopify:
//	  - id: acme.myshopify.com
//	    secret_env: ACME_SHOPIFY_SECRET
//	stripe:
//	  - id: acct_1Acme
//	    secret_file: /run/secrets/stripe_whsec
//	    api_key_env: ACME_STRIPE_KEY
type storesFile struct {
	Shopify     []storeSpec `yaml:"shopify"`
	WooCommerce []storeSpec `yaml:"woocommerce"`
	Stripe      []storeSpec `yaml:"stripe"`
	Paddle      []storeSpec `yaml:"paddle"`
}

// platformStores are the stores of one platform with their secrets
// resolved.
type platformStores struct {
	stores  []webhook.Store
	apiKeys map[string]string   // store id -> API key
	sync    map[string]syncSpec // store id -> code sync settings
}

// loadStores reads the stores file when given, else the one-store-per-
// platform environment variables HELDSWAY_<PLATFORM>_SECRET (store id
// "default") and HELDSWAY_<PLATFORM>_API_KEY.
func loadStores(path string) (map[string]platformStores, error) {
	out := map[string]platformStores{}
	if path == "" {
		for _, p := range []string{"shopify", "woocommerce", "stripe", "paddle"} {
			up := strings.ToUpper(p)
			sec := os.Getenv("HELDSWAY_" + up + "_SECRET")
			if sec == "" {
				continue
			}
			ps := platformStores{stores: []webhook.Store{{ID: "default", Secret: sec}}, apiKeys: map[string]string{}}
			if k := os.Getenv("HELDSWAY_" + up + "_API_KEY"); k != "" {
				ps.apiKeys["default"] = k
			}
			out[p] = ps
		}
		return out, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading stores file: %w", err)
	}
	var f storesFile
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parsing stores file %s: %w", path, err)
	}
	for name, specs := range map[string][]storeSpec{"shopify": f.Shopify, "woocommerce": f.WooCommerce, "stripe": f.Stripe, "paddle": f.Paddle} {
		ps := platformStores{apiKeys: map[string]string{}}
		seen := map[string]bool{}
		for i, s := range specs {
			where := fmt.Sprintf("stores file %s: %s[%d]", path, name, i)
			if strings.TrimSpace(s.ID) == "" {
				return nil, fmt.Errorf("%s: id is required", where)
			}
			if seen[s.ID] {
				return nil, fmt.Errorf("%s: store %q listed twice", where, s.ID)
			}
			seen[s.ID] = true
			sec, err := secretFrom(s.SecretEnv, s.SecretFile)
			if err != nil {
				return nil, fmt.Errorf("%s (%s): secret: %w", where, s.ID, err)
			}
			if sec == "" {
				return nil, fmt.Errorf("%s (%s): secret_env or secret_file must name a non-empty secret", where, s.ID)
			}
			ps.stores = append(ps.stores, webhook.Store{ID: s.ID, Secret: sec})
			if s.APIKeyEnv != "" || s.APIKeyFile != "" {
				k, err := secretFrom(s.APIKeyEnv, s.APIKeyFile)
				if err != nil {
					return nil, fmt.Errorf("%s (%s): api key: %w", where, s.ID, err)
				}
				ps.apiKeys[s.ID] = k
			}
			ps.addSync(s.ID, s.Sync)
		}
		if len(ps.stores) > 0 {
			out[name] = ps
		}
	}
	return out, nil
}

func secretFrom(env, file string) (string, error) {
	switch {
	case env != "" && file != "":
		return "", errors.New("give either an env variable or a file, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", env)
		}
		return v, nil
	}
	return "", nil
}
