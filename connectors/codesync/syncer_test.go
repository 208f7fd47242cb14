package codesync

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/schemas"
)

func TestSyncLifecycle(t *testing.T) {
	h := newHarness(t, nil, testCode("Summer25", rich))
	rep := h.run(t, "SUMMER25")
	if err := rep.Err(); err != nil || rep.Counts[ActionCreated] != 4 {
		t.Fatalf("first sync: %v %+v", err, rep.Results)
	}
	for _, p := range h.ps {
		st := h.reg.state(t, "SUMMER25", p.name)
		if st.Status != registry.SyncSynced || st.RemoteID == nil || *st.RemoteID == "" || st.LastError != nil || st.SyncedAt == nil {
			t.Fatalf("%s state %+v", p.name, st)
		}
		if all, active := p.count("SUMMER25"); all != 1 || active != 1 {
			t.Fatalf("%s holds %d (%d active)", p.name, all, active)
		}
	}
	h.writes()

	// Again: nothing to do, nothing written anywhere.
	puts := h.reg.putCount()
	rep = h.run(t, "SUMMER25")
	if rep.Counts[ActionUnchanged] != 4 || h.reg.putCount() != puts {
		t.Fatalf("second sync: %+v, puts %d -> %d", rep.Results, puts, h.reg.putCount())
	}
	if w := h.writes(); len(w) > 0 {
		t.Fatalf("second sync wrote %v", w)
	}

	// A definition change updates every store.
	c, _ := h.reg.Get("SUMMER25")
	c.DiscountValue, c.CouponID, c.MaxUses = 2000, "percent-20", ptr[int64](10)
	h.reg.set(c)
	rep = h.run(t, "SUMMER25")
	if rep.Counts[ActionUpdated] != 4 || rep.Err() != nil {
		t.Fatalf("update: %+v", rep.Results)
	}
	for _, r := range rep.Results {
		if !strings.Contains(strings.Join(r.Changed, ","), "discount") {
			t.Fatalf("%s changed %v", r.Platform, r.Changed)
		}
	}
	if all, active := h.ps[2].count("SUMMER25"); all != 2 || active != 1 {
		t.Fatalf("stripe replaces the promotion code: %d codes, %d active", all, active)
	}

	// Paused: deactivated everywhere, kept.
	c, _ = h.reg.Get("SUMMER25")
	c.Status = registry.StatusPaused
	h.reg.set(c)
	if rep = h.run(t, "SUMMER25"); rep.Counts[ActionDeactivated] != 4 {
		t.Fatalf("pause: %+v", rep.Results)
	}
	for _, p := range h.ps {
		if _, active := p.count("SUMMER25"); active != 0 {
			t.Fatalf("%s still accepts a paused code", p.name)
		}
		if st := h.reg.state(t, "SUMMER25", p.name); st.Status != registry.SyncSynced || st.RemoteID == nil {
			t.Fatalf("%s paused state %+v", p.name, st)
		}
	}

	// Active again.
	c, _ = h.reg.Get("SUMMER25")
	c.Status = registry.StatusActive
	h.reg.set(c)
	if rep = h.run(t, "SUMMER25"); rep.Counts[ActionUpdated] != 4 {
		t.Fatalf("reactivate: %+v", rep.Results)
	}

	// Deleted from the registry: deleted from the stores (Stripe and
	// Paddle cannot delete: deactivated).
	h.reg.del("SUMMER25")
	if rep = h.run(t, "SUMMER25"); rep.Counts[ActionDeleted] != 4 || rep.Err() != nil {
		t.Fatalf("delete: %+v", rep.Results)
	}
	for _, p := range h.ps {
		all, active := p.count("SUMMER25")
		if active != 0 || (p.name == "shopify" || p.name == "woocommerce") && all != 0 {
			t.Fatalf("%s after delete: %d codes, %d active", p.name, all, active)
		}
	}
}

func TestSyncDeleteInactive(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.DeleteInactive = true }, testCode("Gone10"))
	h.run(t, "GONE10")
	c, _ := h.reg.Get("GONE10")
	c.Status = registry.StatusInactive
	h.reg.set(c)
	if rep := h.run(t, "GONE10"); rep.Counts[ActionDeleted] != 4 {
		t.Fatalf("%+v", rep.Results)
	}
	for _, p := range h.ps {
		if st := h.reg.state(t, "GONE10", p.name); st.Status != registry.SyncDeleted || st.RemoteID != nil {
			t.Fatalf("%s: %+v", p.name, st)
		}
	}
	// Nothing left to do.
	h.writes()
	puts := h.reg.putCount()
	if rep := h.run(t, "GONE10"); rep.Counts[ActionAbsent] != 4 || h.reg.putCount() != puts || len(h.writes()) > 0 {
		t.Fatalf("%+v", rep.Results)
	}
}

