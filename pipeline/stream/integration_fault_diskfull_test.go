package stream

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestDiskFull fills the Pebble directory's disk mid-stream: every write
// under it fails with ENOSPC for a while. The stage must say so clearly
// (an error log naming the cause), neither crash nor corrupt its state,
// and resume by itself once space returns: the outputs, the changelog and
// the Pebble state then equal a clean run's, nothing lost or duplicated.
func TestDiskFull(t *testing.T) {
	h := newHarness(t)
	const keys, rounds = 10, 40
	h.produce(keys, 0, rounds/2)
	full := &errorfs.Toggle{Injector: errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return &os.PathError{Op: "write", Path: op.Path, Err: syscall.ENOSPC}
		}
		return nil
	})}
	dir := tempDir(t)
	cfg := h.config(dir, "a")
	cfg.State.FS = errorfs.Wrap(vfs.Default, full)
	cfg.State.NoSync = false // a commit waits for the disk, as in production
	core, logs := observer.New(zapcore.WarnLevel)
	cfg.Logger = zap.New(core)
	r := h.start(cfg, counter)
	h.waitCaughtUp()

	full.On()
	h.produce(keys, rounds/2, rounds)
	defer func() {
		if t.Failed() {
			for _, e := range logs.All() {
				t.Logf("log: %s %s %v", e.Level, e.Message, e.ContextMap())
			}
		}
	}()
	h.waitFor("the disk-full error to be reported", 15*time.Second, func() bool {
		return logs.FilterMessageSnippet("state").FilterFieldKey("error").Len() > 0 &&
			strings.Contains(errorsLogged(logs), "no space left on device")
	})
	time.Sleep(time.Second) // a few retries while the disk stays full
	full.Off()
	h.waitCaughtUp()
	r.stop()

	want := uniform(keys, rounds)
	h.checkOutputs(want)
	h.checkChangelog(want)
	h.checkState([]string{dir}, want)
	st := r.s.Stats()
	t.Logf("stats after the disk was full: %+v", st)
	if st.SessionRestarts == 0 {
		t.Errorf("stats %+v: the failed store was not reopened", st)
	}
}

// errorsLogged joins the error fields of the observed logs.
func errorsLogged(logs *observer.ObservedLogs) string {
	var b strings.Builder
	for _, e := range logs.All() {
		for _, f := range e.Context {
			if f.Key == "error" {
				if err, ok := f.Interface.(error); ok {
					b.WriteString(e.Message + ": " + err.Error() + "\n")
				}
			}
		}
	}
	return b.String()
}
