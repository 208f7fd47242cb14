package processor

import (
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/schemas"
)

// codeView is the processor's one materialised view of the codes topic:
// each registry record is decoded once, when the table reads it, into the
// codes the rules look up and into the affiliate index. The table keeps no
// copy of its own (stream.TableConfig.NoValues), and a lookup decodes
// nothing.
//
// Lock order: mu, then the affiliate index's lock.
type codeView struct {
	serde *schemas.Serde
	affs  *attribution.AffiliateIndex
	log   *zap.Logger
	// bad counts undecodable registry records; each one deletes the code
	// from the view (the last definition that decoded no longer holds).
	bad     atomic.Int64
	lastLog atomic.Int64 // unix nanos of the last undecodable-record warning

	mu struct {
		sync.RWMutex
		m map[string]*schemas.Code // never modified once stored
	}
}

func newCodeView(serde *schemas.Serde, affs *attribution.AffiliateIndex, log *zap.Logger) *codeView {
	v := &codeView{serde: serde, affs: affs, log: log}
	v.mu.m = map[string]*schemas.Code{}
	return v
}

// change applies one record of the codes topic; val nil deletes key. It is
// the table's OnChange (old is nil: the table keeps no values).
func (v *codeView) change(key, _, val []byte) {
	var cur *schemas.Code
	if val != nil {
		c := new(schemas.Code)
		if err := v.serde.Decode(val, c); err != nil {
			n := v.bad.Add(1)
			// Rate-limited: a topic written by a newer schema could make
			// every record fail.
			if now := time.Now().UnixNano(); now-v.lastLog.Load() > int64(10*time.Second) {
				v.lastLog.Store(now)
				v.log.Warn("undecodable registry entry; the code is treated as unknown",
					zap.ByteString("code", key), zap.Int64("undecodable", n), zap.Error(err))
			}
		} else {
			cur = c
		}
	}
	k := string(key)
	v.mu.Lock()
	defer v.mu.Unlock()
	prev := v.mu.m[k]
	if cur == nil {
		delete(v.mu.m, k)
	} else {
		v.mu.m[k] = cur
	}
	v.affs.Set(k, prev, cur)
}

// lookup returns code's definition. The copy shares its pointers and
// slices with the view: callers must not modify them.
func (v *codeView) lookup(code string) (schemas.Code, bool) {
	v.mu.RLock()
	c, ok := v.mu.m[code]
	v.mu.RUnlock()
	if !ok {
		return schemas.Code{}, false
	}
	return *c, true
}

// len is the number of codes in the view.
func (v *codeView) len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.mu.m)
}
