package fraud

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/heldsway/heldsway/schemas"
)

// LeakConfig tunes the code_leak detector. Zero fields take the defaults
// stated on each (EnsureDefaults).
type LeakConfig struct {
	// Bucket is the event-time bucket redemptions are counted in.
	// Default 1h.
	Bucket time.Duration `yaml:"bucket"`
	// Buckets is how many previous buckets form the baseline (their
	// median, empty buckets counting as 0). Default 24.
	Buckets int `yaml:"baseline_buckets"`
	// FactorPercent: a bucket spikes when its count exceeds
	// max(MinCount, FactorPercent*median/100). Default 500 (5x).
	FactorPercent int64 `yaml:"factor_percent"`
	// MinCount is the least count that can spike. Default 20.
	MinCount int64 `yaml:"min_count"`
	// MinSample is the least number of redemptions in the retained buckets
	// before the no-click ratio is judged. Default 20.
	MinSample int64 `yaml:"min_sample"`
	// NoClickRatioBP: the code leaks when at least this share (basis
	// points) of the retained redemptions had no click from the code's
	// affiliate. Default 8000 (80%).
	NoClickRatioBP int64 `yaml:"no_click_ratio_bp"`
	// Cooldown ends an episode: a condition that holds again after
	// Cooldown of event time without it starts a new episode and a new
	// flag. Default 24h.
	Cooldown time.Duration `yaml:"cooldown"`
	// Severity of the code_leak flag. Default review.
	Severity string `yaml:"severity"`
	// AutoPause sets LeakResult.Pause when an episode starts, for the stage
	// to pause the code. Default false.
	AutoPause bool `yaml:"auto_pause"`
	// Settle is how long, in record time, a redemption counted without a
	// click from the code's affiliate may still be corrected by a late
	// click (see CodeStats.Clicked). Until then it is left out of the
	// no-click ratio, both sides: a flag is judged only on redemptions
	// whose click status is final. The spike trigger counts every
	// redemption at once. Default: the program's grace period for late
	// clicks (attribution.Defaults.Grace, 10m), which is how long stage 1
	// revises a decision. 0 means the default; it cannot be turned off.
	// Stage 2 reads a code's redemptions from every stage-1 partition
	// unaligned: when one partition runs more than Settle behind the
	// others (catching up after an outage), its redemptions can settle
	// before their corrections arrive, and the flags of such a stretch
	// depend on how the partitions interleave.
	Settle time.Duration `yaml:"settle"`
}

// DefaultSettle is LeakConfig.Settle's default outside a program: the
// program's default grace period.
const DefaultSettle = 10 * time.Minute

// maxPending bounds CodeStats.Pending: past it, the oldest unsettled
// redemption counts as settled (its no-click status final) early.
const maxPending = 256

// maxBuckets bounds LeakConfig.Buckets (90 days of hours).
const maxBuckets = 2160

// EnsureDefaults fills zero fields with their defaults.
func (c *LeakConfig) EnsureDefaults() {
	if c.Bucket == 0 {
		c.Bucket = time.Hour
	}
	if c.Buckets == 0 {
		c.Buckets = 24
	}
	if c.FactorPercent == 0 {
		c.FactorPercent = 500
	}
	if c.MinCount == 0 {
		c.MinCount = 20
	}
	if c.MinSample == 0 {
		c.MinSample = 20
	}
	if c.NoClickRatioBP == 0 {
		c.NoClickRatioBP = 8000
	}
	if c.Cooldown == 0 {
		c.Cooldown = 24 * time.Hour
	}
	if c.Severity == "" {
		c.Severity = SeverityReview
	}
	if c.Settle == 0 {
		c.Settle = DefaultSettle
	}
}

