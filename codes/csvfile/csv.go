package csvfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/heldsway/heldsway/schemas"
)

// ErrFormat is wrapped by errors that make a whole CSV file unreadable: a
// bad header or broken quoting. Problems with single rows are reported per
// row instead (RowError).
var ErrFormat = errors.New("csvfile: invalid CSV")

// Sheet is a parsed CSV file: its rows by column, not yet validated.
type Sheet struct {
	rows []sheetRow
	has  [numCols]bool
}

type sheetRow struct {
	line  int
	f     fields
	width error // the row's field count differs from the header's
}

// Len returns the number of data rows.
func (s *Sheet) Len() int { return len(s.rows) }

// Has reports whether the sheet carries column name.
func (s *Sheet) Has(name string) bool {
	c, ok := columnByName(name)
	return ok && s.has[c]
}

// ReadCSV reads a codes CSV file (see the package documentation for the
// format). It fails with ErrFormat on a header without the required
// columns, with an unknown or repeated column, or on broken quoting, naming
// the line. Rows are validated later, by Plan.
func ReadCSV(r io.Reader) (*Sheet, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: empty file: want a header line naming the columns", ErrFormat)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	s := &Sheet{}
	idx := make([]column, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // a byte-order mark from spreadsheet exports
		}
		c, ok := columnByName(h)
		if !ok {
			return nil, fmt.Errorf("%w: line 1: unknown column %q (known: %s)", ErrFormat, strings.TrimSpace(h), strings.Join(Columns, ", "))
		}
		if s.has[c] {
			return nil, fmt.Errorf("%w: line 1: column %q appears twice", ErrFormat, colName[c])
		}
		s.has[c] = true
		idx[i] = c
	}
	if !s.has[colAffiliateID] {
		return nil, fmt.Errorf("%w: line 1: missing required column %q", ErrFormat, colName[colAffiliateID])
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		line, _ := cr.FieldPos(0)
		row := sheetRow{line: line}
		if len(rec) != len(header) {
			row.width = fmt.Errorf("has %d fields, the header has %d", len(rec), len(header))
		}
		for i, v := range rec {
			if i < len(idx) {
				row.f.set(idx[i], unescapeCell(v))
			}
		}
		// Columns of the header missing from a short row read as empty.
		for c := range numCols {
			if s.has[c] {
				row.f.has[c] = true
			}
		}
		s.rows = append(s.rows, row)
	}
	return s, nil
}

// WriteCSV writes codes as CSV with a header of Columns. Importing the
// output gives the same codes back (affiliate_email stays empty: the
// registry does not store emails). Cells a spreadsheet would run as a
// formula are escaped (see escapeCell); ReadCSV undoes it.
func WriteCSV(w io.Writer, codes []schemas.Code) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return fmt.Errorf("writing csv: %w", err)
	}
	for i := range codes {
		row := cells(&codes[i])
		for j := range row {
			row[j] = escapeCell(row[j])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("writing csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing csv: %w", err)
	}
	return nil
}

// formulaStart reports whether a spreadsheet reads a cell starting with b
// as a formula (OWASP, CSV injection): '=', '+', '-', '@', tab, CR.
func formulaStart(b byte) bool {
	switch b {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// escapeCell prefixes a cell that would start a formula with a single
// quote, as OWASP recommends, so a spreadsheet shows it as text. A cell
// that already reads as an escaped one (quotes, then a formula start) gets
// one more quote, so unescapeCell always gives the value back.
func escapeCell(v string) string {
	if rest := strings.TrimLeft(v, "'"); rest != "" && formulaStart(rest[0]) {
		return "'" + v
	}
	return v
}

// unescapeCell undoes escapeCell.
func unescapeCell(v string) string {
	if len(v) > 1 && v[0] == '\'' {
		if rest := strings.TrimLeft(v, "'"); rest != "" && formulaStart(rest[0]) {
			return v[1:]
		}
	}
	return v
}