// A crash after the stores made the code but before the registry recorded
// it: the next sync finds the codes and adopts them.
func TestSyncAdoptsAfterCrash(t *testing.T) {
	h := newHarness(t, nil, testCode("Crash1"))
	h.reg.failPuts = 1
	rep := h.run(t, "CRASH1")
	if rep.Err() == nil || !errors.Is(rep.Results[0].Err, errCrash) {
		t.Fatalf("want a recording error: %+v", rep.Results)
	}
	if c, _ := h.reg.Get("CRASH1"); len(c.Platforms) != 0 {
		t.Fatalf("recorded %+v", c.Platforms)
	}
	h.writes()
	rep = h.run(t, "CRASH1")
	if rep.Err() != nil || rep.Counts[ActionUnchanged] != 4 {
		t.Fatalf("retry: %+v", rep.Results)
	}
	if w := h.writes(); len(w) > 0 {
		t.Fatalf("retry wrote to stores: %v", w)
	}
	for _, p := range h.ps {
		if all, _ := p.count("CRASH1"); all != 1 {
			t.Fatalf("%s holds %d codes", p.name, all)
		}
		if st := h.reg.state(t, "CRASH1", p.name); st.Status != registry.SyncSynced || st.RemoteID == nil {
			t.Fatalf("%s: %+v", p.name, st)
		}
	}
}

// A store that made the code but whose answer was lost (500): the retried
// step looks first and adopts it.
func TestSyncLostCreateAnswer(t *testing.T) {
	h := newHarness(t, nil, testCode("Lost1"))
	for _, p := range h.ps {
		p.fake.inject(func(f *fake) { f.loseCreates = 1 })
	}
	rep := h.run(t, "LOST1")
	if rep.Err() != nil {
		t.Fatal(rep.Err())
	}
	for _, p := range h.ps {
		if all, _ := p.count("LOST1"); all != 1 {
			t.Fatalf("%s holds %d codes", p.name, all)
		}
	}
	if n := len(h.sleep.take()); n != 4 {
		t.Fatalf("%d retries, want one per store", n)
	}
}

func TestSyncRetryAfter(t *testing.T) {
	h := newHarness(t, nil, testCode("Busy1"))
	h.ps[0].fake.inject(func(f *fake) { f.rateLimited, f.retryAfter = 2, "2.0" }) // Shopify sends fractions
	rep := h.run(t, "BUSY1")
	if rep.Err() != nil {
		t.Fatal(rep.Err())
	}
	if got := h.sleep.take(); len(got) != 2 || got[0] != 2*time.Second || got[1] != 2*time.Second {
		t.Fatalf("waited %v, want the asked 2s twice", got)
	}

	c, _ := h.reg.Get("BUSY1")
	c.MaxUses = ptr[int64](5)
	h.reg.set(c)
	date := t0.Add(7 * time.Second).Format(http.TimeFormat)
	h.ps[1].fake.inject(func(f *fake) { f.unavailable, f.retryAfter = 1, date })
	h.ps[2].fake.inject(func(f *fake) { f.broken = 2 })
	if rep = h.run(t, "BUSY1"); rep.Err() != nil || rep.Counts[ActionUpdated] != 4 {
		t.Fatalf("%v %+v", rep.Err(), rep.Results)
	}
	got := h.sleep.take()
	if len(got) != 3 || got[0] != 7*time.Second {
		t.Fatalf("waited %v: want 7s (HTTP date), then backoff", got)
	}
	if got[1] < 250*time.Millisecond || got[1] > 500*time.Millisecond || got[2] < 500*time.Millisecond || got[2] > time.Second {
		t.Fatalf("backoff %v: want 250-500ms, then 500ms-1s", got[1:])
	}
}

