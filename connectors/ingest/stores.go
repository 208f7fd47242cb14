package ingest

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/codesync"
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
	// (see SyncSpec).
	Sync *SyncSpec `yaml:"sync"`
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

// LoadStores reads the stores file (format: see storesFile) when path is
// given, else the one-store-per-platform environment variables
// HELDSWAY_<PLATFORM>_SECRET (store id "default") and
// HELDSWAY_<PLATFORM>_API_KEY. Secrets are read from the environment
// variables and files the stores file names, never from the file itself.
func LoadStores(path string) (map[string]Stores, error) {
	out := map[string]Stores{}
	if path == "" {
		for _, p := range Platforms {
			up := strings.ToUpper(p)
			sec := os.Getenv("HELDSWAY_" + up + "_SECRET")
			if sec == "" {
				continue
			}
			ps := Stores{Webhooks: []webhook.Store{{ID: "default", Secret: sec}}, APIKeys: map[string]string{}}
			if k := os.Getenv("HELDSWAY_" + up + "_API_KEY"); k != "" {
				ps.APIKeys["default"] = k
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
		ps := Stores{APIKeys: map[string]string{}}
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
			ps.Webhooks = append(ps.Webhooks, webhook.Store{ID: s.ID, Secret: sec})
			if s.APIKeyEnv != "" || s.APIKeyFile != "" {
				k, err := secretFrom(s.APIKeyEnv, s.APIKeyFile)
				if err != nil {
					return nil, fmt.Errorf("%s (%s): api key: %w", where, s.ID, err)
				}
				ps.APIKeys[s.ID] = k
			}
			if s.Sync != nil {
				if ps.Sync == nil {
					ps.Sync = map[string]SyncSpec{}
				}
				ps.Sync[s.ID] = *s.Sync
			}
		}
		if len(ps.Webhooks) > 0 {
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

// SyncSpec is the `sync:` block of a store in the stores file: codes are
// pushed to the stores that have one. The API credential is the store's
// api_key_env / api_key_file: the Shopify Admin API access token, the
// WooCommerce consumer key and secret as "ck_...:cs_...", the Stripe
// secret (or restricted) key, the Paddle API key.
//
//	shopify:
//	  - id: acme.myshopify.com
//	    secret_env: ACME_SHOPIFY_SECRET
//	    api_key_env: ACME_SHOPIFY_TOKEN
//	    sync: {currency: USD}
//	woocommerce:
//	  - id: shop.example
//	    secret_env: SHOP_WC_SECRET
//	    api_key_file: /run/secrets/wc_keys   # ck_...:cs_...
//	    sync: {api_url: https://shop.example, currency: EUR}
type SyncSpec struct {
	// APIURL is the API base: default https://<id> for Shopify, the
	// platform's API for Stripe and Paddle; required for WooCommerce (the
	// site URL).
	APIURL string `yaml:"api_url"`
	// APIVersion is the Shopify Admin API version (default 2026-07) or the
	// Stripe-Version (default 2026-08-26.dahlia).
	APIVersion string `yaml:"api_version"`
	// Currency is the store's currency (Shopify, WooCommerce): fixed
	// amounts and minimum orders are sent in it; codes in another currency
	// are refused. Needed to import fixed amounts.
	Currency string `yaml:"currency"`
	// Duration of Stripe coupons (once, forever, repeating) and their
	// months; Paddle: recur with RecurMonths intervals (0 every renewal).
	Duration    string `yaml:"duration"`
	Months      int    `yaml:"months"`
	Recur       bool   `yaml:"recur"`
	RecurMonths int    `yaml:"recur_intervals"`
}

// SyncRemotes builds the stores code changes are synced to: every store
// of stores with a sync block, with its API key, sorted by platform and
// store id. None is an error.
func SyncRemotes(stores map[string]Stores) ([]codesync.Remote, error) {
	var out []codesync.Remote
	names := make([]string, 0, len(stores))
	for n := range stores {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, platform := range names {
		ps := stores[platform]
		ids := make([]string, 0, len(ps.Sync))
		for id := range ps.Sync {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			spec, key := ps.Sync[id], ps.APIKeys[id]
			if key == "" {
				return nil, fmt.Errorf("store %s/%s: sync needs api_key_env or api_key_file", platform, id)
			}
			var (
				r   codesync.Remote
				err error
			)
			switch platform {
			case registry.PlatformShopify:
				r, err = codesync.NewShopify(codesync.ShopifyConfig{StoreID: id, BaseURL: spec.APIURL, Version: spec.APIVersion, AccessToken: key, Currency: spec.Currency})
			case registry.PlatformWooCommerce:
				ck, cs, ok := strings.Cut(key, ":")
				if !ok {
					return nil, fmt.Errorf("store %s/%s: the WooCommerce API key must be consumer key and secret as ck_...:cs_...", platform, id)
				}
				r, err = codesync.NewWooCommerce(codesync.WooCommerceConfig{StoreID: id, BaseURL: spec.APIURL, ConsumerKey: ck, ConsumerSecret: cs, Currency: spec.Currency})
			case registry.PlatformStripe:
				r, err = codesync.NewStripe(codesync.StripeConfig{StoreID: id, BaseURL: spec.APIURL, Version: spec.APIVersion, SecretKey: key, Duration: spec.Duration, DurationInMonths: spec.Months})
			case registry.PlatformPaddle:
				r, err = codesync.NewPaddle(codesync.PaddleConfig{StoreID: id, BaseURL: spec.APIURL, APIKey: key, Recur: spec.Recur, MaxRecurringIntervals: spec.RecurMonths})
			default:
				err = fmt.Errorf("%w: %s", registry.ErrUnknownPlatform, platform)
			}
			if err != nil {
				return nil, fmt.Errorf("store %s/%s: %w", platform, id, err)
			}
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no store has a sync block in the stores file")
	}
	return out, nil
}
