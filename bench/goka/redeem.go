package goka

import (
	"fmt"
	"slices"
	"time"

	"github.com/lovoo/goka"

	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/pipeline/fraud"
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
	if attribution.IsRedeemed(raw) {
		return j.observe(ctx, raw, at)
	}
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
	if r, ok := c.Redemption(); ok && c.Version > 1 && c.ClickArrived {
		// A late click from the code's owner revised an order the leak
		// detector counted without one, as in the processor's stage 2.
		st.stats.Clicked(r, j.cfg.Program.Defaults.Leak)
	} else if ok && c.Version == 1 {
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

// observe is the code-keyed step for a redemption the customer-keyed
// processor decided and published (a code without a usage limit): the
// code's use is counted and the leak detector sees it; when it flags the
// redemption or the code is inside a leak episode, a hold goes back to
// the customer-keyed processor, which publishes the order's next version
// held. A correction (a late click from the code's owner revised an order
// counted without one) lowers the no-click count of the order's bucket
// (fraud.CodeStats.Clicked) and counts no use, as the processor's stage 2.
func (j *job) observe(ctx goka.Context, raw []byte, at time.Time) error {
	r, err := attribution.UnmarshalRedeemed(raw)
	if err != nil {
		return err
	}
	st, _ := ctx.Value().(*codeValue)
	if st == nil {
		st = &codeValue{}
	}
	if r.Correction {
		st.stats.Clicked(r.Redemption(), j.cfg.Program.Defaults.Leak)
		ctx.SetValue(st)
		return nil
	}
	st.counter.Uses++
	st.counter.Resolved++
	res := st.stats.Observe(r.Redemption(), j.cfg.Program.Defaults.Leak, at)
	level := byte(attribution.HoldNone)
	switch {
	case res.Flag != nil:
		if err := j.emit(ctx, j.cfg.Outputs.Flags, "code/"+r.Code, res.Flag, at); err != nil {
			return err
		}
		level = attribution.HoldReview
		if res.Flag.Severity == fraud.SeverityReject {
			level = attribution.HoldReject
		}
	case res.Active:
		level = attribution.HoldReview
	}
	ctx.SetValue(st)
	if level != attribution.HoldNone {
		h := attribution.Hold{OrderKey: attribution.OrderKey(r.Platform, r.StoreID, r.Order), Level: level}
		ctx.Emit(goka.Stream(j.holds), r.CustomerKey, h.Marshal(), tsOption(at))
	}
	return nil
}

// resolve applies attribution.ResolveUse with the code's count and the
// order's earlier record (the latest attribution.MaxUsageOrders orders of
// a code with a usage limit, as the processor's ring keeps them).
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
