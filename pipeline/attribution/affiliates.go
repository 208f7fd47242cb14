package attribution

import (
	"sync"

	"github.com/heldsway/heldsway/schemas"
)

// AffiliateIndex follows the code registry: for each affiliate, its codes
// and which are active. An affiliate whose codes are all inactive has left
// the program, and its clicks no longer qualify (Lookup is an
// AffiliateLookup). The processor and the bench's Goka peer feed it every
// registry change.
type AffiliateIndex struct {
	serde *schemas.Serde
	// mu guards m. Leaf lock.
	mu struct {
		sync.Mutex
		m map[string]map[string]bool // affiliate -> code -> active
	}
}

// NewAffiliateIndex returns an empty index that decodes registry records
// with serde.
func NewAffiliateIndex(serde *schemas.Serde) *AffiliateIndex {
	x := &AffiliateIndex{serde: serde}
	x.mu.m = map[string]map[string]bool{}
	return x
}

// Change applies one registry change of code key: old and val are its
// previous and new records (nil for none or a deletion). It fits
// stream.TableConfig.OnChange.
func (x *AffiliateIndex) Change(key, old, val []byte) {
	var prev, cur schemas.Code
	hasPrev := len(old) > 0 && x.serde.Decode(old, &prev) == nil
	hasCur := len(val) > 0 && x.serde.Decode(val, &cur) == nil
	var p, c *schemas.Code
	if hasPrev {
		p = &prev
	}
	if hasCur {
		c = &cur
	}
	x.Set(string(key), p, c)
}

// Set applies one registry change of code key already decoded: prev and
// cur are its previous and new definitions (nil for none or a deletion).
// A caller that decodes the registry itself (the processor's code view)
// calls it instead of Change, so each record is decoded once.
func (x *AffiliateIndex) Set(key string, prev, cur *schemas.Code) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if prev != nil {
		if codes := x.mu.m[prev.AffiliateID]; codes != nil {
			delete(codes, key)
			if len(codes) == 0 {
				delete(x.mu.m, prev.AffiliateID)
			}
		}
	}
	if cur != nil && cur.AffiliateID != "" {
		codes := x.mu.m[cur.AffiliateID]
		if codes == nil {
			codes = map[string]bool{}
			x.mu.m[cur.AffiliateID] = codes
		}
		codes[key] = cur.Status == "active"
	}
}

// Lookup reports whether the registry knows the affiliate and whether any
// of its codes is active.
func (x *AffiliateIndex) Lookup(aff string) (known, active bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	codes, ok := x.mu.m[aff]
	if !ok {
		return false, false
	}
	for _, a := range codes {
		if a {
			return true, true
		}
	}
	return true, false
}
