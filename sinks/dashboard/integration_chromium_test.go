package dashboard_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/sinks/clickhouse"
	"github.com/heldsway/heldsway/sinks/clickhouse/analytics"
	"github.com/heldsway/heldsway/sinks/clickhouse/analytics/analyticstest"
	"github.com/heldsway/heldsway/sinks/clickhouse/chtest"
	"github.com/heldsway/heldsway/sinks/dashboard"
)

func TestMain(m *testing.M) { chtest.Main(m) }

// EnvScreenshotDir names a directory to keep the screenshot in, for a
// human to look at.
const EnvScreenshotDir = "HELDSWAY_SCREENSHOT_DIR"

// chromium returns the headless browser, skipping the test when there is
// none (failing under CI=true).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install -y chromium); CI=true, so not skipping")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium): skipping the browser test")
	return ""
}

// browse runs headless Chromium on url with extra (--dump-dom or
// --screenshot=...) and returns its stdout.
func browse(t *testing.T, ctx context.Context, bin, url string, extra ...string) []byte {
	t.Helper()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(), "--window-size=1280,900", "--virtual-time-budget=5000",
	}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Dir = t.TempDir()
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestDashboardRendersInChromium serves the dashboard over a seeded
// ClickHouse, loads it in a real headless Chromium and checks the DOM (the
// table holds the seeded codes, LEAKY marked) and the screenshot (both
// charts drawn: order bars, leak markers, click/code share).
func TestDashboardRendersInChromium(t *testing.T) {
	bin := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv := chtest.New(t)
	w, err := clickhouse.Open(ctx, clickhouse.WriterConfig{DSN: srv.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Write(ctx, analyticstest.New(1).All()); err != nil {
		t.Fatal(err)
	}
	client, err := analytics.New(analytics.Config{DSN: srv.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Refresh(ctx, analytics.RefreshOptions{}); err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(dashboard.New(client))
	defer web.Close()
	last := analyticstest.First.AddDate(0, 0, analyticstest.Days-1).Format(time.DateOnly)
	url := web.URL + "/dashboard?from=" + analyticstest.First.Format(time.DateOnly) + "&to=" + last

	dom := string(browse(t, ctx, bin, url, "--dump-dom"))
	if !strings.Contains(dom, `data-loaded="true"`) {
		t.Fatalf("the page did not finish loading:\n%s", dom)
	}
	for code := range analyticstest.Codes {
		if !strings.Contains(dom, `<tr data-code="`+code+`"`) {
			t.Errorf("the table has no row for %s", code)
		}
	}
	if !strings.Contains(dom, `<tr data-code="LEAKY" class="leaked">`) || !strings.Contains(dom, "code_leak flag") {
		t.Error("LEAKY is not marked leaked")
	}
	if !strings.Contains(dom, `<tr data-affiliate="`) {
		t.Error("the affiliates table has no rows")
	}
	if strings.Contains(dom, `<tr data-code="ANNA10" class="leaked">`) {
		t.Error("ANNA10 is marked leaked")
	}
	if n := strings.Count(dom, `<rect class="bar"`); n != analyticstest.Days {
		t.Errorf("daily chart has %d bars, want %d", n, analyticstest.Days)
	}
	if n := strings.Count(dom, `<path class="leak"`); n != 3 {
		t.Errorf("daily chart marks %d leak days, want 3", n)
	}

	shot := filepath.Join(t.TempDir(), "dashboard.png")
	browse(t, ctx, bin, url, "--screenshot="+shot)
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if dir := os.Getenv(EnvScreenshotDir); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "dashboard.png"), data, 0o644)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decoding the screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() < 800 || len(data) < 20_000 {
		t.Fatalf("screenshot %dx%d, %d bytes: too small to be the page", b.Dx(), b.Dy(), len(data))
	}
	// The chart colours from style.css must be painted in the chart area
	// (the top half, where both figures sit).
	top := image.Rect(0, 0, 1280, 450)
	for _, c := range []struct {
		name    string
		r, g, b uint8
		min     int
	}{
		{"order bars and code share (#3b6fd8)", 0x3b, 0x6f, 0xd8, 3000},
		{"leak markers (#d92d20)", 0xd9, 0x2d, 0x20, 60},
		{"click share (#12a150)", 0x12, 0xa1, 0x50, 300},
	} {
		if n := countColour(img, top, c.r, c.g, c.b); n < c.min {
			t.Errorf("%s: %d pixels in the chart area, want at least %d", c.name, n, c.min)
		} else {
			t.Logf("%s: %d pixels", c.name, n)
		}
	}
}

// countColour counts the pixels in r within a small tolerance of (cr, cg, cb).
func countColour(img image.Image, r image.Rectangle, cr, cg, cb uint8) int {
	near := func(a uint32, b uint8) bool { d := int(a>>8) - int(b); return d > -12 && d < 12 }
	n := 0
	for y := r.Min.Y; y < r.Max.Y && y < img.Bounds().Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X && x < img.Bounds().Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr, cr) && near(pg, cg) && near(pb, cb) {
				n++
			}
		}
	}
	return n
}
