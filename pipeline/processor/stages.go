package processor

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/pipeline/fraud"
	"github.com/heldsway/heldsway/pipeline/stream"
	"github.com/heldsway/heldsway/schemas"
)

// State keys, per stage partition.
const (
	keyCustomer = "c/" // attribute: customer key -> attribution.Customer (hot value)
	keyDecided  = "r/" // attribute: order key hash (8 bytes) ‖ customer key -> attribution.Snapshot
	// redeem: a code's usage (attribution.CodeUsage) under
	// attribution.KeyUsageCounter ("u/"), KeyUsedOrder ("v/") and
	// KeyUsageRing ("q/").
	keyStats  = "s/" // redeem: code -> fraud.CodeStats
	keyLedger = "o/" // adjust: order ref -> attribution.OrderLedger
)

// decidedKey is the state key of a decided order's snapshot: the hash
// first, fixed width, so no customer key can make two keys equal.
func decidedKey(h uint64, customer []byte) []byte {
	b := make([]byte, 0, len(keyDecided)+8+len(customer))
	b = append(b, keyDecided...)
	b = binary.BigEndian.AppendUint64(b, h)
	return append(b, customer...)
}

// recordTime is the deterministic "now" of a record: its Kafka timestamp.
func recordTime(rec *kgo.Record) time.Time {
	return rec.Timestamp.UTC().Truncate(time.Millisecond)
}

// produce encodes v and produces it in the transaction, stamped with the
// input record's timestamp so replays are identical.
func (p *Processor) produce(tx *stream.Tx, in *kgo.Record, topic, key string, v any) error {
	b, err := p.cfg.Serde.Encode(v)
	if err != nil {
		return fmt.Errorf("encoding %s record: %w", topic, err)
	}
	tx.ProduceRecord(&kgo.Record{Topic: topic, Key: []byte(key), Value: b, Timestamp: in.Timestamp})
	return nil
}

// load reads a state entry and decodes it with dec; a missing entry is the
// zero value.
func load[T any](tx *stream.Tx, key string, dec func([]byte) (T, error)) (T, error) {
	var zero T
	b, ok, err := tx.Get([]byte(key))
	if err != nil {
		return zero, fmt.Errorf("%w: reading state %q: %w", stream.ErrAbort, key, err)
	}
	if !ok {
		return zero, nil
	}
	v, err := dec(b)
	if err != nil {
		// A corrupt entry dead-letters the record (with this reason) rather
		// than retrying forever and stalling the partition.
		return zero, fmt.Errorf("decoding state %q: %w", key, err)
	}
	return v, nil
}

func save(tx *stream.Tx, key string, m interface{ Marshal() ([]byte, error) }) error {
	b, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("encoding state %q: %w", key, err)
	}
	tx.Set([]byte(key), b)
	return nil
}

// withStats loads code's leak statistics, lets f change them, and saves
// them.
func withStats(tx *stream.Tx, code string, f func(*fraud.CodeStats)) error {
	key := keyStats + code
	stats, err := load(tx, key, fraud.UnmarshalCodeStats)
	if err != nil {
		return err
	}
	f(&stats)
	return save(tx, key, &stats)
}

