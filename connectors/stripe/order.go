package stripe

import (
	"context"
	"fmt"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
	"github.com/heldsway/heldsway/schemas/promocode"
)

func (p *Platform) checkoutSession(ctx context.Context, d webhook.Delivery, ev event) (webhook.Result, error) {
	var s checkoutSession
	if err := decodeObject(ev, "checkout.session", &s); err != nil {
		return webhook.Result{}, err
	}
	if s.ID == "" || (s.Object != "" && s.Object != "checkout.session") {
		return webhook.Result{}, webhook.PayloadError(Name, "%s data.object is not a checkout session", clip(ev.Type))
	}
	switch s.Mode {
	case "payment":
	case "subscription":
		return webhook.Result{Ignored: "subscription checkout: the order is its first invoice.paid"}, nil
	default:
		return webhook.Result{Ignored: "checkout session in " + clip(s.Mode) + " mode takes no payment"}, nil
	}
	if s.PaymentStatus != "paid" && s.PaymentStatus != "no_payment_required" {
		return webhook.Result{Ignored: "checkout session payment_status " + clip(s.PaymentStatus) + ": waiting for payment"}, nil
	}
	if s.AmountTotal == nil || s.AmountSubtotal == nil || s.Currency == nil {
		return webhook.Result{}, webhook.PayloadError(Name, "checkout session %s has no amount_total, amount_subtotal or currency", clip(s.ID))
	}
	at, err := eventTime(ev, s.Created, d.Now)
	if err != nil {
		return webhook.Result{}, err
	}
	orderID := s.PaymentIntent.ID
	if orderID == "" {
		orderID = s.ID
	}
	in := orderInput{
		ev:         ev,
		orderID:    orderID,
		currency:   *s.Currency,
		subtotal:   *s.AmountSubtotal,
		total:      *s.AmountTotal,
		customerID: s.Customer.ID,
		occurredAt: at,
	}
	if s.CustomerDetails != nil {
		in.email = strOr(s.CustomerDetails.Email, s.CustomerEmail)
	} else {
		in.email = strOr(s.CustomerEmail)
	}
	in.visitor, in.click = ids(strOr(s.ClientReferenceID), s.Metadata)
	var breakdown []amountFor
	if td := s.TotalDetails; td != nil {
		in.discount = orDefault(td.AmountDiscount)
		in.shipping = orDefault(td.AmountShipping)
		in.tax = orDefault(td.AmountTax)
		if td.Breakdown != nil {
			for _, b := range td.Breakdown.Discounts {
				breakdown = append(breakdown, amountFor{promoID: b.Discount.PromotionCode.ID, amount: b.Amount})
			}
		}
	}
	var promos []promoRef
	for _, dsc := range s.Discounts {
		if dsc.PromotionCode.ID != "" {
			promos = append(promos, dsc.PromotionCode)
		}
	}
	in.codes, err = p.appliedCodes(ctx, d.Store.ID, promos, breakdown, in.discount)
	if err != nil {
		return webhook.Result{}, err
	}
	return p.order(d, in)
}

