package shopify

import (
	"encoding/json"
	"fmt"

	"github.com/heldsway/heldsway/connectors/checkout"
	"github.com/heldsway/heldsway/connectors/jsonfield"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

// refund is the part of Shopify's REST Refund resource HeldSway reads.
type refund struct {
	ID              jsonfield.ID          `json:"id"`
	OrderID         jsonfield.ID          `json:"order_id"`
	CreatedAt       string                `json:"created_at"`
	ProcessedAt     string                `json:"processed_at"`
	Note            jsonfield.LooseString `json:"note"`
	TotalDutiesSet  *priceSet             `json:"total_duties_set"`
	RefundLineItems []struct {
		Subtotal    jsonfield.Decimal `json:"subtotal"`
		SubtotalSet *priceSet         `json:"subtotal_set"`
		TotalTax    jsonfield.Decimal `json:"total_tax"`
		TotalTaxSet *priceSet         `json:"total_tax_set"`
	} `json:"refund_line_items"`
	RefundShippingLines []struct {
		SubtotalAmountSet *priceSet `json:"subtotal_amount_set"`
		TaxAmountSet      *priceSet `json:"tax_amount_set"`
	} `json:"refund_shipping_lines"`
	Transactions []struct {
		Kind     string            `json:"kind"`
		Status   string            `json:"status"`
		Amount   jsonfield.Decimal `json:"amount"`
		Currency string            `json:"currency"`
	} `json:"transactions"`
}

func (p *Platform) parseRefund(d webhook.Delivery) (webhook.Result, error) {
	var r refund
	if err := json.Unmarshal(d.Body, &r); err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "decoding refunds/create body: %v", err)
	}
	refundID, err := r.ID.Check("refund id", true)
	if err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "refunds/create: %v", err)
	}
	rf, err := p.mapRefund(&r, refundID, d)
	if err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "refund %s: %w", refundID, err)
	}
	key := schemas.OrderRef(Name, rf.StoreID, rf.OrderID)
	return webhook.Result{Events: []publish.Event{{Topic: p.cfg.Topics.Refunds, Key: key, Value: rf}}}, nil
}

func (p *Platform) mapRefund(r *refund, refundID string, d webhook.Delivery) (*schemas.Refund, error) {
	store := d.Store.ID
	orderID, err := r.OrderID.Check("order_id", true)
	if err != nil {
		return nil, err
	}
	cur, err := r.currency()
	if err != nil {
		return nil, err
	}
	// Amount: the refunded merchandise net of discount. A refund line
	// item's subtotal is the line's price after its discount allocations,
	// without tax.
	var amt, lineTax int64
	for i, li := range r.RefundLineItems {
		v, err := shopOr(li.SubtotalSet, li.Subtotal).NonNegative(fmt.Sprintf("refund_line_items[%d].subtotal", i), cur, true)
		if err != nil {
			return nil, err
		}
		t, err := shopOr(li.TotalTaxSet, li.TotalTax).NonNegative(fmt.Sprintf("refund_line_items[%d].total_tax", i), cur, false)
		if err != nil {
			return nil, err
		}
		if amt, err = checkout.Add(amt, v); err != nil {
			return nil, err
		}
		if lineTax, err = checkout.Add(lineTax, t); err != nil {
			return nil, err
		}
	}
	total, err := r.total(cur, amt, lineTax)
	if err != nil {
		return nil, err
	}
	occurred, err := occurredAt(r.CreatedAt, r.ProcessedAt, d.Now)
	if err != nil {
		return nil, err
	}
	return checkout.BuildRefund(checkout.Refund{
		Platform:   Name,
		Store:      store,
		OrderID:    orderID,
		RefundID:   refundID,
		Currency:   cur,
		Amount:     amt,
		Total:      total,
		Full:       false, // a refund alone does not say; see the package doc
		Reason:     string(r.Note),
		OccurredAt: occurred,
		ReceivedAt: d.Now,
	})
}

// currency is the shop currency of the refund's money sets, or the
// currency of its transactions when it has no set.
func (r *refund) currency() (string, error) {
	var code string
	for _, li := range r.RefundLineItems {
		if li.SubtotalSet != nil && code == "" {
			code = li.SubtotalSet.ShopMoney.CurrencyCode
		}
	}
	for _, s := range r.RefundShippingLines {
		if s.SubtotalAmountSet != nil && code == "" {
			code = s.SubtotalAmountSet.ShopMoney.CurrencyCode
		}
	}
	if code == "" && r.TotalDutiesSet != nil {
		code = r.TotalDutiesSet.ShopMoney.CurrencyCode
	}
	for _, t := range r.Transactions {
		if code == "" {
			code = t.Currency
		}
	}
	if code == "" {
		return "", fmt.Errorf("currency: no money set or transaction names one")
	}
	cur, _, err := checkout.Currency(code)
	return cur, err
}

// total is what was returned to the buyer: the sum of the successful
// refund transactions. When a transaction is in another currency than the
// shop's (a multi-currency order pays back in the presentment currency),
// it is the shop-money sum of the refunded lines, their tax and the
// refunded shipping instead, so that Total and Amount share a currency.
func (r *refund) total(cur string, lines, lineTax int64) (int64, error) {
	var sum int64
	foreign := false
	for i, t := range r.Transactions {
		if t.Kind != "refund" || t.Status != "success" {
			continue
		}
		if t.Currency != "" {
			c, _, err := money.Currency(t.Currency)
			if err != nil {
				return 0, fmt.Errorf("transactions[%d].currency: %w", i, err)
			}
			if c != cur {
				foreign = true
				continue
			}
		}
		v, err := t.Amount.NonNegative(fmt.Sprintf("transactions[%d].amount", i), cur, true)
		if err != nil {
			return 0, err
		}
		if sum, err = checkout.Add(sum, v); err != nil {
			return 0, err
		}
	}
	if !foreign {
		return sum, nil
	}
	sum, err := checkout.Add(lines, lineTax)
	if err != nil {
		return 0, err
	}
	for i, s := range r.RefundShippingLines {
		for _, part := range []*priceSet{s.SubtotalAmountSet, s.TaxAmountSet} {
			v, err := shopOr(part, "").NonNegative(fmt.Sprintf("refund_shipping_lines[%d]", i), cur, false)
			if err != nil {
				return 0, err
			}
			if sum, err = checkout.Add(sum, v); err != nil {
				return 0, err
			}
		}
	}
	return sum, nil
}

// shopOr is the shop-money amount of set, or fallback when set is absent.
func shopOr(set *priceSet, fallback jsonfield.Decimal) jsonfield.Decimal {
	if set != nil && set.ShopMoney.Amount != "" {
		return set.ShopMoney.Amount
	}
	return fallback
}