// Validate checks a config after EnsureDefaults; errors name the YAML field.
func (c *LeakConfig) Validate() error {
	switch {
	case c.Bucket < time.Second || c.Bucket%time.Millisecond != 0:
		return fmt.Errorf("bucket: %v must be a whole number of milliseconds, at least 1s", c.Bucket)
	case c.Buckets < 1 || c.Buckets > maxBuckets:
		return fmt.Errorf("baseline_buckets: %d must be in [1, %d]", c.Buckets, maxBuckets)
	case c.FactorPercent < 100 || c.FactorPercent > 1_000_000:
		return fmt.Errorf("factor_percent: %d must be in [100, 1000000]", c.FactorPercent)
	case c.MinCount < 1:
		return fmt.Errorf("min_count: %d must be at least 1", c.MinCount)
	case c.MinSample < 1:
		return fmt.Errorf("min_sample: %d must be at least 1", c.MinSample)
	case c.NoClickRatioBP < 1 || c.NoClickRatioBP > 10000:
		return fmt.Errorf("no_click_ratio_bp: %d must be in [1, 10000]", c.NoClickRatioBP)
	case c.Cooldown < 0:
		return fmt.Errorf("cooldown: %v must not be negative", c.Cooldown)
	case !ValidSeverity(c.Severity):
		return fmt.Errorf("severity: %q must be review or reject", c.Severity)
	case c.Settle < 0 || c.Settle > 24*time.Hour:
		return fmt.Errorf("settle: %v must be in [0, 24h]", c.Settle)
	}
	return nil
}

// Redemption is one valid use of a code, as stage 2 sees it.
type Redemption struct {
	Code        string
	AffiliateID string // the code's owner
	Order       OrderRef
	// AffiliateClicked is true when the customer had a non-bot click from
	// the code's affiliate inside the window before the order.
	AffiliateClicked bool
	// RequiresClick is the code's registry flag: a code given to a
	// link-based partner. Only such codes are judged by the no-click
	// ratio; the customers of a podcast's code never click, by design.
	RequiresClick bool
}

// Bucket counts one event-time bucket of a code's redemptions.
type Bucket struct {
	Start   int64 `json:"s"` // unix milliseconds, a multiple of the bucket size
	Count   int64 `json:"c"`
	NoClick int64 `json:"n"` // redemptions without a click from the affiliate
}

// CodeStats is stage 2's leak state for one code. The zero value is ready.
type CodeStats struct {
	// Buckets ascending by Start; only the latest 2*Buckets+1 bucket
	// spans are kept.
	Buckets []Bucket `json:"b,omitempty"`
	// EpisodeStart is the start of the bucket that opened the current or
	// last leak episode, unix ms; 0 when none ever started.
	EpisodeStart int64 `json:"e,omitempty"`
	// LastTrigger is the event time (unix ms) the condition last held.
	LastTrigger int64 `json:"t,omitempty"`
	// Pending are the redemptions of a code that requires a click, counted
	// without one less than Settle ago (record time), in the order seen:
	// a late click may still correct them, so the no-click ratio leaves
	// them out. At most maxPending.
	Pending []Pending `json:"p,omitempty"`
}

// Pending is one unsettled no-click redemption.
type Pending struct {
	Bucket int64  `json:"b"` // its bucket's start, unix ms
	Seen   int64  `json:"s"` // the record time it was counted at, unix ms
	Order  uint64 `json:"o"` // PendingOrder of its order: a correction takes this entry only
}

// PendingOrder identifies a redemption's order among a code's pending
// ones: a 64-bit hash of its platform, store and order id.
func PendingOrder(o OrderRef) uint64 {
	return xxhash.Sum64String(o.Platform + "\x00" + o.StoreID + "\x00" + o.OrderID)
}

// LeakResult is what Observe found.
type LeakResult struct {
	// Flag is set once per episode, on the redemption that opened it.
	Flag *schemas.Flag
	// Active reports the code is inside a leak episode at this
	// redemption's event time (from the episode's first bucket to Cooldown
	// after the condition last held); a stage may hold such orders for
	// review.
	Active bool
	// Pause is set with Flag when LeakConfig.AutoPause is on.
	Pause bool
}

