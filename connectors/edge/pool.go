package edge

import (
	"net"
	"net/http"
	"strings"
	"sync"
)

// Class is a route class. Each class has its own in-flight pool, so
// requests of one class (say, a flood of slow webhook bodies) cannot take
// the capacity of another (the shoppers' redirects, the authenticated
// APIs).
type Class int

const (
	// ClassAPI is the authenticated APIs (bearer token): conversions,
	// click batches, the code admin API, the dashboard.
	ClassAPI Class = iota
	// ClassWebhook is the store platforms' webhooks: unauthenticated
	// until their signature is verified.
	ClassWebhook
	// ClassRedirect is the shoppers' click redirects: unauthenticated.
	ClassRedirect
	numClasses
)

func (c Class) String() string {
	switch c {
	case ClassAPI:
		return "api"
	case ClassWebhook:
		return "webhook"
	case ClassRedirect:
		return "redirect"
	}
	return "unknown"
}

// unauthenticated reports whether requests of c are served before the
// sender is known, and so count against the per-client limit.
func (c Class) unauthenticated() bool { return c == ClassWebhook || c == ClassRedirect }

// Classed is implemented by handlers that know their route class;
// Server.Handle uses it (webhook.Handler is a ClassWebhook handler).
type Classed interface {
	RouteClass() Class
}

// clientLimit counts the unauthenticated requests in flight per client
// address.
type clientLimit struct {
	max int
	mu  struct {
		sync.Mutex
		n map[string]int
	}
}

func newClientLimit(max int) *clientLimit {
	l := &clientLimit{max: max}
	l.mu.n = map[string]int{}
	return l
}

// acquire takes a slot for addr; false when addr already has max requests
// in flight.
func (l *clientLimit) acquire(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.n[addr] >= l.max {
		return false
	}
	l.mu.n[addr]++
	return true
}

func (l *clientLimit) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.n[addr] <= 1 {
		delete(l.mu.n, addr)
		return
	}
	l.mu.n[addr]--
}

// ClientAddr is the address a request comes from: when trustForwarded
// (behind a proxy you run), the last X-Forwarded-For entry, the one your
// proxy appended (earlier entries are whatever the client sent, so a
// limit keyed by them could be dodged); else the connection's remote host.
func ClientAddr(r *http.Request, trustForwarded bool) string {
	if trustForwarded {
		xff := r.Header.Values("X-Forwarded-For")
		if n := len(xff); n > 0 {
			last := xff[n-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if a := strings.TrimSpace(last); a != "" {
				return a
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Refuse answers status with reason before the request's body was read.
// It also closes the connection after the answer, so the server does not
// wait for the rest of a body it will never use (a slow sender could
// otherwise keep the connection busy draining it).
func Refuse(w http.ResponseWriter, r *http.Request, status int, reason string) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
	WriteError(w, status, reason)
}
