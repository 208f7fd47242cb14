package harness

import (
	stdbytes "bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/schemas"
)

// FeedStats is what one phase of the webhook feed saw.
type FeedStats struct {
	// Requests and Events are the distinct requests offered and the world
	// events they carry.
	Requests int64 `json:"requests"`
	Events   int64 `json:"events"`
	// Accepted and EventsAccepted: answered 2xx (after retries).
	Accepted       int64 `json:"requests_accepted"`
	EventsAccepted int64 `json:"events_accepted"`
	Attempts       int64 `json:"attempts"`
	// Retries counts attempts after the first, whatever the cause.
	Retries         int64 `json:"retries"`
	Status5xx       int64 `json:"status_5xx"`
	Status503       int64 `json:"status_503"`
	Status4xx       int64 `json:"status_4xx"`
	TransportErrors int64 `json:"transport_errors"`
	// Failed requests were given up: a 4xx, or retries exhausted.
	Failed         int64    `json:"failed"`
	Seconds        float64  `json:"seconds"`
	RequestsPerSec float64  `json:"requests_per_sec"`
	EventsPerSec   float64  `json:"events_per_sec"`
	Errors         []string `json:"errors,omitempty"`
}

// IngestResult is the webhook feed's figures of one run.
type IngestResult struct {
	Clients     int `json:"clients"`
	ClickBatch  int `json:"click_batch"`
	MaxInFlight int `json:"max_inflight,omitempty"`
	// Throughput is the throughput phase (as fast as the clients go);
	// Latency the latency phase (at the offered rate).
	Throughput FeedStats `json:"throughput"`
	Latency    FeedStats `json:"latency"`
	RSS        int64     `json:"peak_rss"`
	// ByEndpoint counts the requests of both phases per endpoint.
	ByEndpoint map[string]int `json:"requests_by_endpoint"`
}

const (
	maxAttempts = 50
	maxErrors   = 5
)

// hookSender posts a hookFeed to a running ingest.
type hookSender struct {
	base    string
	client  *http.Client
	secrets hookSecrets
	feed    *hookFeed
	// sentAt is the first attempt of each order's first delivery (unix
	// ns), by world order number.
	sentAt []atomic.Int64
}

// hookSecrets are the ingest's secrets, chosen by the harness.
type hookSecrets struct {
	token, hashKey               string
	shopify, woo, stripe, paddle string
}

func newHookSecrets() (hookSecrets, error) {
	var s hookSecrets
	for _, p := range []*string{&s.token, &s.hashKey, &s.shopify, &s.woo, &s.stripe, &s.paddle} {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return s, err
		}
		*p = hex.EncodeToString(b)
	}
	s.stripe = "whsec_" + s.stripe
	s.paddle = "pdl_ntfset_" + s.paddle
	return s, nil
}

// env is the ingest child's environment: one store per platform.
func (s hookSecrets) env() []string {
	return []string{
		"HELDSWAY_API_TOKEN=" + s.token,
		"HELDSWAY_HASH_KEY=" + s.hashKey,
		"HELDSWAY_SHOPIFY_SECRET=" + s.shopify,
		"HELDSWAY_WOOCOMMERCE_SECRET=" + s.woo,
		"HELDSWAY_STRIPE_SECRET=" + s.stripe,
		"HELDSWAY_PADDLE_SECRET=" + s.paddle,
	}
}

func newHookSender(base string, secrets hookSecrets, feed *hookFeed, clients int) *hookSender {
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients,
		IdleConnTimeout: 90 * time.Second, DisableCompression: true}
	return &hookSender{base: base, client: &http.Client{Transport: tr, Timeout: 60 * time.Second}, secrets: secrets, feed: feed,
		sentAt: make([]atomic.Int64, feed.maxOrder+1)}
}

func (s *hookSender) close() { s.client.CloseIdleConnections() }

