package shopify

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
	for _, name := range []string{orderFile, refundFile} {
		shared, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "shopify", name))
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
	body := webhooktest.Fixture(t, orderFile)
	good := webhooktest.HMACBase64(testSecret, body)
	tests := []struct {
		name   string
		header string
		sig    string
		body   []byte
		secret string
		err    error
	}{
		{"valid", headerHMAC, good, body, testSecret, nil},
		{"valid lower-case events header", "shopify-hmac-sha256", good, body, testSecret, nil},
		{"tampered body", headerHMAC, good, append(bytes.Clone(body[:len(body)-2]), '}'), testSecret, hmacsig.ErrSignature},
		{"wrong secret", headerHMAC, good, body, "another-secret", hmacsig.ErrSignature},
		{"missing header", "", "", body, testSecret, hmacsig.ErrSignature},
		{"base64 garbage", headerHMAC, "!!not base64!!", body, testSecret, hmacsig.ErrSignature},
		{"short mac", headerHMAC, "c2hvcnQ=", body, testSecret, hmacsig.ErrSignature},
		{"tampered signature", headerHMAC, "3f" + good[2:], body, testSecret, hmacsig.ErrSignature},
		{"empty secret", headerHMAC, webhooktest.HMACBase64("", body), body, "", hmacsig.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set(tt.header, tt.sig)
			}
			err := p.Verify(tt.secret, h, tt.body, orderNow)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestStoreHint(t *testing.T) {
	p := newPlatform(t)
	for _, tt := range []struct {
		name string
		h    http.Header
		want string
	}{
		{"classic", http.Header{"X-Shopify-Shop-Domain": {"a.myshopify.com"}}, "a.myshopify.com"},
		{"events", http.Header{"Shopify-Shop-Domain": {"b.myshopify.com"}}, "b.myshopify.com"},
		{"none", http.Header{}, ""},
	} {
		if got := p.StoreHint(tt.h); got != tt.want {
			t.Errorf("%s: StoreHint = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseTopics(t *testing.T) {
	p := newPlatform(t)
	for _, tt := range []struct {
		topic   string
		ignored bool
		err     error
	}{
		{TopicOrdersPaid, false, nil},
		{TopicRefundsCreate, false, nil},
		{TopicOrdersUpdated, false, nil},
		{"orders/edited", true, nil},
		{"orders/cancelled", true, nil},
		{"app/uninstalled", true, nil},
		{"", false, webhook.ErrPayload},
	} {
		t.Run(tt.topic, func(t *testing.T) {
			body := webhooktest.Fixture(t, orderFile)
			if tt.topic == TopicRefundsCreate {
				body = webhooktest.Fixture(t, refundFile)
			}
			res, err := p.Parse(delivery(tt.topic, body))
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Parse error = %v, want %v", err, tt.err)
			}
			if got := res.Ignored != ""; got != tt.ignored {
				t.Fatalf("ignored = %v (%q), want %v", got, res.Ignored, tt.ignored)
			}
			if tt.ignored && len(res.Events) != 0 {
				t.Fatalf("ignored delivery has %d events", len(res.Events))
			}
		})
	}
}

func TestParseInvalidConfig(t *testing.T) {
	p := New(Config{Topics: webhooktest.Topics(t)})
	if _, err := p.Parse(delivery(TopicOrdersPaid, webhooktest.Fixture(t, orderFile))); !errors.Is(err, ErrConfig) {
		t.Fatalf("Parse with no Hasher = %v, want ErrConfig", err)
	}
}

func TestEventsTopicHeaderVariant(t *testing.T) {
	p := newPlatform(t)
	d := delivery("", webhooktest.Fixture(t, orderFile))
	d.Header.Set("Shopify-Topic", TopicOrdersPaid)
	res, err := p.Parse(d)
	if err != nil || len(res.Events) != 1 {
		t.Fatalf("Parse = %+v, %v; want one event", res, err)
	}
}
