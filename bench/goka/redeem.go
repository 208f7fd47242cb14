package goka

import (
	"fmt"
	"slices"
	"time"

	"github.com/lovoo/goka"

	"github.com/heldsway/heldsway/pipeline/attribution"
)

// redeem is the code-keyed processor, the processor's stage 2: usage
// limits (attribution.ResolveUse over the code's counter and orders) and
// the leak detector (fraud.CodeStats.Observe), then the decision is
// published.
func (j *job) redeem(ctx goka.Context, msg any) {
	raw, _ := msg.([]byte)
	at := now(ctx)
	if err := j.redeemOne(ctx, raw, at); err != nil {
		j.deadLetter(ctx, "redeem", raw, at, err)
	}
}

func (j *job) redeemOne(ctx goka.Context, raw []byte, at time.Time) error {
	c, err := attribution.UnmarshalCandidate(raw)
	if err != nil {
		return fmt.Errorf("decoding candidate: %w", err)
	}
	if c.Code == "" {
		d, _ := attribution.Resolve(c, 0)
		return j.publish(ctx, d, at)
	}
	st, _ := ctx.Value().(*codeValue)
	if st == nil {
		st = &codeValue{}
	}
	d, ok := st.resolve(c)
	if !ok {
		return nil // a duplicate of a version already published
	}
	if r, ok := c.Redemption(); ok && c.Version == 1 {
		res := st.stats.Observe(r, j.cfg.Program.Defaults.Leak, at)
		if res.Flag != nil {
			if err := j.emit(ctx, j.cfg.Outputs.Flags, "code/"+c.Code, res.Flag, at); err != nil {
				return err
			}
			d.AddFlag(*res.Flag)
			d.Flags = d.Flags[:len(d.Flags)-1] // published once per episode above
		} else if res.Active {
			d.Attribution.Reasons = append(d.Attribution.Reasons, attribution.ReasonFlagPrefix+"code_leak")
			if d.Attribution.Status == attribution.StatusApproved {
				d.Attribution.Status = attribution.StatusPendingReview
			}
		}
	}
	ctx.SetValue(st)
	return j.publish(ctx, d, at)
}

// resolve applies attribution.ResolveUse with the code's count and the
// order's earlier record. Only a code with a usage limit keeps its
// orders' records (the latest attribution.MaxUsageOrders): without a
// limit ResolveUse always picks the decision with the code, and a record
// only tells a redelivered candidate apart, which at-least-once Goka
// publishes again anyway. The processor keeps them for every code.
func (s *codeValue) resolve(c attribution.Candidate) (attribution.Decision, bool) {
	limited := c.MaxUses != nil
	h := attribution.KeyHash(c.OrderKey)
	i := -1
	var prev *attribution.UsedOrder
	if limited {
		if i = slices.IndexFunc(s.used, func(u usedOrder) bool { return u.key == h }); i >= 0 {
			prev = &attribution.UsedOrder{Key: c.OrderKey, Version: s.used[i].version, Consumed: s.used[i].consumed}
		}
	}
	d, rec, ok := attribution.ResolveUse(c, s.counter.Uses, prev)
	switch {
	case !ok:
		return attribution.Decision{}, false
	case prev != nil:
		s.used[i] = usedOrder{key: h, version: rec.Version, consumed: rec.Consumed}
	default:
		// A revision of an order of an unlimited code has no record here;
		// its use was counted with its first version.
		if rec.Consumed && (limited || c.Version == 1) {
			s.counter.Uses++
		}
		s.counter.Resolved++
		if limited {
			if len(s.used) >= attribution.MaxUsageOrders {
				s.used = slices.Delete(s.used, 0, len(s.used)-attribution.MaxUsageOrders+1)
			}
			s.used = append(s.used, usedOrder{key: h, version: rec.Version, consumed: rec.Consumed})
		}
	}
	return d, true
}
