package dashboard_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/heldsway/heldsway/sinks/clickhouse/analytics"
	"github.com/heldsway/heldsway/sinks/dashboard"
)

// EnvBrowserTimeout bounds the browser login test (a Go duration; default
// 2m, generous for a loaded two-core machine).
const EnvBrowserTimeout = "HELDSWAY_BROWSER_TIMEOUT"

// longCode is longer than the share chart's old fixed label room (90 units).
const longCode = "SPRINGLAUNCHVIP2026"

type loginSource struct{}

func (loginSource) Codes(context.Context, analytics.Query) ([]analytics.CodeStats, error) {
	return []analytics.CodeStats{
		{Code: longCode, AffiliateID: "aff_maya_p", Currency: "USD", Orders: 40, Revenue: 400000, Attributed: 40, AttributedCode: 10, AttributedClick: 30},
		{Code: "SARAH10", AffiliateID: "aff_sarah_lee", Currency: "USD", Orders: 12, Revenue: 60000, Attributed: 12, AttributedCode: 12},
	}, nil
}

func (loginSource) Daily(context.Context, analytics.Query) ([]analytics.DayStats, error) {
	return []analytics.DayStats{{Day: "2026-12-06", Orders: 12345}, {Day: "2026-12-07", Orders: 9000}}, nil
}

// cdp drives Chromium over --remote-debugging-pipe: JSON messages ending
// in a NUL byte, requests written to the browser's fd 3, answers read from
// its fd 4.
type cdp struct {
	w       *os.File
	mu      sync.Mutex
	next    int
	pending map[int]chan json.RawMessage
}

func startCDP(t *testing.T, ctx context.Context, bin string) *cdp {
	t.Helper()
	toBrowser, ourEnd, err := os.Pipe() // browser reads fd 3
	if err != nil {
		t.Fatal(err)
	}
	ourRead, fromBrowser, err := os.Pipe() // browser writes fd 4
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir="+t.TempDir(), "--window-size=1280,900", "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	toBrowser.Close()
	fromBrowser.Close()
	c := &cdp{w: ourEnd, pending: map[int]chan json.RawMessage{}}
	go func() {
		r := bufio.NewReader(ourRead)
		for {
			msg, err := r.ReadBytes(0)
			if err != nil {
				return
			}
			var m struct {
				ID int `json:"id"`
			}
			if json.Unmarshal(msg[:len(msg)-1], &m) == nil && m.ID != 0 {
				c.mu.Lock()
				ch := c.pending[m.ID]
				delete(c.pending, m.ID)
				c.mu.Unlock()
				if ch != nil {
					ch <- json.RawMessage(bytes.Clone(msg[:len(msg)-1]))
				}
			}
		}
	}()
	t.Cleanup(func() {
		ourEnd.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		ourRead.Close()
		if t.Failed() {
			t.Logf("chromium stderr:\n%s", stderr.String())
		}
	})
	return c
}