// Observe counts r and judges the code. cfg must have defaults applied.
// now is the processing time written as the flag's DetectedAt. A
// redemption older than the retained buckets is not counted but still
// reports whether an episode is active.
func (s *CodeStats) Observe(r Redemption, cfg LeakConfig, now time.Time) LeakResult {
	s.settle(now, cfg)
	at := r.Order.OccurredAt.UnixMilli()
	size := cfg.Bucket.Milliseconds()
	b := floorDiv(at, size) * size
	span := int64(cfg.Buckets) * size
	if n := len(s.Buckets); n > 0 && b < s.Buckets[n-1].Start-span {
		return LeakResult{Active: s.active(at, cfg)}
	}
	i, found := slices.BinarySearchFunc(s.Buckets, b, func(x Bucket, t int64) int { return cmp64(x.Start, t) })
	if !found {
		s.Buckets = slices.Insert(s.Buckets, i, Bucket{Start: b})
	}
	s.Buckets[i].Count++
	if !r.AffiliateClicked {
		s.Buckets[i].NoClick++
		if r.RequiresClick {
			if len(s.Pending) == maxPending {
				s.Pending = slices.Delete(s.Pending, 0, 1)
			}
			s.Pending = append(s.Pending, Pending{Bucket: b, Seen: now.UnixMilli(), Order: PendingOrder(r.Order)})
		}
	}
	cur := s.Buckets[i]
	// Keep two spans: a redemption up to a span late (another stage-1
	// partition behind this one, a backlog read unevenly) is judged
	// against a baseline that is still all there. Trimming to one span
	// judged such a bucket against a baseline cut away to zeros: a false
	// spike.
	last := s.Buckets[len(s.Buckets)-1].Start
	k := 0
	for k < len(s.Buckets) && s.Buckets[k].Start < last-2*span {
		k++
	}
	s.Buckets = s.Buckets[k:]
	s.Pending = slices.DeleteFunc(s.Pending, func(p Pending) bool { return p.Bucket < s.Buckets[0].Start })

	median := s.baseline(b, cfg, size)
	threshold := max(cfg.MinCount, mulDivSat(cfg.FactorPercent, median, 100))
	spike := cur.Count > threshold
	var total, noClick int64
	for _, x := range s.Buckets {
		if x.Start >= last-span { // the ratio covers the latest span
			total += x.Count
			noClick += x.NoClick
		}
	}
	var unsettled int64
	for _, p := range s.Pending { // not final yet: left out of both sides
		if p.Bucket >= last-span {
			unsettled++
		}
	}
	total -= unsettled
	noClick -= unsettled
	ratioBP := int64(0)
	if total > 0 {
		ratioBP = noClick * 10000 / total
	}
	unclicked := r.RequiresClick && total >= cfg.MinSample && ratioBP >= cfg.NoClickRatioBP
	if !spike && !unclicked {
		return LeakResult{Active: s.active(at, cfg)}
	}
	wasActive := s.active(at, cfg)
	if at > s.LastTrigger {
		s.LastTrigger = at
	}
	if wasActive {
		return LeakResult{Active: true}
	}
	s.EpisodeStart = b
	s.LastTrigger = at
	trigger := "spike"
	switch {
	case spike && unclicked:
		trigger = "spike,no_click_ratio"
	case unclicked:
		trigger = "no_click_ratio"
	}
	ev := map[string]string{
		"trigger":           trigger,
		"bucket_start":      time.UnixMilli(b).UTC().Format(time.RFC3339),
		"bucket":            cfg.Bucket.String(),
		"bucket_count":      itoa(cur.Count),
		"baseline_median":   itoa(median),
		"baseline_buckets":  itoa(int64(cfg.Buckets)),
		"threshold":         itoa(threshold),
		"sample":            itoa(total),
		"no_click":          itoa(noClick),
		"no_click_ratio_bp": itoa(ratioBP),
		"unsettled":         itoa(unsettled),
		"order_id":          r.Order.OrderID,
	}
	f := schemas.Flag{
		EventID:     LeakFlagID(r.Code, b),
		Type:        TypeCodeLeak,
		Severity:    cfg.Severity,
		Code:        ptr(r.Code),
		AffiliateID: ptr(r.AffiliateID),
		Evidence:    ev,
		OccurredAt:  r.Order.OccurredAt,
		DetectedAt:  now,
	}
	return LeakResult{Flag: &f, Active: true, Pause: cfg.AutoPause}
}

