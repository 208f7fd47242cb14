package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heldsway/heldsway/sinks/clickhouse"
	"github.com/heldsway/heldsway/sinks/clickhouse/chtest"
)

// TestMain lets the test binary act as the heldsway binary: a child started
// with HELDSWAY_TEST_RUN_MAIN=1 runs main() with its arguments.
func TestMain(m *testing.M) {
	if os.Getenv("HELDSWAY_TEST_RUN_MAIN") == "1" {
		os.Args = append([]string{"heldsway"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	chtest.Main(m)
}

// proc is a heldsway child process.
type proc struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan error
}

func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "HELDSWAY_TEST_RUN_MAIN=1"), env...)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of %v:\n%s", args, out.String())
		}
	})
	return p
}

// stop sends SIGTERM and returns the exit error.
func (p *proc) stop(t *testing.T) error {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return err
	case <-time.After(45 * time.Second):
		t.Fatalf("process did not stop within 45s after SIGTERM")
		return nil
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHealthy(t *testing.T, p *proc, addr string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			t.Fatalf("process exited before becoming healthy: %v", err)
		default:
		}
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s/healthz not 200 within 60s", addr)
}

func waitListening(t *testing.T, p *proc, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			t.Fatalf("process exited before listening on %s: %v", addr, err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listening on %s within 30s", addr)
}

// TestIntegrationUpEndToEnd runs the real binary: an order posted over HTTP
// lands on Kafka (embedded broker over TCP) and in ClickHouse; SIGTERM stops
// the stack cleanly; a restarted broker still holds the order.
func TestIntegrationUpEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole stack")
	}
	ch := chtest.New(t)
	dataDir := t.TempDir()
	httpAddr, kafkaAddr := freeAddr(t), freeAddr(t)
	env := []string{"HELDSWAY_API_TOKEN=tok-e2e", "HELDSWAY_HASH_KEY=0123456789abcdef-e2e"}

	up := start(t, env, "up", "--data-dir", dataDir, "--http-addr", httpAddr, "--kafka-listen", kafkaAddr,
		"--clickhouse", ch.DSN, "--flush-interval", "200ms", "--log-format", "json", "--partitions", "2")
	waitHealthy(t, up, httpAddr)

	orderID := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	body := `{"order_id":"` + orderID + `","currency":"GBP","subtotal":12000,"discount":1200,"codes":["sarah10"],"customer":{"email":"e2e@example.com"}}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+httpAddr+"/v1/conversions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok-e2e")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /v1/conversions: %d %s", resp.StatusCode, b)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, err := clickhouse.Open(ctx, clickhouse.WriterConfig{DSN: ch.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for {
		var n uint64
		var subtotal, discount int64
		row := w.Conn().QueryRow(ctx, "SELECT count(), sum(subtotal), sum(discount) FROM orders FINAL WHERE order_id = ?", orderID)
		if err := row.Scan(&n, &subtotal, &discount); err != nil {
			t.Fatalf("querying orders: %v", err)
		}
		if n == 1 {
			if subtotal != 12000 || discount != 1200 {
				t.Fatalf("row has subtotal %d discount %d", subtotal, discount)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("order %s not in ClickHouse within 60s", orderID)
		}
		time.Sleep(200 * time.Millisecond)
	}

	if err := up.stop(t); err != nil {
		t.Fatalf("heldsway up after SIGTERM: %v (want exit 0)", err)
	}
	if !strings.Contains(up.out.String(), "http server draining") {
		t.Errorf("no drain on shutdown in the log")
	}

	// The broker restarted on the same data directory still has the order.
	br := start(t, nil, "broker", "--data-dir", dataDir, "--kafka-listen", kafkaAddr, "--log-format", "json")
	waitListening(t, br, kafkaAddr)
	tail := exec.Command(os.Args[0], "tail", "orders", "--data-dir", dataDir, "--kafka-listen", kafkaAddr,
		"--from-beginning", "--max", "1", "--timeout", "60s", "--log-level", "error")
	tail.Env = append(os.Environ(), "HELDSWAY_TEST_RUN_MAIN=1")
	var tailOut, tailErr bytes.Buffer
	tail.Stdout, tail.Stderr = &tailOut, &tailErr
	if err := tail.Run(); err != nil {
		t.Fatalf("tail: %v\n%s", err, tailErr.String())
	}
	if !strings.Contains(tailOut.String(), `"order_id":"`+orderID+`"`) || !strings.Contains(tailOut.String(), `"currency":"GBP"`) {
		t.Fatalf("restarted broker returned %q, want order %s", tailOut.String(), orderID)
	}
	if err := br.stop(t); err != nil {
		t.Fatalf("broker after SIGTERM: %v", err)
	}
	// The generated secrets were not used: env secrets win, nothing written.
	if _, err := os.Stat(filepath.Join(dataDir, "secrets", "api-token")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("api token generated although HELDSWAY_API_TOKEN was set (stat: %v)", err)
	}
}

// TestUsageErrors checks that bad configuration exits 2 with a reason.
func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badCfg := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badCfg, []byte("http-adr: 1.2.3.4:5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown flag", []string{"up", "--nope"}, nil, "unknown flag"},
		{"unknown config key", []string{"up", "--config", badCfg}, nil, `unknown key "http-adr"`},
		{"bad env value", []string{"up"}, []string{"HELDSWAY_PARTITIONS=many"}, "HELDSWAY_PARTITIONS"},
		{"bad log level", []string{"up", "--log-level", "loud"}, nil, "--log-level"},
		{"bad prefix", []string{"tail", "orders", "--topic-prefix", "bad prefix!"}, nil, "invalid topic prefix"},
		// Configuration errors of the packages cmd configures
		// (kafkaenv, codeops, harness, analytics) exit 2 too.
		{"unknown topic", []string{"tail", "nosuch"}, nil, `topic "nosuch" is not one of HeldSway's`},
		{"codes sync without stores", []string{"codes", "sync"}, nil, "--stores-file is required"},
		{"codes import of a missing file", []string{"codes", "import", filepath.Join(dir, "none.csv")}, nil, "no such file"},
		{"codes list format", []string{"codes", "list", "--format", "xml"}, nil, `--format "xml": want table or json`},
		{"codes generate set", []string{"codes", "generate", "--rule", "{first}", "--affiliate", "a", "--set", "x"}, nil, `--set "x": want column=value`},
		{"report format", []string{"report", "--format", "xml"}, nil, `--format "xml": table, csv or json`},
		{"bench without the Goka peer", []string{"bench", "--goka-binary", filepath.Join(dir, "none")}, nil, "pass --goka-binary or --skip-goka"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], append(tt.args, "--data-dir", dir)...)
			cmd.Env = append(append(os.Environ(), "HELDSWAY_TEST_RUN_MAIN=1"), tt.env...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("exit %v, want 2; output:\n%s", err, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Fatalf("output %q does not mention %q", out, tt.want)
			}
		})
	}
}
