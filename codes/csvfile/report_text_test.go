package csvfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestWriteReport(t *testing.T) {
	results := []RowResult{
		{Line: 2, Code: "SARAH10", AffiliateID: "aff_1", Action: ActionCreate},
		{Line: 3, Code: "JOHN15", AffiliateID: "aff_2", Action: ActionFailed},
		{Line: 4, Code: "ANNA5", AffiliateID: "aff_3", Action: ActionFailed, Generated: true},
	}
	rowErr := RowError{Line: 3, Code: "JOHN15", Field: "discount_value", Message: "not a number"}
	for _, tt := range []struct {
		name string
		rep  Report
		want string
	}{
		{"written", Report{Rows: 1, Created: 1, Written: 1, Results: results[:1]},
			"1 rows: 1 created, 0 updated, 0 unchanged, 0 failed; 1 written in 1.235s\nline 2: create aff_1 -> SARAH10\n"},
		{"dry run", Report{DryRun: true, Rows: 1, Created: 1, Results: results[:1]},
			"1 rows: 1 created, 0 updated, 0 unchanged, 0 failed; 0 written in 1.235s (dry run: nothing written)\nline 2: create aff_1 -> SARAH10\n"},
		{"atomic with a failure, generated rows listed", Report{Atomic: true, Rows: 3, Created: 1, Failed: 2, Results: results, Errors: []RowError{rowErr}},
			"3 rows: 1 created, 0 updated, 0 unchanged, 2 failed; 0 written in 1.235s (atomic: nothing written)\n" +
				"line 2: create aff_1 -> SARAH10\nline 4: failed aff_3 -> ANNA5\n" +
				"error: line 3 (JOHN15): discount_value: not a number\n"},
		{"warnings beyond the listed ones, sync failure", Report{Rows: 0, Warnings: []RowError{{Line: 2, Message: "unknown column x"}}, WarningsTotal: 3, SyncError: "shopify: 503"},
			"0 rows: 0 created, 0 updated, 0 unchanged, 0 failed; 0 written in 1.235s\n" +
				"warning: line 2: unknown column x\n... and 2 more warnings\n" +
				"warning: written, but syncing to platforms failed: shopify: 503\n"},
	} {
		var out bytes.Buffer
		WriteReport(&out, &tt.rep, false, 1234567*time.Microsecond)
		if out.String() != tt.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tt.name, out.String(), tt.want)
		}
	}
	var out bytes.Buffer
	rep := Report{Rows: 2, Failed: 1}
	WriteReport(&out, &rep, true, time.Second)
	var back Report
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back.Rows != 2 || back.Failed != 1 {
		t.Errorf("json: %v %s", err, out.String())
	}

	boom := errors.New("boom")
	for _, tt := range []struct {
		rep  Report
		err  error
		want string
	}{
		{Report{Rows: 2}, nil, ""},
		{Report{Rows: 3, Failed: 1}, nil, "1 of 3 rows failed"},
		{Report{Rows: 3, Failed: 1}, boom, "boom"},
	} {
		got := ""
		if err := tt.rep.Err(tt.err); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("Err(%v) with %d failed: %q, want %q", tt.err, tt.rep.Failed, got, tt.want)
		}
	}
}
