package stream

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
)

// Environment of the helper process.
const (
	envHelper = "HELDSWAY_STREAM_HELPER"
	envBroker = "HELDSWAY_STREAM_BROKER"
	envDir    = "HELDSWAY_STREAM_DIR"
	envPoll   = "HELDSWAY_STREAM_POLL"
)

// TestHelperProcess is not a test: TestCrashKill runs the test binary
// again with it to host a stage in a process it can SIGKILL.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(envHelper) != "1" {
		t.Skip("helper process for TestCrashKill")
	}
	poll, _ := strconv.Atoi(os.Getenv(envPoll))
	h := &harness{t: t, addr: os.Getenv(envBroker)}
	cfg := h.config(os.Getenv(envDir), "a")
	cfg.MaxPollRecords = poll
	cfg.Logger = zap.NewNop()
	cfg.State.NoSync = false
	s, err := New(cfg, counter)
	if err != nil {
		t.Fatal(err)
	}
	// Runs until killed; the parent bounds it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = s.Run(ctx)
}

// TestCrashKill runs the stage in a child process, SIGKILLs it mid-stream
// (no graceful shutdown: an open transaction, an unflushed Pebble), and
// restarts it on the same state directory and instance ID. The
// read_committed output must equal a clean run's exactly.
func TestCrashKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	h := newHarness(t)
	const keys, rounds = 20, 100
	h.produce(keys, 0, rounds/2)
	dir := tempDir(t)

	for i, killAt := range []int64{int64(keys * rounds / 8), int64(keys * rounds / 3)} {
		cmd := exec.CommandContext(h.ctx, os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), envHelper+"=1", envBroker+"="+h.addr, envDir+"="+dir, envPoll+"=10")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		h.waitFor("the child to make progress", 45*time.Second, func() bool { return h.committed() >= killAt })
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		got := h.committed()
		t.Logf("run %d: killed the child at %d committed records", i, got)
		if got >= h.inputEnd() {
			t.Fatalf("run %d: the child consumed everything before the kill", i)
		}
	}

	h.produce(keys, rounds/2, rounds)
	r := h.start(h.config(dir, "a"), counter)
	h.waitCaughtUp()
	r.stop()
	want := uniform(keys, rounds)
	h.checkOutputs(want)
	h.checkChangelog(want)
	h.checkState([]string{dir}, want)
}

// TestCrashInProcess abandons a stage without any shutdown: its client is
// closed mid-transaction and its store is never committed or closed
// cleanly. A second stage on a fresh directory with the same instance ID
// fences it and restores from the changelog.
func TestCrashInProcess(t *testing.T) {
	h := newHarness(t)
	const keys, rounds = 10, 40
	h.produce(keys, 0, rounds)
	cfg := h.config(tempDir(t), "a")
	cfg.MaxPollRecords = 10
	s, err := New(cfg, func(ctx context.Context, tx *Tx, rec *kgo.Record) error {
		if string(rec.Value) == "30" {
			<-ctx.Done() // hang mid-transaction until "crashed"
			return ctx.Err()
		}
		return counter(ctx, tx, rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	h.waitFor("the stage to stall mid-stream", 30*time.Second, func() bool { return s.Stats().RecordsProcessed > 0 })
	if h.committed() == h.inputEnd() {
		t.Fatal("the first stage consumed everything")
	}

	// A new incarnation on another (empty) directory: it must fence the
	// hung one and rebuild from the changelog.
	r := h.start(h.config(tempDir(t), "a"), counter)
	h.waitCaughtUp()
	r.stop()
	cancel()
	<-done
	h.checkOutputs(uniform(keys, rounds))
	h.checkChangelog(uniform(keys, rounds))
}