func (p *Platform) invoice(ctx context.Context, d webhook.Delivery, ev event) (webhook.Result, error) {
	var inv invoice
	if err := decodeObject(ev, "invoice", &inv); err != nil {
		return webhook.Result{}, err
	}
	if inv.ID == "" || (inv.Object != "" && inv.Object != "invoice") {
		return webhook.Result{}, webhook.PayloadError(Name, "%s data.object is not an invoice", clip(ev.Type))
	}
	subID := inv.Subscription.ID
	var subMeta map[string]string
	if inv.Parent != nil && inv.Parent.SubscriptionDetails != nil {
		if subID == "" {
			subID = inv.Parent.SubscriptionDetails.Subscription.ID
		}
		subMeta = inv.Parent.SubscriptionDetails.Metadata
	}
	if subMeta == nil && inv.SubscriptionDetails != nil {
		subMeta = inv.SubscriptionDetails.Metadata
	}
	if subID == "" {
		return webhook.Result{Ignored: "invoice without a subscription: one-off orders come from checkout.session.completed"}, nil
	}
	if inv.Status != "" && inv.Status != "paid" {
		return webhook.Result{Ignored: "invoice status " + clip(inv.Status) + " is not paid"}, nil
	}
	if inv.Total == nil || inv.Subtotal == nil {
		return webhook.Result{}, webhook.PayloadError(Name, "invoice %s has no total or subtotal", clip(inv.ID))
	}
	at, err := eventTime(ev, inv.Created, d.Now)
	if err != nil {
		return webhook.Result{}, err
	}
	in := orderInput{
		ev:         ev,
		orderID:    inv.ID,
		currency:   inv.Currency,
		subtotal:   *inv.Subtotal,
		shipping:   inv.AmountShipping,
		total:      *inv.Total,
		email:      strOr(inv.CustomerEmail),
		customerID: inv.Customer.ID,
		occurredAt: at,
	}
	switch {
	case inv.TotalExcludingTax != nil:
		in.tax = *inv.Total - *inv.TotalExcludingTax
	case inv.Tax != nil:
		in.tax = *inv.Tax
	}
	in.visitor, in.click = ids("", inv.Metadata, subMeta)
	// Only the invoice Stripe made for a new subscription says it is the
	// first payment (a first payment always earns, so nothing else may
	// claim it); every other billing reason leaves the cycle and start
	// unknown, for stage 1 to judge from the start it remembered.
	sub := &schemas.Subscription{ID: subID}
	if inv.BillingReason == "subscription_create" {
		sub.Cycle = 1
		if t, err := checkTime("created", inv.Created, d.Now); err == nil {
			sub.StartedAt = &t
		}
	}
	in.subscription = sub

	// Each discount's amount, and its promotion code when the payload has
	// it expanded.
	var order []string
	byID := map[string]*discountRef{}
	amounts := map[string]int64{}
	add := func(dr discountRef) {
		if dr.ID == "" {
			return
		}
		if prev, ok := byID[dr.ID]; ok {
			if dr.Expanded && !prev.Expanded {
				*prev = dr
			}
			return
		}
		byID[dr.ID] = &dr
		order = append(order, dr.ID)
	}
	for _, dr := range inv.Discounts {
		add(dr)
	}
	for _, t := range inv.TotalDiscounts {
		if t.Amount < 0 || t.Amount > money.Max || in.discount+t.Amount > money.Max {
			return webhook.Result{}, webhook.PayloadError(Name, "invoice %s discount amounts out of range", clip(inv.ID))
		}
		add(t.Discount)
		amounts[t.Discount.ID] += t.Amount
		in.discount += t.Amount
	}
	var expanded map[string]string
	var promos []promoRef
	var breakdown []amountFor
	for _, id := range order {
		dr := byID[id]
		pr := dr.PromotionCode
		if !dr.Expanded {
			if p.cfg.Invoices == nil {
				continue
			}
			if expanded == nil {
				expanded, err = p.cfg.Invoices.InvoiceDiscounts(ctx, d.Store.ID, inv.ID)
				if err != nil {
					return webhook.Result{}, temporary("expanding invoice discounts", err)
				}
			}
			pr = promoRef{ID: expanded[id]}
		}
		if pr.ID == "" {
			continue
		}
		promos = append(promos, pr)
		breakdown = append(breakdown, amountFor{promoID: pr.ID, amount: amounts[id]})
	}
	in.codes, err = p.appliedCodes(ctx, d.Store.ID, promos, breakdown, in.discount)
	if err != nil {
		return webhook.Result{}, err
	}
	return p.order(d, in)
}

// temporary makes a lookup failure an ErrTemporary (a not-found from a
// source that must know the object is temporary too: the object exists).
func temporary(doing string, err error) error {
	if IsTemporary(err) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrTemporary, doing, err)
}

type amountFor struct {
	promoID string
	amount  int64
}

// appliedCodes resolves promotion codes to AppliedCodes. A code's amount is
// the sum of its breakdown entries; with one code and no breakdown it is
// the whole discount.
func (p *Platform) appliedCodes(ctx context.Context, storeID string, promos []promoRef, breakdown []amountFor, totalDiscount int64) ([]schemas.AppliedCode, error) {
	var out []schemas.AppliedCode
	seen := map[string]bool{}
	for _, pr := range promos {
		if seen[pr.ID] {
			continue
		}
		seen[pr.ID] = true
		code := pr.Code
		if code == "" {
			c, err := p.cfg.Promotions.Code(ctx, storeID, pr.ID)
			switch {
			case err == nil:
				code = c
			case IsTemporary(err) || !isNotFound(err):
				return nil, temporary("resolving promotion code "+clip(pr.ID), err)
			}
		}
		norm, err := promocode.Normalize(code)
		if err != nil {
			// Unknown to every source, or not a code HeldSway could have
			// issued: keep the id so RemoteID can still be matched.
			norm, err = promocode.Normalize(pr.ID)
			if err != nil {
				return nil, webhook.PayloadError(Name, "promotion code id %q: %v", clip(pr.ID), err)
			}
		}
		var amt int64
		found := false
		for _, b := range breakdown {
			if b.promoID == pr.ID {
				amt += b.amount
				found = true
			}
		}
		if !found && len(breakdown) == 0 && countDistinct(promos) == 1 {
			amt = totalDiscount
		}
		out = append(out, schemas.AppliedCode{Code: norm, Amount: amt, RemoteID: ptr(pr.ID)})
	}
	return out, nil
}

func countDistinct(promos []promoRef) int {
	m := map[string]bool{}
	for _, p := range promos {
		m[p.ID] = true
	}
	return len(m)
}
