package goka

import (
	"fmt"
	"time"

	"github.com/lovoo/goka"

	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/schemas"
)

// attribute is the customer-keyed processor, the processor's stage 1: a
// customer's clicks and orders decided by attribution.Attributor. An
// order without a valid code is published here; one with a code goes to
// the code-keyed processor as an attribution.Candidate.
func (j *job) attribute(ctx goka.Context, msg any) {
	raw, _ := msg.([]byte)
	at := now(ctx)
	if err := j.attributeOne(ctx, raw, at); err != nil {
		j.deadLetter(ctx, "attribute", raw, at, err)
	}
}

func (j *job) attributeOne(ctx goka.Context, raw []byte, at time.Time) error {
	if ctx.Key() == "" {
		return fmt.Errorf("%s record without a customer key", ctx.Topic())
	}
	topic := string(ctx.Topic())
	var v any
	if topic == j.holds {
		h, err := attribution.UnmarshalHold(raw)
		if err != nil {
			return fmt.Errorf("decoding leak hold: %w", err)
		}
		v = &h
	} else {
		var err error
		if v, err = j.serde.DecodeAny(raw); err != nil {
			return fmt.Errorf("decoding %s record: %w", topic, err)
		}
	}
	st, _ := ctx.Value().(*customerValue)
	if st == nil {
		st = &customerValue{snaps: map[uint64][]byte{}}
	}
	st.cust.UseSnapshots(func(h uint64) ([]byte, bool, error) {
		b, ok := st.snaps[h]
		return b, ok, nil
	})
	var (
		cands []attribution.Candidate
		err   error
	)
	switch x := v.(type) {
	case *schemas.Click:
		if topic != j.cfg.Inputs.Clicks {
			return fmt.Errorf("unexpected %T on %s", v, topic)
		}
		if cands, err = j.attr.Click(&st.cust, *x, j.lookup(ctx), at); err != nil {
			return fmt.Errorf("revising decided orders: %w", err)
		}
	case *schemas.Order:
		if topic != j.cfg.Inputs.Orders {
			return fmt.Errorf("unexpected %T on %s", v, topic)
		}
		c, ok, err := j.attr.Order(&st.cust, *x, j.lookup(ctx), at)
		if err != nil {
			return fmt.Errorf("deciding order: %w", err)
		}
		if ok {
			cands = append(cands, c)
		} else if err := j.attr.Unapplied(&st.cust, *x, at); err != nil {
			return err // dead-lettered with the reason
		}
	case *attribution.Hold:
		c, ok, err := j.attr.Hold(&st.cust, *x, j.lookup(ctx), at)
		if err != nil {
			return fmt.Errorf("applying leak hold: %w", err)
		}
		if ok {
			cands = append(cands, c)
		}
	default:
		return fmt.Errorf("unexpected %T on %s", v, topic)
	}
	st.cust.FlushSnapshots(
		func(h uint64, b []byte) { st.snaps[h] = b },
		func(h uint64) { delete(st.snaps, h) })
	// Everything that can fail is done before the state is set, so that a
	// dead-lettered record leaves no trace.
	redeem := make([][]byte, len(cands))
	for i := range cands {
		c := &cands[i]
		if _, ok := c.Final(); ok {
			if c.Code != "" && (c.Version == 1 || c.ClickArrived) {
				// Version 1 is counted; a revision a late click from the
				// code's owner caused corrects the no-click count, as the
				// processor's stage 1 does.
				r := c.Redeemed(ctx.Key())
				r.Correction = c.Version > 1
				redeem[i] = r.Marshal()
			}
			continue
		}
		if redeem[i], err = c.Marshal(); err != nil {
			return fmt.Errorf("encoding candidate: %w", err)
		}
	}
	ctx.SetValue(st)
	for i := range cands {
		c := &cands[i]
		if d, ok := c.Final(); ok {
			// No valid code, or a code without a usage limit: nothing
			// global decides the credit, so it is published here. The
			// code-keyed processor's leak detector gets the redemption
			// (version 1) and sends a hold back when it flags it, and a
			// correction when a late click revised it.
			if err := j.publish(ctx, d, at); err != nil {
				return err
			}
		}
		if redeem[i] != nil {
			ctx.Emit(goka.Stream(j.redemptions), "code/"+c.Code, redeem[i], tsOption(at))
		}
	}
	return nil
}
