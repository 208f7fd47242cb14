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
	v, err := j.serde.DecodeAny(raw)
	if err != nil {
		return fmt.Errorf("decoding %s record: %w", ctx.Topic(), err)
	}
	st, _ := ctx.Value().(*customerValue)
	if st == nil {
		st = &customerValue{snaps: map[uint64][]byte{}}
	}
	st.cust.UseSnapshots(func(h uint64) ([]byte, bool, error) {
		b, ok := st.snaps[h]
		return b, ok, nil
	})
	topic := string(ctx.Topic())
	var cands []attribution.Candidate
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
		if c, ok := j.attr.Order(&st.cust, *x, j.lookup(ctx), at); ok {
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
	var redeem [][]byte
	for i := range cands {
		if cands[i].Code == "" {
			continue
		}
		b, err := cands[i].Marshal()
		if err != nil {
			return fmt.Errorf("encoding candidate: %w", err)
		}
		redeem = append(redeem, b)
	}
	ctx.SetValue(st)
	k := 0
	for i := range cands {
		c := &cands[i]
		if c.Code == "" {
			// No valid code: nothing global to check, so the decision is
			// final here.
			if err := j.publish(ctx, c.Fallback, at); err != nil {
				return err
			}
			continue
		}
		ctx.Emit(goka.Stream(j.redemptions), "code/"+c.Code, redeem[k], tsOption(at))
		k++
	}
	return nil
}