// Clicked corrects a redemption Observe counted without a click from the
// code's affiliate that has one after all (the click reached the stage
// after the order): its bucket's no-click count goes down by one, and the
// order's pending entry, if it is still pending, goes. A bucket no longer
// kept, or one whose no-click redemptions are all pending for other
// orders (the corrected one was never counted: too old for the kept
// buckets), is left alone. It judges nothing: a flag already raised
// stands.
func (s *CodeStats) Clicked(r Redemption, cfg LeakConfig) {
	size := cfg.Bucket.Milliseconds()
	b := floorDiv(r.Order.OccurredAt.UnixMilli(), size) * size
	i, found := slices.BinarySearchFunc(s.Buckets, b, func(x Bucket, t int64) int { return cmp64(x.Start, t) })
	if !found || s.Buckets[i].NoClick == 0 {
		return
	}
	id := PendingOrder(r.Order)
	if j := slices.IndexFunc(s.Pending, func(p Pending) bool { return p.Bucket == b && p.Order == id }); j >= 0 {
		s.Pending = slices.Delete(s.Pending, j, j+1)
		if len(s.Pending) == 0 {
			s.Pending = nil
		}
		s.Buckets[i].NoClick--
		return
	}
	// Settled already, or never counted: only a no-click redemption that
	// is not pending can be the one corrected.
	var pending int64
	for _, p := range s.Pending {
		if p.Bucket == b {
			pending++
		}
	}
	if s.Buckets[i].NoClick > pending {
		s.Buckets[i].NoClick--
	}
}

// settle drops the pending redemptions counted more than Settle before
// now: their no-click status is final. (Stage 1 still revises an order
// with a click seen exactly Grace after its decision.)
func (s *CodeStats) settle(now time.Time, cfg LeakConfig) {
	until := now.Add(-cfg.Settle).UnixMilli()
	s.Pending = slices.DeleteFunc(s.Pending, func(p Pending) bool { return p.Seen < until })
	if len(s.Pending) == 0 {
		s.Pending = nil
	}
}

// LeakFlagID is the deterministic id of the code_leak flag of the episode
// that started in the bucket beginning at bucketStart (unix ms).
func LeakFlagID(code string, bucketStart int64) string {
	return schemas.ID(code, "flag", TypeCodeLeak, itoa(bucketStart))
}

func (s *CodeStats) active(at int64, cfg LeakConfig) bool {
	return s.EpisodeStart != 0 && at >= s.EpisodeStart && at-s.LastTrigger <= cfg.Cooldown.Milliseconds()
}

// baseline is the median count of the cfg.Buckets buckets before b.
func (s *CodeStats) baseline(b int64, cfg LeakConfig, size int64) int64 {
	vals := make([]int64, cfg.Buckets)
	from := b - int64(cfg.Buckets)*size
	for _, x := range s.Buckets {
		if x.Start >= from && x.Start < b {
			vals[(x.Start-from)/size] = x.Count
		}
	}
	slices.Sort(vals)
	n := len(vals)
	if n%2 == 1 {
		return vals[n/2]
	}
	return (vals[n/2-1] + vals[n/2]) / 2
}

// Code stats are stored in a binary format: formatBinary, the bucket
// count, each bucket's start (the first as a varint, then the gap to the
// previous one as a uvarint, which keeps them strictly ascending), count
// and no-click count as uvarints, then EpisodeStart and LastTrigger as
// varints. formatPending adds the pending redemptions: their count as a
// uvarint, then each one's bucket start and record time as varints, each
// the difference to the previous one (the first to 0), and its order hash
// (PendingOrder) as 8 bytes little-endian. Stats without
// pending redemptions are written as formatBinary, which versions before
// Settle read. Earlier versions wrote JSON, which starts with '{';
// UnmarshalCodeStats still reads it.
const (
	formatJSON    = '{'
	formatBinary  = 0x02
	formatPending = 0x03
)