func TestSyncGivesUp(t *testing.T) {
	h := newHarness(t, nil, testCode("Down1"))
	h.ps[3].fake.inject(func(f *fake) { f.broken = 100 })
	rep := h.run(t, "DOWN1")
	var se *Error
	if !errors.As(rep.Err(), &se) || len(se.Failed) != 1 || se.Failed[0].Platform != "paddle" {
		t.Fatalf("%v", rep.Err())
	}
	st := h.reg.state(t, "DOWN1", "paddle")
	if st.Status != registry.SyncFailed || st.LastError == nil || !strings.Contains(*st.LastError, "giving up after 5 attempts") || !strings.Contains(*st.LastError, "500") {
		t.Fatalf("paddle state %+v %s", st, deref(st.LastError))
	}
	if n := len(h.sleep.take()); n != 4 {
		t.Fatalf("%d waits, want 4", n)
	}
	for _, p := range h.ps[:3] {
		if st := h.reg.state(t, "DOWN1", p.name); st.Status != registry.SyncSynced {
			t.Fatalf("%s: %+v", p.name, st)
		}
	}

	// A Retry-After beyond the cap ends the attempts at once; the
	// previous state's remote id is kept.
	h.ps[3].fake.inject(func(f *fake) { f.broken, f.rateLimited, f.retryAfter = 0, 1, "3600" })
	rep = h.run(t, "DOWN1")
	st = h.reg.state(t, "DOWN1", "paddle")
	if st.Status != registry.SyncFailed || !strings.Contains(deref(st.LastError), "asked to retry after 1h0m0s") || len(h.sleep.take()) != 0 {
		t.Fatalf("%+v %s", st, deref(st.LastError))
	}

	// A validation error (4xx) fails at once with the platform's words.
	h.ps[3].fake.inject(func(f *fake) { f.rateLimited, f.invalid = 0, 1 })
	c := testCode("Bad2")
	h.reg.set(c)
	rep = h.run(t, "BAD2")
	st = h.reg.state(t, "BAD2", "paddle")
	if st.Status != registry.SyncFailed || !strings.Contains(deref(st.LastError), "paddle answered 400") || !strings.Contains(deref(st.LastError), "Invalid request.") || len(h.sleep.take()) != 0 {
		t.Fatalf("%+v %s", st, deref(st.LastError))
	}
}

// Codes a platform refuses fail before any request, naming the field, on
// both the Run and the Sync path.
func TestSyncRejectsBeforeRequest(t *testing.T) {
	h := newHarness(t, nil, testCode("Summer_25"), testCode("Euro5", func(c *schemas.Code) {
		c.DiscountType, c.DiscountValue, c.Currency, c.CouponID = registry.Fixed, 500, ptr("EUR"), "fixed-5.00-eur"
	}))
	h.writes()
	rep := h.run(t, "SUMMER_25", "EURO5")
	byKey := map[string]Result{}
	for _, r := range rep.Results {
		byKey[r.Code+"/"+r.Platform] = r
	}
	for _, k := range []string{"SUMMER_25/stripe", "SUMMER_25/paddle", "EURO5/shopify", "EURO5/woocommerce"} {
		r := byKey[k]
		var fe *FieldError
		if r.Action != ActionFailed || !errors.As(r.Err, &fe) || !errors.Is(r.Err, registry.ErrPlatform) {
			t.Fatalf("%s: %+v", k, r)
		}
	}
	if f := byKey["SUMMER_25/paddle"].Err.Error(); f != `code: paddle allows only letters and digits, "SUMMER_25" contains '_'` {
		t.Fatalf("paddle message %q", f)
	}
	if f := byKey["EURO5/shopify"].Err.Error(); f != "currency: EUR: the shopify store sells in USD" {
		t.Fatalf("shopify message %q", f)
	}
	st := h.reg.state(t, "SUMMER_25", "stripe")
	if st.Status != registry.SyncFailed || !strings.HasPrefix(deref(st.LastError), "code: stripe allows only letters, digits and '-'") {
		t.Fatalf("%+v", st)
	}
	for _, p := range h.ps {
		for _, r := range p.fake.requests() {
			r = strings.ToUpper(r)
			if strings.Contains(r, "SUMMER_25") && (p.name == "stripe" || p.name == "paddle") || strings.Contains(r, "EURO5") && (p.name == "shopify" || p.name == "woocommerce") {
				t.Fatalf("%s was asked %s", p.name, r)
			}
		}
	}
	if byKey["SUMMER_25/shopify"].Action != ActionCreated || byKey["EURO5/stripe"].Action != ActionCreated {
		t.Fatalf("the other stores still sync: %+v", rep.Results)
	}

	// The Writer path reports them at once.
	c, _ := h.reg.Get("SUMMER_25")
	err := h.s.Sync(context.Background(), []registry.Applied{{After: &c}})
	var se *Error
	if !errors.As(err, &se) || len(se.Failed) != 2 || !strings.Contains(err.Error(), "SUMMER_25 on paddle/pdl_1: failed: code: paddle allows only letters and digits") {
		t.Fatalf("Sync: %v", err)
	}
}

