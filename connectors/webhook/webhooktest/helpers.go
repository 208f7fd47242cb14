package webhooktest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/schemas"
)

// Recorder is a webhook.Publisher that keeps what it was given. When Err
// is set, Publish returns it and keeps nothing, as a publisher does when
// Kafka did not acknowledge.
type Recorder struct {
	mu     sync.Mutex
	events []publish.Event
	// Err, when set, is returned by Publish.
	Err error
}

var _ webhook.Publisher = (*Recorder)(nil)

// Publish implements webhook.Publisher.
func (r *Recorder) Publish(_ context.Context, events ...publish.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Err != nil {
		return r.Err
	}
	r.events = append(r.events, events...)
	return nil
}

// Events returns a copy of what was published, in order.
func (r *Recorder) Events() []publish.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]publish.Event(nil), r.events...)
}

// Topics returns the topics of a test deployment named "test".
func Topics(t testing.TB) schemas.Topics {
	t.Helper()
	tp, err := schemas.NewTopics("test")
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// Hasher returns an identity.Hasher with a test key.
func Hasher(t testing.TB) *identity.Hasher {
	t.Helper()
	h, err := identity.NewHasher([]byte("heldsway-test-hash-key"))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Fixture reads testdata/name of the package under test (the platform
// payloads committed with it).
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// LoadJSON reads testdata/name as a JSON object.
func LoadJSON(t testing.TB, name string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(Fixture(t, name), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Mutate decodes body (numbers kept as written), lets edit change it, and
// encodes it again.
func Mutate(t testing.TB, body []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// JSONEqual compares got and want through their JSON forms, which
// dereference pointers and make a failure readable.
func JSONEqual(t testing.TB, got, want any) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if !bytes.Equal(g, w) {
		t.Fatalf("got\n%s\nwant\n%s", g, w)
	}
}

// HMACBase64 is the base64 HMAC-SHA256 of body under secret: the
// signature Shopify and WooCommerce send.
func HMACBase64(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Dump is v as indented JSON, for failure messages.
func Dump(v any) string {
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}
