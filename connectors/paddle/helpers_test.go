package paddle

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
)

const (
	testStore  = "pro_store"
	testSecret = "pdl_ntfset_test_secret"
	testVID    = "vabcdefghijklmnopqrstuvwxyz"
	testCID    = "v234567abcdefghijklmnopqrst.abcdefghijklmnop"
	testCIDVis = "v234567abcdefghijklmnopqrst"
)

// testNow is the server clock: an hour after the occurred_at of the SDK's
// event envelope every test body uses (2024-05-27T09:55:06.825325Z), since
// eventtime refuses an event dated more than 400 days from the clock.
// Tests of the window set Now themselves.
var testNow = time.Date(2024, 5, 27, 10, 55, 6, 0, time.UTC)

type fakeDiscounts struct {
	mu    sync.Mutex
	codes map[string]string
	err   error
	calls int
}

func (f *fakeDiscounts) Code(_ context.Context, _, id string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return "", f.err
	}
	if c, ok := f.codes[id]; ok {
		return c, nil
	}
	return "", ErrNotFound
}

func newTestPlatform(t testing.TB, d Discounts) *Platform {
	if d == nil {
		d = &fakeDiscounts{codes: map[string]string{"dsc_01hszn66dvmdaatbhxd7fqbht3": "abcde12345", "dsc_nocode": ""}}
	}
	tp, err := schemas.NewTopics("test")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Topics: tp, Discounts: d}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return New(cfg)
}

// notify builds a webhook body: the fixture event envelope (from the
// Go SDK's events.json) with a notification_id, typ, and data from file
// (its "data" member when the file is an API response or an event).
func notify(t testing.TB, typ, file string, mutate func(d map[string]any)) []byte {
	t.Helper()
	env := webhooktest.LoadJSON(t, "event.transaction.completed.json")
	data := webhooktest.LoadJSON(t, file)
	if inner, ok := data["data"].(map[string]any); ok {
		data = inner
	}
	if mutate != nil {
		mutate(data)
	}
	env["event_type"] = typ
	env["notification_id"] = "ntf_01hywqk7y8qfzj69z3pdvz34qt"
	env["data"] = data
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func delivery(b []byte) webhook.Delivery {
	return webhook.Delivery{Store: webhook.Store{ID: testStore, Secret: testSecret}, Body: b, Now: testNow}
}

func ptr[T any](v T) *T { return &v }