// startIngest runs heldsway ingest against the broker at addr with the
// harness's secrets and waits until it is ready.
func startIngest(ctx context.Context, cfg Config, dir, addr string, secrets hookSecrets) (*child, string, error) {
	haddr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	args := []string{"ingest", "--data-dir", filepath.Join(dir, "ingest"), "--kafka-listen", addr, "--topic-prefix", topicPrefix,
		"--partitions", fmt.Sprint(cfg.Partitions), "--http-addr", haddr, "--log-level", "warn", "--log-format", "json"}
	if cfg.IngestMaxInFlight > 0 {
		args = append(args, "--max-inflight", fmt.Sprint(cfg.IngestMaxInFlight))
	}
	// Every sender is one client address (loopback): the per-client limit
	// of unauthenticated requests must admit all of them.
	if cfg.Clients > 64 {
		args = append(args, "--max-per-client", fmt.Sprint(cfg.Clients))
	}
	ing, err := startChildEnv("ingest", cfg.Binary, cfg.ChildLog, secrets.env(), args...)
	if err != nil {
		return nil, "", err
	}
	base := "http://" + haddr
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	err = waitFor(wctx, 100*time.Millisecond, func() bool {
		if done, _ := ing.exited(); done {
			cancel()
			return false
		}
		req, _ := http.NewRequestWithContext(wctx, http.MethodGet, base+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		if done, perr := ing.exited(); done {
			return nil, "", fmt.Errorf("ingest exited: %v", perr)
		}
		ing.kill()
		return nil, "", fmt.Errorf("waiting for the ingest: %w", err)
	}
	return ing, base, nil
}

// run delivers feed.reqs[from:to] with clients concurrent clients: as fast
// as they go when rate is 0, else rate world events per second.
//
// A customer's orders and refunds always go through the same client, so
// they arrive in the world's order even when one is retried: the world
// replays weeks of event time in seconds, so letting a retried order fall
// a second behind a newer order of its customer would move it days back
// in event time, behind the horizon (newest order - window - 24h) to which
// stage 1 has already pruned the customer's clicks. Click batches go to
// any client (a click that arrives after its order revises the order
// within the grace period).
func (s *hookSender) run(ctx context.Context, from, to, rate, clients int) (FeedStats, error) {
	st := &feedCounters{}
	own := make([]chan int, clients)
	shared := make(chan int, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range own {
		own[w] = make(chan int, 16)
		wg.Add(1)
		go func(mine, shared chan int) {
			defer wg.Done()
			for mine != nil || shared != nil {
				select {
				case i, ok := <-mine:
					if !ok {
						mine = nil
						continue
					}
					s.deliver(ctx, i, st)
				case i, ok := <-shared:
					if !ok {
						shared = nil
						continue
					}
					s.deliver(ctx, i, st)
				}
			}
		}(own[w], shared)
	}
	events := 0
	for i := from; i < to && ctx.Err() == nil; i++ {
		if rate > 0 {
			if d := time.Until(start.Add(time.Duration(float64(events) / float64(rate) * float64(time.Second)))); d > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(d):
				}
			}
		}
		r := s.feed.reqs[i]
		events += int(r.events)
		q := shared
		if r.ep != epClicks {
			q = own[int(r.cust%uint32(clients))]
		}
		select {
		case q <- i:
		case <-ctx.Done():
		}
	}
	for _, q := range own {
		close(q)
	}
	close(shared)
	wg.Wait()
	out := st.stats(time.Since(start))
	out.Requests, out.Events = int64(to-from), int64(s.feed.events(from, to))
	return out, ctx.Err()
}

// feedCounters are FeedStats being counted.
type feedCounters struct {
	accepted, eventsAccepted, attempts, retries            atomic.Int64
	status5xx, status503, status4xx, transportErrs, failed atomic.Int64
	mu                                                     sync.Mutex
	errors                                                 []string
}

func (c *feedCounters) fail(msg string) {
	c.failed.Add(1)
	c.mu.Lock()
	if len(c.errors) < maxErrors {
		c.errors = append(c.errors, msg)
	}
	c.mu.Unlock()
}

func (c *feedCounters) stats(el time.Duration) FeedStats {
	s := FeedStats{Accepted: c.accepted.Load(), EventsAccepted: c.eventsAccepted.Load(), Attempts: c.attempts.Load(), Retries: c.retries.Load(),
		Status5xx: c.status5xx.Load(), Status503: c.status503.Load(), Status4xx: c.status4xx.Load(), TransportErrors: c.transportErrs.Load(),
		Failed: c.failed.Load(), Seconds: el.Seconds()}
	c.mu.Lock()
	s.Errors = append(s.Errors, c.errors...)
	c.mu.Unlock()
	if s.Seconds > 0 {
		s.RequestsPerSec, s.EventsPerSec = float64(s.Accepted)/s.Seconds, float64(s.EventsAccepted)/s.Seconds
	}
	return s
}

// deliver posts request i until it is answered 2xx, retrying 5xx and
// transport errors (503 after its Retry-After), as the platforms do.
func (s *hookSender) deliver(ctx context.Context, i int, st *feedCounters) {
	r := s.feed.reqs[i]
	body := s.feed.body(i)
	url := s.base + endpointPaths[r.ep]
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			st.retries.Add(1)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, stdbytes.NewReader(body))
		if err != nil {
			st.fail(err.Error())
			return
		}
		now := time.Now()
		s.sign(req.Header, r, body, now)
		if attempt == 0 && r.order > 0 {
			s.sentAt[r.order].CompareAndSwap(0, now.UnixNano())
		}
		st.attempts.Add(1)
		resp, err := s.client.Do(req)
		wait := min(100*time.Millisecond<<min(attempt, 6), 5*time.Second)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			st.transportErrs.Add(1)
		case resp.StatusCode/100 == 2:
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			st.accepted.Add(1)
			st.eventsAccepted.Add(int64(r.events))
			return
		case resp.StatusCode >= 500:
			st.status5xx.Add(1)
			if resp.StatusCode == http.StatusServiceUnavailable {
				st.status503.Add(1)
				if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && ra >= 0 {
					wait = min(time.Duration(ra)*time.Second, 30*time.Second)
				}
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		default:
			st.status4xx.Add(1)
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 400))
			resp.Body.Close()
			st.fail(fmt.Sprintf("%s %s: %d %s", endpointNames[r.ep], firstLine(body), resp.StatusCode, stdbytes.TrimSpace(msg)))
			return
		}
		if attempt+1 >= maxAttempts {
			st.fail(fmt.Sprintf("%s: gave up after %d attempts", endpointNames[r.ep], maxAttempts))
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func firstLine(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

func hmacSHA256(secret string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// sign sets the headers of a delivery sent at now, signed as each
// platform signs (Shopify and WooCommerce: base64 HMAC-SHA256 of the body;
// Stripe: t=,v1= hex HMAC of "t.body"; Paddle: ts=;h1= hex HMAC of
// "ts:body"); the HeldSway APIs take the bearer token.
func (s *hookSender) sign(h http.Header, r hookReq, body []byte, now time.Time) {
	h.Set("Content-Type", "application/json")
	ts := strconv.FormatInt(now.Unix(), 10)
	switch r.ep {
	case epShopify:
		topic := "orders/create"
		if r.topic == topicRefund {
			topic = "refunds/create"
		}
		h.Set("User-Agent", "Shopify-Captain-Hook")
		h.Set("X-Shopify-Topic", topic)
		h.Set("X-Shopify-Shop-Domain", shopifyDomain)
		h.Set("X-Shopify-API-Version", "2026-07")
		h.Set("X-Shopify-Webhook-Id", fmt.Sprintf("b3nch000-0000-4000-8000-%012d", r.hid))
		h.Set("X-Shopify-Triggered-At", now.UTC().Format(time.RFC3339Nano))
		h.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(hmacSHA256(s.secrets.shopify, body)))
	case epWooCommerce:
		topic, event := "order.created", "created"
		if r.topic == topicRefund {
			topic, event = "order.updated", "updated"
		}
		h.Set("User-Agent", "WooCommerce/9.3.3 Hookshot (WordPress/6.6.2)")
		h.Set("X-WC-Webhook-Source", wooSite+"/")
		h.Set("X-WC-Webhook-Topic", topic)
		h.Set("X-WC-Webhook-Resource", "order")
		h.Set("X-WC-Webhook-Event", event)
		h.Set("X-WC-Webhook-ID", "7")
		h.Set("X-WC-Webhook-Delivery-ID", strconv.Itoa(int(r.hid)))
		h.Set("X-WC-Webhook-Signature", base64.StdEncoding.EncodeToString(hmacSHA256(s.secrets.woo, body)))
	case epStripe:
		h.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
		h.Set("Stripe-Signature", "t="+ts+",v1="+hex.EncodeToString(hmacSHA256(s.secrets.stripe, []byte(ts+"."), body)))
	case epPaddle:
		h.Set("User-Agent", "Paddle")
		h.Set("Paddle-Signature", "ts="+ts+";h1="+hex.EncodeToString(hmacSHA256(s.secrets.paddle, []byte(ts+":"), body)))
	default:
		h.Set("User-Agent", "heldsway-bench")
		h.Set("Authorization", "Bearer "+s.secrets.token)
	}
}

// byEndpoint counts the feed's requests per endpoint.
func (f *hookFeed) byEndpoint() map[string]int {
	out := map[string]int{}
	for _, r := range f.reqs {
		out[endpointNames[r.ep]]++
	}
	return out
}

// attributionSentAt returns, for a version-1 attribution record, when its
// order's first delivery was sent.
func (s *hookSender) attributionSentAt(serde *schemas.Serde) func(*kgo.Record) (time.Time, bool) {
	return func(r *kgo.Record) (time.Time, bool) {
		v, err := serde.DecodeAny(r.Value)
		if err != nil {
			return time.Time{}, false
		}
		a, ok := v.(*schemas.Attribution)
		if !ok || a.Version != 1 {
			return time.Time{}, false
		}
		n, ok := worldOrderNumber(worldOrderID(a.Platform, a.OrderID))
		if !ok || n >= len(s.sentAt) {
			return time.Time{}, false
		}
		if t := s.sentAt[n].Load(); t > 0 {
			return time.Unix(0, t), true
		}
		return time.Time{}, false
	}
}
