package goka

import (
	"fmt"
	"time"

	"github.com/lovoo/goka"

	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/schemas"
)

// adjust is the order-keyed processor, the processor's stage 3: an
// order's attribution versions and refunds over its
// attribution.OrderLedger, emitting adjustments.
func (j *job) adjust(ctx goka.Context, msg any) {
	raw, _ := msg.([]byte)
	at := now(ctx)
	if err := j.adjustOne(ctx, raw, at); err != nil {
		j.deadLetter(ctx, "adjust", raw, at, err)
	}
}

func (j *job) adjustOne(ctx goka.Context, raw []byte, at time.Time) error {
	if ctx.Key() == "" {
		return fmt.Errorf("%s record without an order key", ctx.Topic())
	}
	v, err := j.serde.DecodeAny(raw)
	if err != nil {
		return fmt.Errorf("decoding %s record: %w", ctx.Topic(), err)
	}
	var l attribution.OrderLedger
	if p, _ := ctx.Value().(*attribution.OrderLedger); p != nil {
		l = *p
	}
	topic := string(ctx.Topic())
	var adjs []schemas.Adjustment
	switch x := v.(type) {
	case *schemas.Attribution:
		if topic != j.cfg.Outputs.Attributions {
			return fmt.Errorf("unexpected %T on %s", v, topic)
		}
		adjs, l = attribution.Revise(l, *x, at)
	case *schemas.Refund:
		if topic != j.cfg.Inputs.Refunds {
			return fmt.Errorf("unexpected %T on %s", v, topic)
		}
		adjs, l = attribution.Reverse(l, *x, at)
	default:
		return fmt.Errorf("unexpected %T on %s", v, topic)
	}
	enc := make([][]byte, len(adjs))
	for i := range adjs {
		if enc[i], err = j.serde.Encode(&adjs[i]); err != nil {
			return fmt.Errorf("encoding adjustment: %w", err)
		}
	}
	ctx.SetValue(&l)
	for _, b := range enc {
		ctx.Emit(goka.Stream(j.cfg.Outputs.Adjustments), ctx.Key(), b, tsOption(at))
	}
	return nil
}