// Marshal encodes the stats for storage.
func (s *CodeStats) Marshal() ([]byte, error) {
	b := make([]byte, 0, 8+len(s.Buckets)*8+len(s.Pending)*6)
	if len(s.Pending) == 0 {
		b = append(b, formatBinary)
	} else {
		b = append(b, formatPending)
	}
	b = binary.AppendUvarint(b, uint64(len(s.Buckets)))
	for i, x := range s.Buckets {
		if x.Count < 0 || x.NoClick < 0 || x.NoClick > x.Count {
			return nil, fmt.Errorf("fraud: encoding code stats: bucket %d counts %d/%d", i, x.NoClick, x.Count)
		}
		if i == 0 {
			b = binary.AppendVarint(b, x.Start)
		} else {
			if x.Start <= s.Buckets[i-1].Start {
				return nil, fmt.Errorf("fraud: encoding code stats: buckets out of order")
			}
			// The gap of two int64s fits in a uint64 (wrapping arithmetic).
			b = binary.AppendUvarint(b, uint64(x.Start)-uint64(s.Buckets[i-1].Start))
		}
		b = binary.AppendUvarint(b, uint64(x.Count))
		b = binary.AppendUvarint(b, uint64(x.NoClick))
	}
	b = binary.AppendVarint(b, s.EpisodeStart)
	b = binary.AppendVarint(b, s.LastTrigger)
	if len(s.Pending) > 0 {
		if err := s.checkPending(); err != nil {
			return nil, fmt.Errorf("fraud: encoding code stats: %v", err)
		}
		b = binary.AppendUvarint(b, uint64(len(s.Pending)))
		var pb, ps int64
		for _, p := range s.Pending {
			// Differences of two int64s wrap in uint64 and back.
			b = binary.AppendVarint(b, int64(uint64(p.Bucket)-uint64(pb)))
			b = binary.AppendVarint(b, int64(uint64(p.Seen)-uint64(ps)))
			b = binary.LittleEndian.AppendUint64(b, p.Order)
			pb, ps = p.Bucket, p.Seen
		}
	}
	return b, nil
}

// checkPending: at most maxPending, and no bucket has more pending
// redemptions than no-click ones (so none of a bucket not kept).
func (s *CodeStats) checkPending() error {
	if len(s.Pending) > maxPending {
		return fmt.Errorf("%d pending redemptions", len(s.Pending))
	}
	var counts []int64
	for i, p := range s.Pending {
		j, found := slices.BinarySearchFunc(s.Buckets, p.Bucket, func(x Bucket, t int64) int { return cmp64(x.Start, t) })
		if !found {
			return fmt.Errorf("pending redemption %d: no bucket at %d", i, p.Bucket)
		}
		if counts == nil {
			counts = make([]int64, len(s.Buckets))
		}
		if counts[j]++; counts[j] > s.Buckets[j].NoClick {
			return fmt.Errorf("bucket %d: more pending than %d no-click", j, s.Buckets[j].NoClick)
		}
	}
	return nil
}

// ErrCorrupt is wrapped by Unmarshal errors.
var ErrCorrupt = errors.New("fraud: corrupt state")

// maxStoredBuckets bounds a decoded CodeStats, maxCount a bucket's count.
const (
	maxStoredBuckets = 2*maxBuckets + 1
	maxCount         = 1 << 62
)

