package codesync

import (
	"context"
	"errors"
	"sort"
	gosync "sync"
	"testing"
	"time"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/promocode"
)

var t0 = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// clock is a settable test clock.
type clock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// sleeps records the waits asked for, without waiting.
type sleeps struct {
	mu gosync.Mutex
	d  []time.Duration
}

func (s *sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) take() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.d
	s.d = nil
	return out
}

// memRegistry is an in-memory registry with the Writer's version checks:
// registry.Lookup, Recorder and Applier.
type memRegistry struct {
	mu       gosync.Mutex
	codes    map[string]schemas.Code
	deleted  map[string]int64
	puts     int
	failPuts int // the next n Puts fail as a crash would
}

func newMemRegistry(cs ...schemas.Code) *memRegistry {
	m := &memRegistry{codes: map[string]schemas.Code{}, deleted: map[string]int64{}}
	for _, c := range cs {
		m.set(c)
	}
	return m
}

// set writes c as the next version, as a definition change would.
func (m *memRegistry) set(c schemas.Code) schemas.Code {
	m.mu.Lock()
	defer m.mu.Unlock()
	last := m.deleted[c.Code]
	if old, ok := m.codes[c.Code]; ok {
		last = old.Version
		if c.Platforms == nil {
			c.Platforms = old.Platforms
		}
	}
	c.Version = last + 1
	m.codes[c.Code] = registry.Clone(&c)
	return c
}

func (m *memRegistry) del(code string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deleted[code] = m.codes[code].Version
	delete(m.codes, code)
}

func (m *memRegistry) Get(code string) (schemas.Code, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.codes[code]
	if !ok {
		return schemas.Code{}, false
	}
	return registry.Clone(&c), true
}

func (m *memRegistry) ByAffiliate(a string) []schemas.Code {
	return m.filter(func(c *schemas.Code) bool { return c.AffiliateID == a })
}
func (m *memRegistry) ByCoupon(cp string) []schemas.Code {
	return m.filter(func(c *schemas.Code) bool { return c.CouponID == cp })
}
func (m *memRegistry) All() []schemas.Code { return m.filter(func(*schemas.Code) bool { return true }) }

