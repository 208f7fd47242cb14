package registry

import (
	"slices"
	"strings"

	"github.com/heldsway/heldsway/schemas"
)

// Lookup is a read view of the registry. Results are copies the caller may
// keep and change.
type Lookup interface {
	// Get returns the code with the normalised form code.
	Get(code string) (schemas.Code, bool)
	// ByAffiliate returns the codes owned by affiliate, sorted by code.
	ByAffiliate(affiliate string) []schemas.Code
	// ByCoupon returns the codes of coupon, sorted by code.
	ByCoupon(coupon string) []schemas.Code
	// All returns every code, sorted by code.
	All() []schemas.Code
}

// remoteKey identifies a code on one platform store.
type remoteKey struct{ platform, store, id string }

// index is the in-memory registry state with its secondary indexes. It is
// not safe for concurrent use; Registry guards it.
type index struct {
	byCode      map[string]*schemas.Code
	byAffiliate map[string]map[string]struct{}
	byCoupon    map[string]map[string]struct{}
	byRemote    map[remoteKey]string
	// deleted remembers the last version of deleted codes (from tombstone
	// headers) so a re-created code continues its version sequence.
	deleted map[string]int64
}

func newIndex() *index {
	return &index{
		byCode:      map[string]*schemas.Code{},
		byAffiliate: map[string]map[string]struct{}{},
		byCoupon:    map[string]map[string]struct{}{},
		byRemote:    map[remoteKey]string{},
		deleted:     map[string]int64{},
	}
}

// put stores c (owned by the index from now on) under key.
func (x *index) put(key string, c *schemas.Code) {
	x.remove(key)
	delete(x.deleted, key)
	x.byCode[key] = c
	addTo(x.byAffiliate, c.AffiliateID, key)
	addTo(x.byCoupon, c.CouponID, key)
	for _, p := range c.Platforms {
		if p.RemoteID != nil && *p.RemoteID != "" {
			x.byRemote[remoteKey{strings.ToLower(p.Platform), p.StoreID, *p.RemoteID}] = key
		}
	}
}

// del removes key, remembering version as its last.
func (x *index) del(key string, version int64) {
	if c, ok := x.byCode[key]; ok && c.Version > version {
		version = c.Version
	}
	x.remove(key)
	x.deleted[key] = version
}

func (x *index) remove(key string) {
	old, ok := x.byCode[key]
	if !ok {
		return
	}
	delete(x.byCode, key)
	removeFrom(x.byAffiliate, old.AffiliateID, key)
	removeFrom(x.byCoupon, old.CouponID, key)
	for _, p := range old.Platforms {
		if p.RemoteID != nil {
			k := remoteKey{strings.ToLower(p.Platform), p.StoreID, *p.RemoteID}
			if x.byRemote[k] == key {
				delete(x.byRemote, k)
			}
		}
	}
}

func (x *index) get(code string) (schemas.Code, bool) {
	c, ok := x.byCode[code]
	if !ok {
		return schemas.Code{}, false
	}
	return Clone(c), true
}

func (x *index) set(m map[string]map[string]struct{}, k string) []schemas.Code {
	keys := make([]string, 0, len(m[k]))
	for c := range m[k] {
		keys = append(keys, c)
	}
	return x.list(keys)
}

func (x *index) list(keys []string) []schemas.Code {
	slices.Sort(keys)
	out := make([]schemas.Code, len(keys))
	for i, k := range keys {
		out[i] = Clone(x.byCode[k])
	}
	return out
}

func (x *index) all() []schemas.Code {
	keys := make([]string, 0, len(x.byCode))
	for k := range x.byCode {
		keys = append(keys, k)
	}
	return x.list(keys)
}

func (x *index) byRemoteID(platform, store, id string) (schemas.Code, bool) {
	k, ok := x.byRemote[remoteKey{strings.ToLower(platform), store, id}]
	if !ok {
		return schemas.Code{}, false
	}
	return x.get(k)
}

func addTo(m map[string]map[string]struct{}, k, v string) {
	s := m[k]
	if s == nil {
		s = map[string]struct{}{}
		m[k] = s
	}
	s[v] = struct{}{}
}

func removeFrom(m map[string]map[string]struct{}, k, v string) {
	if s := m[k]; s != nil {
		delete(s, v)
		if len(s) == 0 {
			delete(m, k)
		}
	}
}

// memLookup is a Lookup over a fixed set of codes, for planning without
// Kafka (tests, dry runs against a snapshot).
type memLookup struct{ x *index }

// NewMemLookup returns a Lookup holding codes (keyed by their Code field).
func NewMemLookup(codes ...schemas.Code) Lookup {
	x := newIndex()
	for i := range codes {
		c := Clone(&codes[i])
		x.put(c.Code, &c)
	}
	return memLookup{x}
}

func (m memLookup) Get(code string) (schemas.Code, bool) { return m.x.get(code) }
func (m memLookup) ByAffiliate(id string) []schemas.Code { return m.x.set(m.x.byAffiliate, id) }
func (m memLookup) ByCoupon(id string) []schemas.Code    { return m.x.set(m.x.byCoupon, id) }
func (m memLookup) All() []schemas.Code                  { return m.x.all() }