// UnmarshalCodeStats decodes what Marshal wrote (or the JSON of earlier
// versions) and checks its invariants: buckets strictly ascending, counts
// non-negative, NoClick <= Count.
func UnmarshalCodeStats(data []byte) (CodeStats, error) {
	var s CodeStats
	switch {
	case len(data) > 0 && data[0] == formatJSON:
		if err := json.Unmarshal(data, &s); err != nil {
			return CodeStats{}, fmt.Errorf("%w: decoding code stats: %v", ErrCorrupt, err)
		}
	case len(data) > 0 && (data[0] == formatBinary || data[0] == formatPending):
		var err error
		if s, err = decodeCodeStats(data[1:], data[0] == formatPending); err != nil {
			return CodeStats{}, fmt.Errorf("%w: decoding code stats: %v", ErrCorrupt, err)
		}
	default:
		return CodeStats{}, fmt.Errorf("%w: decoding code stats: unknown format", ErrCorrupt)
	}
	if len(s.Buckets) > maxStoredBuckets {
		return CodeStats{}, fmt.Errorf("%w: %d buckets", ErrCorrupt, len(s.Buckets))
	}
	for i, b := range s.Buckets {
		if b.Count < 0 || b.Count > maxCount || b.NoClick < 0 || b.NoClick > b.Count {
			return CodeStats{}, fmt.Errorf("%w: bucket %d counts %d/%d", ErrCorrupt, i, b.NoClick, b.Count)
		}
		if i > 0 && b.Start <= s.Buckets[i-1].Start {
			return CodeStats{}, fmt.Errorf("%w: buckets out of order", ErrCorrupt)
		}
	}
	if err := s.checkPending(); err != nil {
		return CodeStats{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if len(s.Buckets) == 0 {
		s.Buckets = nil
	}
	if len(s.Pending) == 0 {
		s.Pending = nil
	}
	return s, nil
}

func decodeCodeStats(b []byte, pending bool) (CodeStats, error) {
	var s CodeStats
	uv := func() (uint64, error) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, errors.New("truncated or overlong uvarint")
		}
		b = b[n:]
		return v, nil
	}
	sv := func() (int64, error) {
		v, n := binary.Varint(b)
		if n <= 0 {
			return 0, errors.New("truncated or overlong varint")
		}
		b = b[n:]
		return v, nil
	}
	n, err := uv()
	if err != nil {
		return s, err
	}
	if n > maxStoredBuckets {
		return s, fmt.Errorf("%d buckets", n)
	}
	if n > 0 {
		s.Buckets = make([]Bucket, n)
	}
	for i := range s.Buckets {
		x := &s.Buckets[i]
		if i == 0 {
			if x.Start, err = sv(); err != nil {
				return s, err
			}
		} else {
			gap, err := uv()
			if err != nil {
				return s, err
			}
			prev := s.Buckets[i-1].Start
			// MaxInt64-prev, computed in uint64 so that it cannot overflow.
			if headroom := uint64(math.MaxInt64) - uint64(prev); gap == 0 || gap > headroom {
				return s, fmt.Errorf("bucket %d: gap %d out of range", i, gap)
			}
			x.Start = int64(uint64(prev) + gap)
		}
		c, err := uv()
		if err != nil {
			return s, err
		}
		nc, err := uv()
		if err != nil {
			return s, err
		}
		if c > maxCount || nc > c {
			return s, fmt.Errorf("bucket %d counts %d/%d", i, nc, c)
		}
		x.Count, x.NoClick = int64(c), int64(nc)
	}
	if s.EpisodeStart, err = sv(); err != nil {
		return s, err
	}
	if s.LastTrigger, err = sv(); err != nil {
		return s, err
	}
	if pending {
		n, err := uv()
		if err != nil {
			return s, err
		}
		if n == 0 || n > maxPending {
			return s, fmt.Errorf("%d pending redemptions", n)
		}
		s.Pending = make([]Pending, n)
		var pb, ps int64
		for i := range s.Pending {
			db, err := sv()
			if err != nil {
				return s, err
			}
			ds, err := sv()
			if err != nil {
				return s, err
			}
			if len(b) < 8 {
				return s, errors.New("truncated pending order")
			}
			pb, ps = int64(uint64(pb)+uint64(db)), int64(uint64(ps)+uint64(ds))
			s.Pending[i] = Pending{Bucket: pb, Seen: ps, Order: binary.LittleEndian.Uint64(b)}
			b = b[8:]
		}
	}
	if len(b) != 0 {
		return s, fmt.Errorf("%d trailing bytes", len(b))
	}
	return s, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// mulDivSat is a*b/c saturating at MaxInt64 (inputs non-negative).
func mulDivSat(a, b, c int64) int64 {
	if a != 0 && b > (1<<62)/a {
		return 1 << 62
	}
	return a * b / c
}