// Platforms without start dates get the code when valid_from comes.
func TestSyncPendingUntilValidFrom(t *testing.T) {
	h := newHarness(t, nil, testCode("Later1", func(c *schemas.Code) { c.ValidFrom = ptr(t0.Add(time.Hour)) }))
	rep := h.run(t, "LATER1")
	a := actions(rep)
	if a["shopify"] != ActionCreated || a["woocommerce"] != ActionPending || a["stripe"] != ActionPending || a["paddle"] != ActionPending {
		t.Fatalf("%v", a)
	}
	if st := h.reg.state(t, "LATER1", "stripe"); st.Status != registry.SyncPending || st.RemoteID != nil {
		t.Fatalf("%+v", st)
	}
	if all, _ := h.ps[2].count("LATER1"); all != 0 {
		t.Fatal("stripe got the code early")
	}
	h.clk.Set(t0.Add(2 * time.Hour))
	a = actions(h.run(t, "LATER1"))
	if a["shopify"] != ActionUnchanged || a["woocommerce"] != ActionCreated || a["stripe"] != ActionCreated || a["paddle"] != ActionCreated {
		t.Fatalf("%v", a)
	}
}

// Sync queues for the background worker; Recheck retries failures.
func TestSyncBackground(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Recheck = 10 * time.Millisecond }, testCode("Bg1"))
	h.ps[1].fake.inject(func(f *fake) { f.broken = 100 })
	c, _ := h.reg.Get("BG1")
	if err := h.s.Sync(context.Background(), []registry.Applied{{After: &c}}); err != nil {
		t.Fatal(err)
	}
	if err := h.s.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if st := h.reg.state(t, "BG1", "shopify"); st.Status != registry.SyncSynced {
		t.Fatalf("%+v", st)
	}
	if st := h.reg.state(t, "BG1", "woocommerce"); st.Status != registry.SyncFailed {
		t.Fatalf("%+v", st)
	}
	// The store recovers; the recheck catches up.
	h.ps[1].fake.inject(func(f *fake) { f.broken = 0 })
	deadline := time.Now().Add(10 * time.Second)
	for h.reg.state(t, "BG1", "woocommerce").Status != registry.SyncSynced {
		if time.Now().After(deadline) {
			t.Fatal("recheck did not retry the failed store")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := h.s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := h.s.Sync(context.Background(), []registry.Applied{{After: &c}}); !errors.Is(err, errClosed) {
		t.Fatalf("Sync after Close: %v", err)
	}
}

func TestSyncDryRun(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.DryRun = true }, testCode("Dry1"))
	rep := h.run(t, "DRY1")
	if rep.Counts[ActionCreated] != 4 {
		t.Fatalf("%+v", rep.Results)
	}
	if w := h.writes(); len(w) > 0 || h.reg.putCount() != 0 {
		t.Fatalf("dry run wrote %v / %d puts", w, h.reg.putCount())
	}
}

func TestSyncConflictRetriesRecord(t *testing.T) {
	h := newHarness(t, nil, testCode("Race1"))
	// Another writer records a Platforms-only change between the look-up
	// and the record: the record is retried on the new version.
	r := &racingRecorder{reg: h.reg}
	h.s.cfg.Recorder = r
	if rep := h.run(t, "RACE1"); rep.Err() != nil {
		t.Fatal(rep.Err())
	}
	c, _ := h.reg.Get("RACE1")
	if len(c.Platforms) != 5 { // the other writer's entry and ours
		t.Fatalf("%+v", c.Platforms)
	}
}

type racingRecorder struct {
	reg   *memRegistry
	raced bool
}

func (r *racingRecorder) Put(ctx context.Context, c schemas.Code, base int64) (schemas.Code, error) {
	if !r.raced {
		r.raced = true
		other, _ := r.reg.Get(c.Code)
		other.Platforms = append(other.Platforms, schemas.PlatformSync{Platform: "stripe", StoreID: "acct_other", Status: registry.SyncSynced})
		if _, err := r.reg.Put(ctx, other, other.Version); err != nil {
			return schemas.Code{}, err
		}
	}
	return r.reg.Put(ctx, c, base)
}

