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

// SortKeys are the columns Sort orders by, all descending except code.
var SortKeys = []string{"orders", "revenue", "net_revenue", "aov", "refund_rate", "refund_amount_rate", "commission", "credited", "clicks", "conversion", "code"}

// Sort orders rows by key (one of SortKeys), largest first (code: A to Z),
// ties by code and currency.
func Sort(rows []CodeStats, key string) error {
	var f func(a, b CodeStats) int
	switch key {
	case "orders":
		f = func(a, b CodeStats) int { return cmp.Compare(b.Orders, a.Orders) }
	case "revenue":
		f = func(a, b CodeStats) int { return cmp.Compare(b.Revenue, a.Revenue) }
	case "net_revenue":
		f = func(a, b CodeStats) int { return cmp.Compare(b.NetRevenue, a.NetRevenue) }
	case "aov":
		f = func(a, b CodeStats) int { return cmp.Compare(b.AOV, a.AOV) }
	case "refund_rate":
		f = func(a, b CodeStats) int { return cmp.Compare(b.RefundRate, a.RefundRate) }
	case "refund_amount_rate":
		f = func(a, b CodeStats) int { return cmp.Compare(b.RefundAmountRate, a.RefundAmountRate) }
	case "commission":
		f = func(a, b CodeStats) int { return cmp.Compare(b.Commission, a.Commission) }
	case "credited":
		f = func(a, b CodeStats) int { return cmp.Compare(b.Attributed, a.Attributed) }
	case "clicks":
		f = func(a, b CodeStats) int { return cmp.Compare(b.Clicks, a.Clicks) }
	case "conversion":
		f = func(a, b CodeStats) int { return cmp.Compare(b.ConversionRate, a.ConversionRate) }
	case "code":
		f = func(CodeStats, CodeStats) int { return 0 }
	default:
		return fmt.Errorf("%w: sort by %q: one of %s", ErrQuery, key, strings.Join(SortKeys, ", "))
	}
	slices.SortStableFunc(rows, func(a, b CodeStats) int {
		if c := f(a, b); c != 0 {
			return c
		}
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return strings.Compare(a.Currency, b.Currency)
	})
	return nil
}

// columns of the table and CSV outputs.
var columns = []string{"code", "affiliate", "currency", "clicks", "visitors", "orders", "conversion",
	"revenue", "net_revenue", "aov", "discount", "commission", "pending", "refunds", "refund_rate", "refund_amount_rate",
	"credited", "by_code", "by_click", "by_split", "flagged_no_click", "flagged_injection", "leak_flags", "leaked"}

func pct(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" }

// record renders s as the columns; human formats money with the
// currency's decimals and marks leaks for a terminal.
func record(s CodeStats, human bool) []string {
	m := func(v int64) string {
		if human {
			return money.Format(v, s.Currency)
		}
		return strconv.FormatInt(v, 10)
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	conv, rr := strconv.FormatFloat(s.ConversionRate, 'f', 4, 64), strconv.FormatFloat(s.RefundRate, 'f', 4, 64)
	ra := strconv.FormatFloat(s.RefundAmountRate, 'f', 4, 64)
	leaked := strconv.FormatBool(s.Leaked)
	if human {
		conv, rr, ra = pct(s.ConversionRate), pct(s.RefundRate), pct(s.RefundAmountRate)
		if s.Clicks == 0 {
			conv = "-"
		}
		leaked = ""
		if s.Leaked {
			leaked = "LEAKED? " + strings.Join(s.LeakReasons, "; ")
		}
	}
	return []string{s.Code, s.AffiliateID, s.Currency, u(s.Clicks), u(s.Visitors), u(s.Orders), conv,
		m(s.Revenue), m(s.NetRevenue), m(s.AOV), m(s.Discount), m(s.Commission), m(s.CommissionPending), u(s.Refunds), rr, ra,
		u(s.Attributed), u(s.AttributedCode), u(s.AttributedClick), u(s.AttributedSplit),
		u(s.FlaggedOrders[FlagCodeWithoutClick]), u(s.FlaggedOrders[FlagClickInjection]), u(s.LeakFlags), leaked}
}

// WriteTable writes rows as aligned columns for a terminal: money in
// major units of each row's currency, rates in percent, leaked-looking
// codes marked "LEAKED?" with the reasons.
func WriteTable(w io.Writer, rows []CodeStats) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(columns, "\t"))+"\t")
	for _, s := range rows {
		fmt.Fprintln(tw, strings.Join(record(s, true), "\t")+"\t")
	}
	return tw.Flush()
}

// WriteCSV writes rows as CSV with a header; money in minor units, rates
// as fractions.
func WriteCSV(w io.Writer, rows []CodeStats) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(columns); err != nil {
		return err
	}
	for _, s := range rows {
		if err := cw.Write(record(s, false)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes rows as a JSON array of CodeStats.
func WriteJSON(w io.Writer, rows []CodeStats) error {
	if rows == nil {
		rows = []CodeStats{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}
