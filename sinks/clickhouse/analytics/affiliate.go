package analytics

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/heldsway/heldsway/schemas/money"
)

// AffiliateStats are one affiliate's figures over its codes, in one
// currency: the sums of its codes' CodeStats (orders credited through a
// code or a code's link; a click credit that names no code is not in a
// code's figures, so not here either).
type AffiliateStats struct {
	AffiliateID       string  `json:"affiliate_id"`
	Currency          string  `json:"currency"`
	Codes             int     `json:"codes"`
	Clicks            uint64  `json:"clicks"`
	Orders            uint64  `json:"orders"` // redemptions of its codes
	Revenue           int64   `json:"revenue"`
	Net               int64   `json:"net"`
	Refunded          int64   `json:"refunded"`
	RefundedOrders    uint64  `json:"refunded_orders"`
	RefundRate        float64 `json:"refund_rate"`
	RefundAmountRate  float64 `json:"refund_amount_rate"`
	Attributed        uint64  `json:"attributed"`
	AttributedCode    uint64  `json:"attributed_code"`
	AttributedClick   uint64  `json:"attributed_click"`
	AttributedSplit   uint64  `json:"attributed_split"`
	Commission        int64   `json:"commission"` // approved plus adjustments
	CommissionPending int64   `json:"commission_pending"`
}

// ByAffiliate sums code rows per affiliate and currency, largest approved
// commission first. Clicks count on every currency row of the code, as
// in CodeStats.
func ByAffiliate(rows []CodeStats) []AffiliateStats {
	type key struct{ aff, cur string }
	idx := map[key]*AffiliateStats{}
	var order []key
	for _, s := range rows {
		k := key{s.AffiliateID, s.Currency}
		a := idx[k]
		if a == nil {
			a = &AffiliateStats{AffiliateID: s.AffiliateID, Currency: s.Currency}
			idx[k] = a
			order = append(order, k)
		}
		a.Codes++
		a.Clicks += s.Clicks
		a.Orders += s.Orders
		a.Revenue += s.Revenue
		a.Net += s.Net
		a.Refunded += s.Refunded
		a.RefundedOrders += s.RefundedOrders
		a.Attributed += s.Attributed
		a.AttributedCode += s.AttributedCode
		a.AttributedClick += s.AttributedClick
		a.AttributedSplit += s.AttributedSplit
		a.Commission += s.Commission
		a.CommissionPending += s.CommissionPending
	}
	out := make([]AffiliateStats, 0, len(order))
	for _, k := range order {
		a := idx[k]
		if a.Orders > 0 {
			a.RefundRate = float64(a.RefundedOrders) / float64(a.Orders)
		}
		if a.Net > 0 {
			a.RefundAmountRate = float64(a.Refunded) / float64(a.Net)
		}
		out = append(out, *a)
	}
	slices.SortStableFunc(out, func(a, b AffiliateStats) int {
		if c := cmp.Compare(b.Commission, a.Commission); c != 0 {
			return c
		}
		if c := strings.Compare(a.AffiliateID, b.AffiliateID); c != 0 {
			return c
		}
		return strings.Compare(a.Currency, b.Currency)
	})
	return out
}

var affiliateColumns = []string{"affiliate", "currency", "codes", "clicks", "orders", "credited", "by_code", "by_click", "by_split",
	"revenue", "commission", "pending", "refund_rate", "refund_amount_rate"}

func affiliateRecord(a AffiliateStats, human bool) []string {
	m := func(v int64) string {
		if human {
			return money.Format(v, a.Currency)
		}
		return strconv.FormatInt(v, 10)
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	rate := func(f float64) string {
		if human {
			return pct(f)
		}
		return strconv.FormatFloat(f, 'f', 4, 64)
	}
	return []string{a.AffiliateID, a.Currency, strconv.Itoa(a.Codes), u(a.Clicks), u(a.Orders), u(a.Attributed),
		u(a.AttributedCode), u(a.AttributedClick), u(a.AttributedSplit), m(a.Revenue), m(a.Commission), m(a.CommissionPending),
		rate(a.RefundRate), rate(a.RefundAmountRate)}
}

// WriteAffiliates writes rows as "table", "csv" or "json".
func WriteAffiliates(w io.Writer, rows []AffiliateStats, format string) error {
	switch format {
	case "table":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, strings.ToUpper(strings.Join(affiliateColumns, "\t"))+"\t")
		for _, a := range rows {
			fmt.Fprintln(tw, strings.Join(affiliateRecord(a, true), "\t")+"\t")
		}
		return tw.Flush()
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(affiliateColumns); err != nil {
			return err
		}
		for _, a := range rows {
			if err := cw.Write(affiliateRecord(a, false)); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case "json":
		if rows == nil {
			rows = []AffiliateStats{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	return fmt.Errorf("%w: format %q: table, csv or json", ErrQuery, format)
}
