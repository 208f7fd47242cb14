package processor

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/pipeline/fraud"
	"github.com/heldsway/heldsway/schemas"
)

// TestIntegrationLateClicksNoLeak: a link partner's customers click, then
// redeem its code, but every click reaches the processor after its order
// (the orders' records come first on Kafka, as with a lagging click
// connector). Stage 1 decides each order without its click, revises it
// when the click arrives, and corrects the leak detector. The detector
// must not flag the code on the unclicked first versions: they are
// pending until the settle period has passed or a click corrects them.
// That holds for a code without a usage limit (stage 1 publishes,
// stage 2 observes) and for one with a limit (stage 2 decides). A third
// link code whose redemptions never get a click is flagged, once they
// have settled.
func TestIntegrationLateClicksNoLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the processor against the embedded broker")
	}
	w, topics, serde := faultWorld(t)
	late, limited, never := w.codes[5], w.codes[1], w.codes[9] // link partners' codes
	if !late.RequiresClick || !limited.RequiresClick || !never.RequiresClick || late.MaxUses != nil || never.MaxUses != nil {
		t.Fatal("the world's codes 1, 5 and 9 must be link partners' codes without usage limits")
	}
	max := int64(1000)
	w.codes[1].MaxUses = &max
	limited = w.codes[1]
	e := newEnv(t, w)

	prog := attribution.NewProgram()
	prog.Defaults.Leak.MinCount = 1 << 40 // the spike trigger off: only the no-click ratio judges
	const n = 30                          // over the default min_sample (20)
	at := worldStart.Add(24 * time.Hour)  // event time
	ts := worldStart.Add(48 * time.Hour)  // record time
	var orders, clicks []*kgo.Record
	for ci, c := range []schemas.Code{late, limited, never} {
		for i := range n {
			v := fmt.Sprintf("v%020d%02d%04d", 9, ci, i)
			o := order(fmt.Sprintf("late-%d-%d", ci, i), v, at.Add(time.Duration(i)*time.Minute))
			o.Codes = []schemas.AppliedCode{{Code: c.Code, Amount: 100}}
			orders = append(orders, rec(t, serde, topics.Orders, v, o, ts.Add(time.Duration(ci*n+i)*time.Millisecond)))
			if c.Code != never.Code {
				cl := click(v, c, o.OccurredAt.Add(-time.Minute), ci*n+i)
				clicks = append(clicks, rec(t, serde, topics.Clicks, v, cl, ts.Add(time.Second+time.Duration(ci*n+i)*time.Millisecond)))
			}
		}
	}
	// One more redemption of each code, read past the settle period: it is
	// judged on the 30 before it, settled by then. Unless corrected, the
	// late-click codes' first versions would count as unclicked now.
	var settled []*kgo.Record
	for ci, c := range []schemas.Code{late, limited, never} {
		v := fmt.Sprintf("v%020d%02d%04d", 9, 3, ci)
		o := order(fmt.Sprintf("late-settled-%d", ci), v, at.Add(time.Hour))
		o.Codes = []schemas.AppliedCode{{Code: c.Code, Amount: 100}}
		settled = append(settled, rec(t, serde, topics.Orders, v, o, ts.Add(prog.Defaults.Grace+time.Minute+time.Duration(ci)*time.Millisecond)))
	}
	e.produce(t, append(append(orders, clicks...), settled...))

	stop := e.runProgram(t, t.TempDir(), "late", 100, prog)
	defer stop()
	var atts []schemas.Attribution
	var flags []schemas.Flag
	for deadline := time.Now().Add(drainTimeout(t)); ; {
		e.waitIdle(t)
		atts, _, flags = decodeOutputs(t, e, e.outputs(t))
		if len(atts) >= 5*n+3 || time.Now().After(deadline) {
			break
		}
	}
	leaks := map[string]int{}
	for _, f := range flags {
		if f.Type == fraud.TypeCodeLeak && f.Code != nil {
			leaks[*f.Code]++
		}
	}
	if leaks[late.Code] != 0 || leaks[limited.Code] != 0 {
		t.Errorf("code_leak flags %v: the codes whose clicks came after their orders were flagged", leaks)
	}
	if leaks[never.Code] != 1 {
		t.Errorf("code_leak flags %v: want one for %s, whose redemptions never had a click", leaks, never.Code)
	}
	// The late clicks did revise the orders: the last version of each is
	// credited with its click.
	revised := map[string]int32{}
	for _, a := range atts {
		if a.Code != nil && (*a.Code == late.Code || *a.Code == limited.Code) && a.Version > revised[a.OrderID] {
			revised[a.OrderID] = a.Version
		}
	}
	if len(revised) != 2*n+2 {
		t.Fatalf("%d orders of the late-click codes attributed, want %d", len(revised), 2*n+2)
	}
	for id, ver := range revised {
		if ver < 2 && id != "late-settled-0" && id != "late-settled-1" {
			t.Errorf("order %s: last version %d, want a revision by its late click", id, ver)
		}
	}
}