// attribute is stage 1: clicks and orders of one customer.
func (p *Processor) attribute(_ context.Context, tx *stream.Tx, rec *kgo.Record) error {
	if len(rec.Key) == 0 {
		return fmt.Errorf("%s record without a customer key", rec.Topic)
	}
	var v any
	if rec.Topic == p.holds {
		h, err := attribution.UnmarshalHold(rec.Value)
		if err != nil {
			return fmt.Errorf("decoding leak hold: %w", err)
		}
		v = &h
	} else {
		var err error
		if v, err = p.cfg.Serde.DecodeAny(rec.Value); err != nil {
			return fmt.Errorf("decoding %s record: %w", rec.Topic, err)
		}
	}
	key := keyCustomer + string(rec.Key)
	st, err := load(tx, key, attribution.UnmarshalCustomer)
	if err != nil {
		return err
	}
	st.UseSnapshots(func(h uint64) ([]byte, bool, error) {
		b, ok, err := tx.Get(decidedKey(h, rec.Key))
		if err != nil {
			return nil, false, fmt.Errorf("%w: %w", stream.ErrAbort, err)
		}
		return b, ok, nil
	})
	now := recordTime(rec)
	var cands []attribution.Candidate
	switch x := v.(type) {
	case *schemas.Click:
		if rec.Topic != p.cfg.Topics.Clicks {
			return fmt.Errorf("unexpected %T on %s", v, rec.Topic)
		}
		if cands, err = p.attr.Click(&st, *x, p.lookup, now); err != nil {
			return fmt.Errorf("revising decided orders: %w", err)
		}
	case *schemas.Order:
		if rec.Topic != p.cfg.Topics.Orders {
			return fmt.Errorf("unexpected %T on %s", v, rec.Topic)
		}
		c, ok, err := p.attr.Order(&st, *x, p.lookup, now)
		if err != nil {
			return fmt.Errorf("deciding order: %w", err)
		}
		if ok {
			cands = append(cands, c)
		} else if err := p.attr.Unapplied(&st, *x, now); err != nil {
			return err // dead-lettered with the reason
		}
	case *attribution.Hold:
		c, ok, err := p.attr.Hold(&st, *x, p.lookup, now)
		if err != nil {
			return fmt.Errorf("applying leak hold: %w", err)
		}
		if ok {
			cands = append(cands, c)
		}
	default:
		return fmt.Errorf("unexpected %T on %s", v, rec.Topic)
	}
	st.FlushSnapshots(
		func(h uint64, b []byte) { tx.Set(decidedKey(h, rec.Key), b) },
		func(h uint64) { tx.Delete(decidedKey(h, rec.Key)) })
	if err := save(tx, key, &st); err != nil {
		return err
	}
	for i := range cands {
		c := &cands[i]
		if d, ok := c.Final(); ok {
			// No valid code, or a code without a usage limit: nothing
			// global decides the credit, so it is published here, without
			// a second hop. Stage 2's leak detector gets the redemption
			// (version 1) and sends a hold back when it flags it.
			if err := p.publish(tx, rec, d); err != nil {
				return err
			}
			if c.Code != "" && (c.Version == 1 || c.ClickArrived) {
				// Version 1 is counted; a revision a late click from the
				// code's owner caused corrects the no-click count.
				r := c.Redeemed(string(rec.Key))
				r.Correction = c.Version > 1
				tx.ProduceRecord(&kgo.Record{Topic: p.redemptions, Key: []byte("code/" + c.Code), Value: r.Marshal(), Timestamp: rec.Timestamp})
			}
			continue
		}
		b, err := c.Marshal()
		if err != nil {
			return fmt.Errorf("encoding candidate: %w", err)
		}
		tx.ProduceRecord(&kgo.Record{Topic: p.redemptions, Key: []byte("code/" + c.Code), Value: b, Timestamp: rec.Timestamp})
	}
	return nil
}

// publish produces a final decision: the attribution and its flags, keyed
// by order.
func (p *Processor) publish(tx *stream.Tx, in *kgo.Record, d attribution.Decision) error {
	a := d.Attribution
	key := schemas.OrderRef(a.Platform, a.StoreID, a.OrderID)
	if err := p.produce(tx, in, p.cfg.Topics.Attributions, key, &a); err != nil {
		return err
	}
	for i := range d.Flags {
		if err := p.produce(tx, in, p.cfg.Topics.Flags, key, &d.Flags[i]); err != nil {
			return err
		}
	}
	return nil
}

