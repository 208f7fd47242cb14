package csvfile

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/schemas"
)

// WriteJSON writes codes as an indented JSON array of Entry.
func WriteJSON(w io.Writer, codes []schemas.Code) error {
	entries := make([]Entry, len(codes))
	for i := range codes {
		entries[i] = EntryOf(&codes[i])
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(entries)
}

// WriteTable writes codes as the aligned table of `heldsway codes list`:
// code, affiliate, coupon, discount (percent, or amount and currency),
// status, valid until, platform states and version; "-" for empty cells.
func WriteTable(w io.Writer, codes []schemas.Code) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tAFFILIATE\tCOUPON\tDISCOUNT\tSTATUS\tVALID UNTIL\tPLATFORMS\tVERSION")
	for i := range codes {
		en := EntryOf(&codes[i])
		disc := en.DiscountValue + "%"
		if en.DiscountType == registry.Fixed {
			disc = en.DiscountValue + " " + en.Currency
		}
		var pl []string
		for _, p := range en.Platforms {
			pl = append(pl, p.Platform+":"+p.Status)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", en.DisplayCode, en.AffiliateID, en.Coupon, disc, en.Status, dash(en.ValidUntil), dash(strings.Join(pl, ",")), en.Version)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
