package stripe

import (
	"context"
	"errors"
	"time"

	"github.com/heldsway/heldsway/connectors/checkout"
	"github.com/heldsway/heldsway/connectors/eventtime"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/schemas"
)

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

func (p *Platform) chargeRefunded(ctx context.Context, d webhook.Delivery, ev event) (webhook.Result, error) {
	var ch charge
	if err := decodeObject(ev, "charge", &ch); err != nil {
		return webhook.Result{}, err
	}
	if ch.ID == "" || (ch.Object != "" && ch.Object != "charge") {
		return webhook.Result{}, webhook.PayloadError(Name, "charge.refunded data.object is not a charge")
	}
	if ch.Refunds == nil || len(ch.Refunds.Data) == 0 {
		return webhook.Result{Ignored: "charge.refunded without a refunds list (API version 2022-11-15 or later): refunds come from refund.created/refund.updated"}, nil
	}
	orderID, err := p.refundOrderID(ctx, d.Store.ID, ch.Invoice.ID, ch.PaymentIntent.ID, ch.ID)
	if err != nil {
		return webhook.Result{}, err
	}
	captured := ch.AmountCaptured
	if captured <= 0 {
		captured = ch.Amount
	}
	var res webhook.Result
	var tooOld error
	for _, r := range ch.Refunds.Data {
		if r.Status != "succeeded" {
			continue
		}
		if r.Currency == "" {
			r.Currency = ch.Currency
		}
		e, err := p.refund(d, ev, r, orderID, captured > 0 && r.Amount >= captured)
		var re *eventtime.RangeError
		if errors.As(err, &re) && !re.Ahead {
			// The list repeats every refund of the charge: one from
			// before the window was delivered with its own event then.
			if tooOld == nil {
				tooOld = err
			}
			continue
		}
		if err != nil {
			return webhook.Result{}, err
		}
		res.Events = append(res.Events, e)
	}
	if len(res.Events) == 0 && tooOld != nil {
		return webhook.Result{}, tooOld
	}
	if len(res.Events) == 0 {
		return webhook.Result{Ignored: "charge.refunded has no succeeded refund yet"}, nil
	}
	return res, nil
}

func (p *Platform) refundEvent(ctx context.Context, d webhook.Delivery, ev event) (webhook.Result, error) {
	var r refund
	if err := decodeObject(ev, "refund", &r); err != nil {
		return webhook.Result{}, err
	}
	if r.ID == "" || (r.Object != "" && r.Object != "refund") {
		return webhook.Result{}, webhook.PayloadError(Name, "%s data.object is not a refund", clip(ev.Type))
	}
	if r.Status != "succeeded" {
		return webhook.Result{Ignored: "refund status " + clip(r.Status) + ": published once succeeded"}, nil
	}
	orderID, err := p.refundOrderID(ctx, d.Store.ID, "", r.PaymentIntent.ID, r.Charge.ID)
	if err != nil {
		return webhook.Result{}, err
	}
	e, err := p.refund(d, ev, r, orderID, false)
	if err != nil {
		return webhook.Result{}, err
	}
	return webhook.Result{Events: []publish.Event{e}}, nil
}

// refundOrderID is the OrderID the refunded order was published with: the
// invoice (named by a legacy charge, or found through Payments), else the
// payment intent, else the charge.
func (p *Platform) refundOrderID(ctx context.Context, storeID, invoiceID, paymentIntent, chargeID string) (string, error) {
	if invoiceID != "" {
		return invoiceID, nil
	}
	if paymentIntent != "" {
		if p.cfg.Payments != nil {
			inv, err := p.cfg.Payments.InvoiceForPayment(ctx, storeID, paymentIntent)
			if err != nil {
				return "", temporary("finding the invoice of "+clip(paymentIntent), err)
			}
			if inv != "" {
				return inv, nil
			}
		}
		return paymentIntent, nil
	}
	if chargeID == "" {
		return "", webhook.PayloadError(Name, "refund names neither a charge nor a payment intent")
	}
	return chargeID, nil
}

func (p *Platform) refund(d webhook.Delivery, ev event, r refund, orderID string, full bool) (publish.Event, error) {
	// The refund's own time, not its charge's or order's; the event's
	// when the refund has none.
	var at time.Time
	var err error
	if r.Created > 0 && r.Created < 1<<40 {
		at, err = checkTime("refund created", r.Created, d.Now)
	} else {
		at, err = eventTime(ev, 0, d.Now)
	}
	if err != nil {
		return publish.Event{}, err
	}
	store := d.Store.ID
	rf, err := checkout.BuildRefund(checkout.Refund{
		Platform:   Name,
		Store:      store,
		OrderID:    orderID,
		RefundID:   r.ID,
		Currency:   r.Currency,
		Amount:     r.Amount,
		Total:      r.Amount,
		Full:       full,
		Reason:     strOr(r.Reason),
		OccurredAt: at,
		ReceivedAt: d.Now,
	})
	if err != nil {
		return publish.Event{}, webhook.PayloadError(Name, "%w", err)
	}
	return publish.Event{Topic: p.cfg.Topics.Refunds, Key: schemas.OrderRef(Name, store, orderID), Value: rf}, nil
}
