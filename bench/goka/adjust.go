package goka

import (
	"encoding/json"
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
	var (
		adjs        []schemas.Adjustment
		foreign     []attribution.LedgerRefund
		foreignErrs []error
		ref         string
	)
	switch x := v.(type) {
	case *schemas.Attribution:
		if topic != j.cfg.Outputs.Attributions {
			return fmt.Errorf("unexpected %T on %s", v, topic)
		}
		ref = schemas.OrderRef(x.Platform, x.StoreID, x.OrderID)
		first := l.Attribution == nil
		adjs, l = attribution.Revise(l, *x, at)
		if first && l.Attribution != nil {
			foreign, foreignErrs = l.ForeignRefunds()
		}
	case *schemas.Refund:
		if topic != j.cfg.Inputs.Refunds {
			return fmt.Errorf("unexpected %T on %s", v, topic)
		}
		ref = schemas.OrderRef(x.Platform, x.StoreID, x.OrderID)
		if err := l.CheckRefund(*x); err != nil {
			return err // dead-lettered with the reason
		}
		adjs, l = attribution.Reverse(l, *x, at)
	default:
		return fmt.Errorf("unexpected %T on %s", v, topic)
	}
	if ref != ctx.Key() {
		// Goka keeps one table value per Kafka key; the processor keys the
		// ledger by the reference computed from the record.
		return fmt.Errorf("%s record keyed %q for order %q", topic, ctx.Key(), ref)
	}
	// Partial refunds held before the attribution, in another currency:
	// none is applied; each is dead-lettered with the reason.
	var dls [][]byte
	for i, r := range foreign {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encoding held refund: %w", err)
		}
		dl := &schemas.DeadLetter{
			EventID: schemas.ID(ref, "refund", r.RefundID, "currency"), Source: j.cfg.Inputs.Refunds,
			Stage: "goka:adjust", Key: []byte(ref), Value: b, Reason: foreignErrs[i].Error(), OccurredAt: at,
		}
		if b, err = j.serde.Encode(dl); err != nil {
			return fmt.Errorf("encoding dead letter: %w", err)
		}
		dls = append(dls, b)
	}
	enc := make([][]byte, len(adjs))
	for i := range adjs {
		if enc[i], err = j.serde.Encode(&adjs[i]); err != nil {
			return fmt.Errorf("encoding adjustment: %w", err)
		}
	}
	ctx.SetValue(&l)
	for _, b := range dls {
		ctx.Emit(goka.Stream(j.cfg.Outputs.DeadLetter), j.cfg.Inputs.Refunds, b, tsOption(at))
	}
	for _, b := range enc {
		ctx.Emit(goka.Stream(j.cfg.Outputs.Adjustments), ctx.Key(), b, tsOption(at))
	}
	return nil
}