// redeem is stage 2: one code's redemptions, in order.
func (p *Processor) redeem(_ context.Context, tx *stream.Tx, rec *kgo.Record) error {
	if attribution.IsRedeemed(rec.Value) {
		return p.observe(tx, rec)
	}
	c, err := attribution.UnmarshalCandidate(rec.Value)
	if err != nil {
		return fmt.Errorf("decoding candidate: %w", err)
	}
	now := recordTime(rec)
	var d attribution.Decision
	if c.Code == "" {
		d, _ = attribution.Resolve(c, 0)
	} else {
		var ok bool
		if d, ok, err = usage(tx).Resolve(c); err != nil || !ok {
			return err // !ok: a duplicate of a version already published
		}
		if r, ok := c.Redemption(); ok && c.Version > 1 && c.ClickArrived {
			// A late click from the code's owner revised an order the
			// leak detector counted without one: correct its count.
			if err := withStats(tx, c.Code, func(s *fraud.CodeStats) { s.Clicked(r, p.cfg.Program.Defaults.Leak) }); err != nil {
				return err
			}
		} else if ok && c.Version == 1 {
			var res fraud.LeakResult
			if err := withStats(tx, c.Code, func(s *fraud.CodeStats) { res = s.Observe(r, p.cfg.Program.Defaults.Leak, now) }); err != nil {
				return err
			}
			if res.Flag != nil {
				if err := p.produce(tx, rec, p.cfg.Topics.Flags, "code/"+c.Code, res.Flag); err != nil {
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
	}
	return p.publish(tx, rec, d)
}

// observe is stage 2 for a redemption stage 1 decided and published (a
// code without a usage limit): the code's use is counted (so a limit set
// later starts from the uses so far) and the leak detector sees it; when
// it flags the redemption or the code is inside a leak episode, a hold
// goes back to stage 1, which publishes the order's next version held.
func (p *Processor) observe(tx *stream.Tx, rec *kgo.Record) error {
	r, err := attribution.UnmarshalRedeemed(rec.Value)
	if err != nil {
		return err
	}
	if r.Correction {
		return withStats(tx, r.Code, func(s *fraud.CodeStats) { s.Clicked(r.Redemption(), p.cfg.Program.Defaults.Leak) })
	}
	if err := usage(tx).Count(r.Code); err != nil {
		return err
	}

	var res fraud.LeakResult
	if err := withStats(tx, r.Code, func(s *fraud.CodeStats) {
		res = s.Observe(r.Redemption(), p.cfg.Program.Defaults.Leak, recordTime(rec))
	}); err != nil {
		return err
	}
	level := byte(attribution.HoldNone)
	switch {
	case res.Flag != nil:
		if err := p.produce(tx, rec, p.cfg.Topics.Flags, "code/"+r.Code, res.Flag); err != nil {
			return err
		}
		level = attribution.HoldReview
		if res.Flag.Severity == fraud.SeverityReject {
			level = attribution.HoldReject
		}
	case res.Active:
		level = attribution.HoldReview
	}
	if level != attribution.HoldNone {
		h := attribution.Hold{OrderKey: attribution.OrderKey(r.Platform, r.StoreID, r.Order), Level: level}
		tx.ProduceRecord(&kgo.Record{Topic: p.holds, Key: []byte(r.CustomerKey), Value: h.Marshal(), Timestamp: rec.Timestamp})
	}
	return nil
}

// usage is stage 2's usage store over the transaction.
func usage(tx *stream.Tx) attribution.CodeUsage {
	return attribution.CodeUsage{State: usageState{tx}}
}

// usageState is the transaction as attribution.CodeUsage reads it: a read
// that fails aborts the transaction (it is retried, not dead-lettered).
type usageState struct{ *stream.Tx }

func (s usageState) Get(key []byte) ([]byte, bool, error) {
	b, ok, err := s.Tx.Get(key)
	if err != nil {
		return nil, false, fmt.Errorf("%w: reading state %q: %w", stream.ErrAbort, key, err)
	}
	return b, ok, nil
}

// adjust is stage 3: one order's attributions and refunds.
func (p *Processor) adjust(_ context.Context, tx *stream.Tx, rec *kgo.Record) error {
	if len(rec.Key) == 0 {
		return fmt.Errorf("%s record without an order key", rec.Topic)
	}
	v, err := p.cfg.Serde.DecodeAny(rec.Value)
	if err != nil {
		return fmt.Errorf("decoding %s record: %w", rec.Topic, err)
	}
	// The ledger is keyed by the order's reference computed from the
	// record, not by the Kafka key a producer chose, so two orders never
	// share a ledger whatever their keys.
	var ref string
	switch x := v.(type) {
	case *schemas.Attribution:
		if rec.Topic != p.cfg.Topics.Attributions {
			return fmt.Errorf("unexpected %T on %s", v, rec.Topic)
		}
		ref = schemas.OrderRef(x.Platform, x.StoreID, x.OrderID)
	case *schemas.Refund:
		if rec.Topic != p.cfg.Topics.Refunds {
			return fmt.Errorf("unexpected %T on %s", v, rec.Topic)
		}
		ref = schemas.OrderRef(x.Platform, x.StoreID, x.OrderID)
	default:
		return fmt.Errorf("unexpected %T on %s", v, rec.Topic)
	}
	key := keyLedger + ref
	l, err := load(tx, key, attribution.UnmarshalOrderLedger)
	if err != nil {
		return err
	}
	now := recordTime(rec)
	var adjs []schemas.Adjustment
	var foreign []attribution.LedgerRefund
	var foreignErrs []error
	switch x := v.(type) {
	case *schemas.Attribution:
		first := l.Attribution == nil
		adjs, l = attribution.Revise(l, *x, now)
		if first && l.Attribution != nil {
			foreign, foreignErrs = l.ForeignRefunds()
		}
	case *schemas.Refund:
		if err := l.CheckRefund(*x); err != nil {
			return err // dead-lettered with the reason
		}
		adjs, l = attribution.Reverse(l, *x, now)
	}
	// Partial refunds held before the attribution, in another currency:
	// none is applied; each is dead-lettered with the reason.
	for i, r := range foreign {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encoding held refund: %w", err)
		}
		dl := &schemas.DeadLetter{
			EventID: schemas.ID(ref, "refund", r.RefundID, "currency"), Source: p.cfg.Topics.Refunds,
			Stage: "process:adjust", Key: []byte(ref), Value: b, Reason: foreignErrs[i].Error(), OccurredAt: now,
		}
		if err := p.produce(tx, rec, p.cfg.Topics.DeadLetter, p.cfg.Topics.Refunds, dl); err != nil {
			return err
		}
	}
	if err := save(tx, key, &l); err != nil {
		return err
	}
	for i := range adjs {
		if err := p.produce(tx, rec, p.cfg.Topics.Adjustments, ref, &adjs[i]); err != nil {
			return err
		}
	}
	return nil
}
