package goka

import (
	"sync"

	"github.com/heldsway/heldsway/schemas"
)

// affiliateIndex follows the code registry as the processor's does: for
// each affiliate, its codes and which are active. An affiliate whose codes
// are all inactive has left the program (attribution.AffiliateLookup).
type affiliateIndex struct {
	serde *schemas.Serde
	// mu guards m. Leaf lock.
	mu struct {
		sync.Mutex
		m map[string]map[string]bool // affiliate -> code -> active
	}
}

func newAffiliateIndex(serde *schemas.Serde) *affiliateIndex {
	x := &affiliateIndex{serde: serde}
	x.mu.m = map[string]map[string]bool{}
	return x
}

// change applies one registry record (old: the code's previous record;
// nil for none or a deletion).
func (x *affiliateIndex) change(key string, old, val []byte) {
	var prev, cur schemas.Code
	hasPrev := len(old) > 0 && x.serde.Decode(old, &prev) == nil
	hasCur := len(val) > 0 && x.serde.Decode(val, &cur) == nil
	x.mu.Lock()
	defer x.mu.Unlock()
	if hasPrev {
		if codes := x.mu.m[prev.AffiliateID]; codes != nil {
			delete(codes, key)
			if len(codes) == 0 {
				delete(x.mu.m, prev.AffiliateID)
			}
		}
	}
	if hasCur && cur.AffiliateID != "" {
		codes := x.mu.m[cur.AffiliateID]
		if codes == nil {
			codes = map[string]bool{}
			x.mu.m[cur.AffiliateID] = codes
		}
		codes[key] = cur.Status == "active"
	}
}

// lookup reports whether the registry knows the affiliate and whether any
// of its codes is active.
func (x *affiliateIndex) lookup(aff string) (known, active bool) {
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