// TestSyncWooCommerceClearsLimits: removing a code's usage limit, its
// once-per-customer rule, its minimum order and its expiry reaches
// WooCommerce, which skips null fields (the sync sends 0 and "").
func TestSyncWooCommerceClearsLimits(t *testing.T) {
	h := newHarness(t, nil, testCode("Clear10", rich))
	if rep := h.run(t, "CLEAR10"); rep.Err() != nil {
		t.Fatalf("first sync: %+v", rep.Results)
	}
	woo := h.ps[1].full.(*fakeWoo)
	coupon := func() map[string]any {
		woo.mu.Lock()
		defer woo.mu.Unlock()
		for _, c := range woo.coupons {
			if c["code"] == "clear10" {
				return cloneMap(c)
			}
		}
		t.Fatal("no woocommerce coupon clear10")
		return nil
	}
	if c := coupon(); c["usage_limit"] == nil || c["usage_limit_per_user"] == nil || c["date_expires_gmt"] == nil {
		t.Fatalf("limits not set: %v", c)
	}
	c, _ := h.reg.Get("CLEAR10")
	c.MaxUses, c.OncePerCustomer, c.MinOrder, c.ValidUntil = nil, false, nil, nil
	h.reg.set(c)
	if rep := h.run(t, "CLEAR10"); rep.Err() != nil {
		t.Fatalf("second sync: %+v", rep.Results)
	}
	got := coupon()
	for _, k := range []string{"usage_limit", "usage_limit_per_user", "date_expires", "date_expires_gmt"} {
		if got[k] != nil {
			t.Errorf("%s = %v after clearing it, want null", k, got[k])
		}
	}
	if got["minimum_amount"] != "0.00" {
		t.Errorf("minimum_amount = %v, want 0.00", got["minimum_amount"])
	}
	// The store now agrees: a third sync changes nothing.
	if rep := h.run(t, "CLEAR10"); rep.Counts[ActionUnchanged] != 4 {
		t.Fatalf("third sync: %+v", rep.Results)
	}
}

// TestSyncTrackingOnlyCode: a code with no discount (tracking only) is not
// sent to Stripe or Paddle, which refuse a zero discount: the sync reports
// it as failed with the reason before any request; WooCommerce and
// Shopify take it.
func TestSyncTrackingOnlyCode(t *testing.T) {
	h := newHarness(t, nil, testCode("Track1", func(c *schemas.Code) { c.DiscountValue = 0 }),
		testCode("TrackFix", func(c *schemas.Code) { fixed(c); c.DiscountValue = 0 }))
	h.writes()
	rep := h.run(t, "TRACK1", "TRACKFIX")
	for _, r := range rep.Results {
		var fe *FieldError
		switch r.Platform {
		case "stripe", "paddle":
			if r.Action != ActionFailed || !errors.As(r.Err, &fe) || fe.Field != "discount_value" ||
				!strings.Contains(r.Err.Error(), "tracking-only code") {
				t.Errorf("%s on %s: %+v, want failed with the tracking-only reason", r.Code, r.Platform, r)
			}
		default:
			if r.Err != nil {
				t.Errorf("%s on %s: %v", r.Code, r.Platform, r.Err)
			}
		}
	}
	for _, p := range h.ps[2:] {
		if len(p.fake.requests()) > 0 && slices.ContainsFunc(p.fake.requests(), func(r string) bool { return strings.HasPrefix(r, "POST") }) {
			t.Errorf("%s was asked to create a zero discount: %v", p.name, p.fake.requests())
		}
	}
}

// TestSyncWooCommerceDraftByRemoteID: on a store that lists published
// coupons only (?status= ignored), a paused code's draft is found by the
// remote id the registry recorded, so reactivating it updates the same
// coupon instead of creating a second.
func TestSyncWooCommerceDraftByRemoteID(t *testing.T) {
	h := newHarness(t, nil, testCode("Again5"))
	h.run(t, "AGAIN5")
	woo := h.ps[1].full.(*fakeWoo)
	c, _ := h.reg.Get("AGAIN5")
	c.Status = registry.StatusPaused
	h.reg.set(c)
	if rep := h.run(t, "AGAIN5"); rep.Counts[ActionDeactivated] != 4 {
		t.Fatalf("pause: %+v", rep.Results)
	}
	woo.mu.Lock()
	woo.ignoreStatus = true
	woo.mu.Unlock()
	c, _ = h.reg.Get("AGAIN5")
	c.Status = registry.StatusActive
	h.reg.set(c)
	rep := h.run(t, "AGAIN5")
	for _, r := range rep.Results {
		if r.Platform == "woocommerce" && r.Action != ActionUpdated {
			t.Fatalf("woocommerce reactivation: %+v", r)
		}
	}
	if all, active := woo.count("AGAIN5"); all != 1 || active != 1 {
		t.Fatalf("woocommerce holds %d coupons (%d active), want the same one reactivated", all, active)
	}
}
