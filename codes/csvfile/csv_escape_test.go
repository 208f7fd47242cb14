package csvfile

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/schemas"
)

func TestEscapeCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=HYPERLINK(\"http://evil.example\")", "'=HYPERLINK(\"http://evil.example\")"},
		{"+1", "'+1"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"'=x", "''=x"},
		{"''-x", "'''-x"},
		{"'quoted", "'quoted"},
		{"'", "'"},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		if got := escapeCell(tt.in); got != tt.want {
			t.Errorf("escapeCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back := unescapeCell(escapeCell(tt.in)); back != tt.in {
			t.Errorf("unescapeCell(escapeCell(%q)) = %q", tt.in, back)
		}
	}
}

// TestExportFormulaInjection: no exported cell starts a formula, and the
// import reads the escaped export back to the same codes. (Names starting
// with a tab or CR are escaped too, but the import trims surrounding
// whitespace from every cell, so they are not part of the round trip.)
func TestExportFormulaInjection(t *testing.T) {
	hostile := []string{`=HYPERLINK("http://evil.example","x")`, "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "'=already", "\t=1", "\r=1"}
	var stored []schemas.Code
	for i, h := range hostile {
		name := h
		stored = append(stored, schemas.Code{Code: "C" + string(rune('A'+i)), DisplayCode: "C" + string(rune('A'+i)), CouponID: "percent-10",
			AffiliateID: "aff_1", AffiliateName: &name, DiscountType: registry.Percent, DiscountValue: 1000, Status: registry.StatusActive, Version: 1})
	}
	var out strings.Builder
	if err := WriteCSV(&out, registry.NewMemLookup(stored...).All()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("exported cell %q starts a formula", cell)
			}
		}
	}
	var kept strings.Builder
	if err := WriteCSV(&kept, registry.NewMemLookup(stored[:5]...).All()); err != nil {
		t.Fatal(err)
	}
	_, rep := plan(t, registry.NewMemLookup(stored[:5]...), kept.String(), ImportOptions{})
	if !rep.OK() || rep.Unchanged != 5 {
		t.Fatalf("re-import of the escaped export: %+v\n%s", rep, out.String())
	}
}