// call sends method (to a page when session is set) and returns its result.
func (c *cdp) call(t *testing.T, ctx context.Context, session, method string, params any) json.RawMessage {
	t.Helper()
	res, err := c.try(ctx, session, method, params)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// try is call returning the error.
func (c *cdp) try(ctx context.Context, session, method string, params any) (json.RawMessage, error) {
	c.mu.Lock()
	c.next++
	id := c.next
	ch := make(chan json.RawMessage, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	b, _ := json.Marshal(msg)
	if _, err := c.w.Write(append(b, 0)); err != nil {
		return nil, fmt.Errorf("%s: writing to chromium: %w", method, err)
	}
	select {
	case raw := <-ch:
		var resp struct {
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(raw, &resp); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		if resp.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, resp.Error.Message)
		}
		return resp.Result, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: no answer from chromium: %w", method, ctx.Err())
	}
}

// eval evaluates a JavaScript expression in the page and returns its value
// as JSON.
func (c *cdp) eval(t *testing.T, ctx context.Context, session, expr string) string {
	t.Helper()
	v, err := c.tryEval(ctx, session, expr)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tryEval is eval returning the error (a page navigating away throws).
func (c *cdp) tryEval(ctx context.Context, session, expr string) (string, error) {
	res, err := c.try(ctx, session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
	if err != nil {
		return "", err
	}
	var out struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &out); err != nil {
		return "", err
	}
	if out.ExceptionDetails != nil {
		return "", fmt.Errorf("evaluating %s: %v", expr, out.ExceptionDetails)
	}
	return string(out.Result.Value), nil
}

// waitFor evaluates expr until it gives want.
func (c *cdp) waitFor(t *testing.T, ctx context.Context, session, expr, want string) {
	t.Helper()
	got := ""
	var err error
	for ctx.Err() == nil {
		// Between pages the document is gone: keep asking.
		if got, err = c.tryEval(ctx, session, expr); err == nil && got == want {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("waiting for %s == %s: last %s (%v)", expr, want, got, err)
}

// TestDashboardLoginInChromium logs in to the dashboard the way a person
// does, in a real headless Chromium: the page sends the browser to the
// login form, a wrong token is refused there, the right one sets an
// HttpOnly, SameSite=Strict session cookie and the dashboard loads its
// figures with it. The chart labels are checked to sit inside the charts.
func TestDashboardLoginInChromium(t *testing.T) {
	bin := chromium(t)
	timeout := 2 * time.Minute
	if v := os.Getenv(EnvBrowserTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q: want a positive Go duration", EnvBrowserTimeout, v)
		}
		timeout = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	const token = "tok-4f1c9a0b7e"
	web := httptest.NewServer(dashboard.RequireToken(token, dashboard.New(loginSource{})))
	defer web.Close()

	c := startCDP(t, ctx, bin)
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := json.Unmarshal(c.call(t, ctx, "", "Target.createTarget", map[string]any{"url": web.URL + "/dashboard/?from=2026-12-01&to=2026-12-07"}), &target); err != nil {
		t.Fatal(err)
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(c.call(t, ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}), &attached); err != nil {
		t.Fatal(err)
	}
	s := attached.SessionID

	// No session: the browser is sent to the login form.
	c.waitFor(t, ctx, s, `location.pathname + "|" + document.readyState + "|" + !!document.querySelector("form#login input[name=token]")`, `"/dashboard/login|complete|true"`)

	submit := func(value string) {
		c.eval(t, ctx, s, `(() => { const i = document.querySelector("input[name=token]"); i.value = ""; i.focus(); return true; })()`)
		c.call(t, ctx, s, "Input.insertText", map[string]any{"text": value})
		c.eval(t, ctx, s, `(() => { document.querySelector("form#login button[type=submit]").click(); return true; })()`)
	}
	submit("not-the-token")
	c.waitFor(t, ctx, s, `document.readyState + "|" + (document.getElementById("problem") || {}).textContent`, `"complete|That is not the API token."`)

	submit(token)
	c.waitFor(t, ctx, s, `location.pathname + "|" + (document.body.dataset.loaded || "")`, `"/dashboard/|true"`)
	if got := c.eval(t, ctx, s, `document.querySelectorAll("#codes tbody tr").length`); got != "2" {
		t.Errorf("the table has %s rows after login, want 2", got)
	}
	if got := c.eval(t, ctx, s, `document.cookie`); got != `""` {
		t.Errorf("the session cookie is readable by scripts: %s", got)
	}
	var cookies struct {
		Cookies []struct {
			Name     string `json:"name"`
			HTTPOnly bool   `json:"httpOnly"`
			SameSite string `json:"sameSite"`
			Path     string `json:"path"`
		} `json:"cookies"`
	}
	if err := json.Unmarshal(c.call(t, ctx, s, "Network.getCookies", map[string]any{"urls": []string{web.URL + "/dashboard/"}}), &cookies); err != nil {
		t.Fatal(err)
	}
	if len(cookies.Cookies) != 1 || cookies.Cookies[0].Name != dashboard.SessionCookie || !cookies.Cookies[0].HTTPOnly ||
		cookies.Cookies[0].SameSite != "Strict" || cookies.Cookies[0].Path != "/dashboard" {
		t.Errorf("cookies after login: %+v", cookies.Cookies)
	}

	// Every chart label lies inside its chart: none clipped at an edge.
	for _, chart := range []string{"share", "daily"} {
		js := fmt.Sprintf(`(() => { const svg = document.getElementById(%q); const vb = svg.viewBox.baseVal; let bad = [];
			for (const t of svg.querySelectorAll("text")) { const b = t.getBBox();
				if (b.x < 0 || b.x + b.width > vb.width + 0.5) bad.push(t.textContent + "@" + b.x.toFixed(1) + "+" + b.width.toFixed(1)); }
			return svg.querySelectorAll("text").length + "|" + bad.join(","); })()`, chart)
		got, _ := strconv.Unquote(c.eval(t, ctx, s, js))
		n, bad, _ := bytes.Cut([]byte(got), []byte("|"))
		if len(bad) > 0 || string(n) == "0" {
			t.Errorf("%s chart: %s labels, clipped: %s", chart, n, bad)
		}
	}
}