func (m *memRegistry) filter(keep func(*schemas.Code) bool) []schemas.Code {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []schemas.Code
	for _, c := range m.codes {
		if keep(&c) {
			out = append(out, registry.Clone(&c))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

var errCrash = errors.New("test: process died before writing")

func (m *memRegistry) Put(_ context.Context, c schemas.Code, base int64) (schemas.Code, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failPuts > 0 {
		m.failPuts--
		return schemas.Code{}, errCrash
	}
	if errs := registry.Validate(&c); len(errs) > 0 {
		return schemas.Code{}, &registry.InvalidError{Fields: errs}
	}
	have, ok := m.codes[c.Code]
	if !ok && base != 0 || ok && base != registry.AnyVersion && have.Version != base {
		return schemas.Code{}, registry.Conflict{Code: c.Code, Base: base, Have: have.Version}
	}
	m.puts++
	c.Version = have.Version + 1
	m.codes[c.Code] = registry.Clone(&c)
	return c, nil
}

func (m *memRegistry) Apply(ctx context.Context, changes []registry.Change, _ registry.ApplyOptions) (registry.ApplyResult, error) {
	var res registry.ApplyResult
	for _, ch := range changes {
		if _, err := m.Put(ctx, *ch.Value, ch.Base); err != nil {
			var cf registry.Conflict
			if errors.As(err, &cf) {
				res.Conflicts = append(res.Conflicts, cf)
				continue
			}
			return res, err
		}
		res.Written++
	}
	return res, nil
}

func (m *memRegistry) putCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.puts
}

// state returns the sync state of code on platform.
func (m *memRegistry) state(t *testing.T, code, platform string) schemas.PlatformSync {
	t.Helper()
	c, ok := m.Get(code)
	if !ok {
		t.Fatalf("%s not in the registry", code)
	}
	for _, p := range c.Platforms {
		if p.Platform == platform {
			return p
		}
	}
	t.Fatalf("%s has no %s state: %+v", code, platform, c.Platforms)
	return schemas.PlatformSync{}
}

// testCode is an active 12.5% code of aff_1.
func testCode(display string, mods ...func(*schemas.Code)) schemas.Code {
	n, err := promocode.Normalize(display)
	if err != nil {
		panic(err)
	}
	c := schemas.Code{
		Code: n, DisplayCode: display, CouponID: "percent-12.5", AffiliateID: "aff_1",
		DiscountType: registry.Percent, DiscountValue: 1250, Status: registry.StatusActive,
	}
	for _, m := range mods {
		m(&c)
	}
	return c
}

// rich sets every limit the platforms know.
func rich(c *schemas.Code) {
	c.ValidFrom = ptr(t0.Add(-24 * time.Hour))
	c.ValidUntil = ptr(t0.Add(30*24*time.Hour - time.Millisecond))
	c.MaxUses = ptr[int64](100)
	c.OncePerCustomer = true
	c.MinOrder = ptr[int64](5000)
	c.Currency = ptr("USD")
	c.FirstOrderOnly = true
}

func fixed(c *schemas.Code) {
	c.DiscountType, c.DiscountValue, c.Currency, c.CouponID = registry.Fixed, 500, ptr("USD"), "fixed-5.00-usd"
}

// platform is one fake platform with its remote.
type platform struct {
	name   string
	remote Remote
	fake   *fake
	// count returns how many remote codes have code, and how many of
	// them are active.
	count func(code string) (all, active int)
	full  any // the platform's fake
}

// newPlatforms starts the four fake platforms, with remotes on clk.
func newPlatforms(t *testing.T, clk *clock) []platform {
	t.Helper()
	sh, wo, st, pa := newFakeShopify(t), newFakeWoo(t), newFakeStripe(t), newFakePaddle(t)
	shr, err := NewShopify(ShopifyConfig{StoreID: "acme.myshopify.com", BaseURL: sh.srv.URL, AccessToken: shopifyToken, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	wor, err := NewWooCommerce(WooCommerceConfig{StoreID: "shop.example", BaseURL: wo.srv.URL, ConsumerKey: wooKey, ConsumerSecret: wooSecret, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	str, err := NewStripe(StripeConfig{StoreID: "acct_1", BaseURL: st.srv.URL, SecretKey: stripeKey})
	if err != nil {
		t.Fatal(err)
	}
	par, err := NewPaddle(PaddleConfig{StoreID: "pdl_1", BaseURL: pa.srv.URL, APIKey: paddleKey})
	if err != nil {
		t.Fatal(err)
	}
	shr.now, wor.now, str.now, par.now, sh.now = clk.Now, clk.Now, clk.Now, clk.Now, clk.Now
	return []platform{
		{"shopify", shr, &sh.fake, sh.count, sh},
		{"woocommerce", wor, &wo.fake, wo.count, wo},
		{"stripe", str, &st.fake, st.count, st},
		{"paddle", par, &pa.fake, pa.count, pa},
	}
}

func remotesOf(ps []platform) []Remote {
	out := make([]Remote, len(ps))
	for i, p := range ps {
		out[i] = p.remote
	}
	return out
}

// harness is a Syncer over the four fakes and a memory registry.
type harness struct {
	ps    []platform
	reg   *memRegistry
	clk   *clock
	sleep *sleeps
	s     *Syncer
}

func newHarness(t *testing.T, mod func(*Config), cs ...schemas.Code) *harness {
	t.Helper()
	h := &harness{reg: newMemRegistry(cs...), clk: &clock{t: t0}, sleep: &sleeps{}}
	h.ps = newPlatforms(t, h.clk)
	cfg := Config{Remotes: remotesOf(h.ps), Recorder: h.reg, Now: h.clk.Now, Sleep: h.sleep.Sleep}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg, h.reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	h.s = s
	return h
}

func (h *harness) run(t *testing.T, keys ...string) *Report {
	t.Helper()
	rep, err := h.s.Run(ctxT(t), keys)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// actions maps platform to the action of each result.
func actions(rep *Report) map[string]string {
	out := map[string]string{}
	for _, r := range rep.Results {
		out[r.Platform] = r.Action
	}
	return out
}

// writes returns the non-GET requests of every fake since the last call,
// per platform.
func (h *harness) writes() map[string][]string {
	out := map[string][]string{}
	for _, p := range h.ps {
		for _, r := range p.fake.requests() {
			if len(r) < 4 || r[:4] != "GET " {
				out[p.name] = append(out[p.name], r)
			}
		}
	}
	return out
}
