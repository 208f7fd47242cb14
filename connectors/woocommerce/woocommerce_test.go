package woocommerce

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/heldsway/heldsway/connectors/hmacsig"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
)

// TestFixturesMatchShared checks the testdata copies against the shared
// reference fixtures, where that checkout exists.
func TestFixturesMatchShared(t *testing.T) {
	for _, name := range []string{couponFile, refundedFile, docsFile} {
		shared, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "woocommerce", name))
		if errors.Is(err, os.ErrNotExist) {
			t.Skip("shared fixtures not checked out next to the repository")
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(shared, webhooktest.Fixture(t, name)) {
			t.Errorf("testdata/%s differs from the shared fixture", name)
		}
	}
}

func TestVerify(t *testing.T) {
	p := newPlatform(t)
	body := webhooktest.Fixture(t, couponFile)
	good := webhooktest.HMACBase64(testSecret, body)
	tests := []struct {
		name   string
		sig    string
		body   []byte
		secret string
		err    error
	}{
		{"valid", good, body, testSecret, nil},
		{"tampered body", good, append(bytes.Clone(body), ' '), testSecret, hmacsig.ErrSignature},
		{"wrong secret", good, body, "another-secret", hmacsig.ErrSignature},
		{"missing header", "", body, testSecret, hmacsig.ErrSignature},
		{"base64 garbage", "%%%", body, testSecret, hmacsig.ErrSignature},
		{"short mac", "c2hvcnQ=", body, testSecret, hmacsig.ErrSignature},
		{"empty secret", webhooktest.HMACBase64("", body), body, "", hmacsig.ErrSignature},
		{"secret stored escaped", webhooktest.HMACBase64(`a&b"c`, body), body, "a&amp;b&quot;c", nil},
		{"ping unsigned", "", []byte("webhook_id=17"), testSecret, nil},
		{"ping with any signature", "garbage", []byte("webhook_id=17"), testSecret, nil},
		{"ping with extra field", "", []byte("webhook_id=17&x=1"), testSecret, hmacsig.ErrSignature},
		{"ping without id", "", []byte("webhook_id="), testSecret, hmacsig.ErrSignature},
		{"ping with word id", "", []byte("webhook_id=abc"), testSecret, hmacsig.ErrSignature},
		{"ping with newline", "", []byte("webhook_id=17\n"), testSecret, hmacsig.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.sig != "" {
				h.Set("X-WC-Webhook-Signature", tt.sig)
			}
			err := p.Verify(tt.secret, h, tt.body, testNow)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestStoreHint(t *testing.T) {
	h := http.Header{}
	h.Set("X-WC-Webhook-Source", " https://shop.example/ ")
	if got := newPlatform(t).StoreHint(h); got != "https://shop.example/" {
		t.Fatalf("StoreHint = %q", got)
	}
}

func TestParsePing(t *testing.T) {
	res, err := newPlatform(t).Parse(delivery("", []byte("webhook_id=42")))
	if err != nil || res.Ignored != "" || len(res.Events) != 0 {
		t.Fatalf("Parse(ping) = %+v, %v; want an empty result", res, err)
	}
}

func TestParseTopics(t *testing.T) {
	for _, tt := range []struct {
		topic   string
		ignored bool
		err     error
	}{
		{TopicOrderCreated, false, nil},
		{TopicOrderUpdated, false, nil},
		{"order.deleted", true, nil},
		{"order.restored", true, nil},
		{"coupon.updated", true, nil},
		{"action.woocommerce_add_to_cart", true, nil},
		{"", false, webhook.ErrPayload},
	} {
		t.Run(tt.topic, func(t *testing.T) {
			res, err := newPlatform(t).Parse(delivery(tt.topic, webhooktest.Fixture(t, couponFile)))
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Parse error = %v, want %v", err, tt.err)
			}
			if got := res.Ignored != ""; got != tt.ignored {
				t.Fatalf("ignored = %v (%q), want %v", got, res.Ignored, tt.ignored)
			}
		})
	}
}

func TestParseInvalidConfig(t *testing.T) {
	p := New(Config{Hasher: webhooktest.Hasher(t)})
	if _, err := p.Parse(delivery(TopicOrderCreated, webhooktest.Fixture(t, couponFile))); !errors.Is(err, ErrConfig) {
		t.Fatalf("Parse with no topics = %v, want ErrConfig", err)
	}
}
