package woocommerce

import (
	"fmt"
	"math/big"
	"sort"

	"github.com/heldsway/heldsway/connectors/checkout"
	"github.com/heldsway/heldsway/connectors/eventtime"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/schemas"
)

// mapRefunds maps the order's refunds[] to one Refund each. An entry
// carries only id, reason and total (negative, tax and shipping included),
// so Amount, the refunded merchandise net of discount, is estimated; see
// the package doc. Refunds are taken in id order and the estimate is
// capped by what is left of the order's net merchandise, so the amounts of
// an order's refunds never sum to more than it; an entry's values depend
// only on the entries before it, which later deliveries repeat unchanged.
func (p *Platform) mapRefunds(o *order, ord *schemas.Order, d webhook.Delivery) ([]*schemas.Refund, error) {
	if len(o.Refunds) == 0 {
		return nil, nil
	}
	cur := ord.Currency
	itemTax, err := o.CartTax.NonNegative("cart_tax", cur, false)
	if err != nil {
		return nil, err
	}
	net := max(ord.Subtotal-ord.Discount, 0)
	occurred := d.Now
	if o.DateModifiedGMT != "" {
		if occurred, err = gmtTime("date_modified_gmt", o.DateModifiedGMT); err != nil {
			return nil, err
		}
		if err := eventtime.Check("date_modified_gmt", occurred, d.Now); err != nil {
			return nil, err
		}
	}
	type entry struct {
		id, reason string
		total      int64
	}
	entries := make([]entry, 0, len(o.Refunds))
	seen := map[string]bool{}
	for i, r := range o.Refunds {
		id, err := r.ID.Check(fmt.Sprintf("refunds[%d].id", i), true)
		if err != nil {
			return nil, err
		}
		t, err := r.Total.Minor(fmt.Sprintf("refunds[%d].total", i), cur, true)
		if err != nil {
			return nil, err
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		entries = append(entries, entry{id: id, reason: string(r.Reason), total: max(t, -t)})
	}
	sort.Slice(entries, func(i, j int) bool { return idLess(entries[i].id, entries[j].id) })

	out := make([]*schemas.Refund, 0, len(entries))
	var refunded, credited int64 // totals and amounts of the refunds so far
	for _, e := range entries {
		if refunded, err = checkout.Add(refunded, e.total); err != nil {
			return nil, fmt.Errorf("refunds: %w", err)
		}
		left := net - credited
		full := ord.Total > 0 && refunded >= ord.Total
		amt := left
		if !full {
			amt = min(prorate(e.total, net, net+itemTax), left)
		}
		amt = min(amt, e.total) // never more merchandise than money returned
		credited += amt
		rf, err := checkout.BuildRefund(checkout.Refund{
			Platform:    Name,
			Store:       ord.StoreID,
			OrderID:     ord.OrderID,
			RefundID:    e.id,
			Currency:    cur,
			Amount:      amt,
			Total:       e.total,
			Full:        full,
			Reason:      e.reason,
			CustomerKey: ord.Customer.Key,
			OccurredAt:  occurred,
			ReceivedAt:  d.Now,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, rf)
	}
	return out, nil
}

// prorate returns x*num/den rounded half up, for non-negative operands
// whose product may exceed int64; 0 when den is 0.
func prorate(x, num, den int64) int64 {
	if den <= 0 || x <= 0 || num <= 0 {
		return 0
	}
	n := new(big.Int).Mul(big.NewInt(x), big.NewInt(num))
	n.Mul(n, big.NewInt(2)).Add(n, big.NewInt(den))
	n.Quo(n, new(big.Int).Mul(big.NewInt(den), big.NewInt(2)))
	return n.Int64() // at most x, which fits
}

// idLess orders numeric ids numerically, and any other id after them,
// lexically.
func idLess(a, b string) bool {
	na, nb := numeric(a), numeric(b)
	switch {
	case na && nb:
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	case na != nb:
		return na
	}
	return a < b
}

func numeric(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != "" && (len(s) == 1 || s[0] != '0')
}
