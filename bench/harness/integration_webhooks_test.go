package harness

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIntegrationHarnessWebhooks runs the benchmark with the webhook feed
// on a tiny world: heldsway is built, and the broker, the processor and
// the ingest run as children. Every event must be accepted by the ingest
// and every non-fraud order attributed as the oracle says.
func TestIntegrationHarnessWebhooks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds heldsway and runs the broker, processor and ingest")
	}
	bin := filepath.Join(t.TempDir(), "heldsway")
	build := exec.Command("go", "build", "-o", bin, "github.com/heldsway/heldsway/cmd/heldsway")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Skipf("cannot build heldsway here: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const events, rate = 3000, 1000
	rep, err := Run(ctx, Config{Binary: bin, WorkDir: t.TempDir(), Sizes: []int{events}, Rules: []string{"coupon_priority"},
		Rate: rate, LatencySeconds: 1, SkipGoka: true, CeilingRecords: 1000, Feed: FeedWebhooks, Clients: 16, ClickBatch: 50,
		Progress: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Runs[0]
	ing := r.Ingest
	if r.Feed != FeedWebhooks || ing == nil {
		t.Fatalf("no ingest figures: %+v", r)
	}
	for name, st := range map[string]FeedStats{"throughput": ing.Throughput, "latency": ing.Latency} {
		if st.Failed != 0 || st.Status4xx != 0 || st.Accepted != st.Requests || st.EventsAccepted != st.Events {
			t.Errorf("%s phase: %d of %d requests and %d of %d events accepted, %d failed: %v", name, st.Accepted, st.Requests,
				st.EventsAccepted, st.Events, st.Failed, st.Errors)
		}
	}
	if ing.Throughput.Events != events || ing.Latency.Events != rate {
		t.Errorf("events offered: %d + %d, want %d + %d", ing.Throughput.Events, ing.Latency.Events, events, rate)
	}
	if ing.RSS == 0 || ing.Throughput.RequestsPerSec <= 0 || ing.Throughput.EventsPerSec <= 0 {
		t.Errorf("missing ingest figures: %+v", ing)
	}
	for _, ep := range endpointNames {
		if ing.ByEndpoint[ep] == 0 {
			t.Errorf("no request to %s: %v", ep, ing.ByEndpoint)
		}
	}
	if r.EventsPerSec <= 0 || r.Latency.Count == 0 || r.ProcessorRSS == 0 {
		t.Errorf("missing figures: %+v", r)
	}
	s := r.Score
	if s.NonFraud == 0 || s.Missing > 0 || s.Correct != s.NonFraud || s.ExtraAttribution != 0 {
		t.Errorf("accuracy on non-fraud orders %.4f%% (%d/%d, %d missing, %d unknown); first mismatches: %+v", 100*s.Accuracy, s.Correct, s.NonFraud,
			s.Missing, s.ExtraAttribution, s.Mismatches)
	}
	if s.PayableChecked == 0 || s.PayableCorrect != s.PayableChecked {
		t.Errorf("refund reversals %d/%d", s.PayableCorrect, s.PayableChecked)
	}
	if md := rep.Markdown(); !strings.Contains(md, "ingest accepted (2xx)") || !strings.Contains(md, "ingest peak RSS") {
		t.Errorf("markdown lacks the ingest rows:\n%s", md)
	}
}
