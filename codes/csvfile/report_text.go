package csvfile

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// WriteReport writes rep as `heldsway codes import` and `codes generate`
// print it: indented JSON with asJSON, else a summary line (took is how
// long the import ran) followed by the created, updated and generated rows,
// the errors, the listed warnings and a sync failure.
func WriteReport(w io.Writer, rep *Report, asJSON bool, took time.Duration) {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return
	}
	mode := ""
	if rep.DryRun {
		mode = " (dry run: nothing written)"
	} else if rep.Atomic && rep.Failed > 0 {
		mode = " (atomic: nothing written)"
	}
	fmt.Fprintf(w, "%d rows: %d created, %d updated, %d unchanged, %d failed; %d written in %s%s\n",
		rep.Rows, rep.Created, rep.Updated, rep.Unchanged, rep.Failed, rep.Written, took.Round(time.Millisecond), mode)
	for _, r := range rep.Results {
		if r.Generated || r.Action != ActionFailed {
			fmt.Fprintf(w, "line %d: %s %s -> %s\n", r.Line, r.Action, r.AffiliateID, r.Code)
		}
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "error: %v\n", e)
	}
	for _, e := range rep.Warnings {
		fmt.Fprintf(w, "warning: %v\n", e)
	}
	if n := rep.WarningsTotal - len(rep.Warnings); n > 0 {
		fmt.Fprintf(w, "... and %d more warnings\n", n)
	}
	if rep.SyncError != "" {
		fmt.Fprintf(w, "warning: written, but syncing to platforms failed: %s\n", rep.SyncError)
	}
}

// Err is the error of a finished import: err itself, else "N of M rows
// failed" when a row failed, else nil.
func (r *Report) Err(err error) error {
	if err != nil {
		return err
	}
	if !r.OK() {
		return fmt.Errorf("%d of %d rows failed", r.Failed, r.Rows)
	}
	return nil
}
