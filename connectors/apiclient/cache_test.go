package apiclient

import (
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	type op struct {
		put      bool
		key, val string
		at       time.Duration
		wantOK   bool
		wantVal  string
	}
	for _, tc := range []struct {
		name    string
		size    int
		ops     []op
		wantLen int
	}{
		{"hit before the TTL", 2, []op{{put: true, key: "a", val: "1"}, {key: "a", at: time.Minute - 1, wantOK: true, wantVal: "1"}}, 1},
		{"expired at the TTL and dropped", 2, []op{{put: true, key: "a", val: "1"}, {key: "a", at: time.Minute}}, 0},
		{"put again refreshes", 2, []op{{put: true, key: "a", val: "1"}, {put: true, key: "a", val: "2", at: 30 * time.Second},
			{key: "a", at: 80 * time.Second, wantOK: true, wantVal: "2"}}, 1},
		{"least recently used evicted", 2, []op{{put: true, key: "a", val: "1"}, {put: true, key: "b", val: "2"},
			{key: "a", wantOK: true, wantVal: "1"}, {put: true, key: "c", val: "3"}, {key: "b"}, {key: "a", wantOK: true, wantVal: "1"}}, 2},
		{"size below one holds one", 0, []op{{put: true, key: "a", val: "1"}, {put: true, key: "b", val: "2"}, {key: "b", wantOK: true, wantVal: "2"}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCache(tc.size, time.Minute)
			for i, o := range tc.ops {
				if o.put {
					c.Put(o.key, o.val, t0.Add(o.at))
					continue
				}
				v, ok := c.Get(o.key, t0.Add(o.at))
				if ok != o.wantOK || v != o.wantVal {
					t.Errorf("op %d: Get(%q) = %q %v, want %q %v", i, o.key, v, ok, o.wantVal, o.wantOK)
				}
			}
			if c.Len() != tc.wantLen {
				t.Errorf("Len %d, want %d", c.Len(), tc.wantLen)
			}
		})
	}
}
