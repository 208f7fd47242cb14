package stream

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/pipeline/kafka"
)

// TestExactlyOnce: N keys x M records produce every output exactly once,
// the final counts are right in Pebble and in the changelog.
func TestExactlyOnce(t *testing.T) {
	h := newHarness(t)
	const keys, rounds = 20, 50
	h.produce(keys, 0, rounds/2)
	dir := tempDir(t)
	r := h.start(h.config(dir, "a"), counter)
	h.waitFor("ready", 30*time.Second, r.s.Ready)
	h.produce(keys, rounds/2, rounds)
	h.waitCaughtUp()
	r.stop()

	want := uniform(keys, rounds)
	h.checkOutputs(want)
	h.checkChangelog(want)
	h.checkState([]string{dir}, want)
	st := r.s.Stats()
	if st.RecordsProcessed != keys*rounds || st.RecordsDeadLettered != 0 {
		t.Errorf("stats %+v: want %d processed", st, keys*rounds)
	}
	if st.TxnCommitted == 0 || st.LastCommit.IsZero() {
		t.Errorf("stats %+v: no commits recorded", st)
	}
}

// TestPoisonRecord: a record Process rejects goes to the dead-letter topic
// with the reason, its state writes are rolled back, and its partition
// keeps flowing.
func TestPoisonRecord(t *testing.T) {
	h := newHarness(t)
	const keys, rounds = 8, 20
	h.produce(keys, 0, rounds)
	poisonKey := key(3)
	process := func(ctx context.Context, tx *Tx, rec *kgo.Record) error {
		if string(rec.Key) == poisonKey && string(rec.Value) == "7" {
			tx.Set(rec.Key, []byte("999")) // must be rolled back
			tx.Set([]byte("side-effect"), []byte("x"))
			tx.Produce(outTopic, rec.Key, []byte("must not appear"))
			return errPoison
		}
		return counter(ctx, tx, rec)
	}
	dir := tempDir(t)
	r := h.start(h.config(dir, "a"), process)
	h.waitCaughtUp()
	r.stop()

	want := uniform(keys, rounds)
	want[poisonKey] = rounds - 1
	h.checkOutputs(want)
	h.checkChangelog(want)
	h.checkState([]string{dir}, want)

	dlq := h.readAll(group + ".dead-letter")
	if len(dlq) != 1 {
		t.Fatalf("dead letters: got %d, want 1", len(dlq))
	}
	d := dlq[0]
	headers := map[string]string{}
	for _, hd := range d.Headers {
		headers[hd.Key] = string(hd.Value)
	}
	if string(d.Key) != poisonKey || string(d.Value) != "7" {
		t.Errorf("dead letter %s=%s, want the input record", d.Key, d.Value)
	}
	if headers["heldsway.error"] != errPoison.Error() || headers["heldsway.stage"] != group ||
		!strings.HasPrefix(headers["heldsway.source"], inTopic+"/") {
		t.Errorf("dead letter headers %v", headers)
	}
	if st := r.s.Stats(); st.RecordsDeadLettered != 1 || st.RecordsProcessed != keys*rounds {
		t.Errorf("stats %+v", st)
	}
}

// TestAbortRetries: a Process error wrapping ErrAbort aborts the whole
// transaction; the batch is consumed again and nothing is duplicated.
func TestAbortRetries(t *testing.T) {
	h := newHarness(t)
	const keys, rounds = 5, 20
	h.produce(keys, 0, rounds)
	var failures atomic.Int32
	process := func(ctx context.Context, tx *Tx, rec *kgo.Record) error {
		if string(rec.Value) == "10" && failures.Add(1) <= 3 {
			_ = counter(ctx, tx, rec) // writes and outputs must vanish with the abort
			return ErrAbort
		}
		return counter(ctx, tx, rec)
	}
	r := h.start(h.config(tempDir(t), "a"), process)
	h.waitCaughtUp()
	r.stop()
	h.checkOutputs(uniform(keys, rounds))
	if st := r.s.Stats(); st.TxnAborted < 3 {
		t.Errorf("stats %+v: want >= 3 aborted transactions", st)
	}
}

// TestRestoreAfterStateLost: the Pebble directory is deleted between runs;
// the stage rebuilds every partition from the changelog and continues
// exactly where the group left off.
func TestRestoreAfterStateLost(t *testing.T) {
	h := newHarness(t)
	const keys, rounds = 12, 30
	h.produce(keys, 0, rounds/2)
	dir := tempDir(t)
	r := h.start(h.config(dir, "a"), counter)
	h.waitCaughtUp()
	r.stop()

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	h.produce(keys, rounds/2, rounds)
	r = h.start(h.config(dir, "a"), counter)
	h.waitCaughtUp()
	r.stop()

	want := uniform(keys, rounds)
	h.checkOutputs(want)
	h.checkChangelog(want)
	h.checkState([]string{dir}, want)
	if st := r.s.Stats(); st.Restores != numParts || st.RestoredRecords < keys {
		t.Errorf("stats %+v: want %d partitions restored", st, numParts)
	}
}

// TestStateBehindKafka: the Kafka transaction commits but the Pebble
// commit fails, so Pebble's applied offsets are behind the group's. The
// stage must notice on the next assignment and restore, not double count.
func TestStateBehindKafka(t *testing.T) {
	h := newHarness(t)
	const keys, rounds = 10, 40
	h.produce(keys, 0, rounds)
	dir := tempDir(t)
	s, err := New(h.config(dir, "a"), counter)
	if err != nil {
		t.Fatal(err)
	}
	var commits atomic.Int32
	s.hooks.beforeStateCommit = func() error {
		if commits.Add(1) == 3 {
			return errPoison // simulated disk failure after the Kafka commit
		}
		return nil
	}
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	h.waitCaughtUp()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	want := uniform(keys, rounds)
	h.checkOutputs(want)
	h.checkChangelog(want)
	h.checkState([]string{dir}, want)
	st := s.Stats()
	if st.StateCommitFailures != 1 || st.Restores == 0 || st.SessionRestarts != 1 {
		t.Errorf("stats %+v: want one state commit failure followed by a restore", st)
	}
}

// TestPebbleBehindAcrossRestart: the process stops right after a Kafka
// commit whose Pebble commit never happened (the hook stops the stage);
// the next run restores instead of trusting the stale state.
func TestPebbleBehindAcrossRestart(t *testing.T) {
	h := newHarness(t)
	const keys, rounds = 10, 30
	h.produce(keys, 0, rounds)
	dir := tempDir(t)
	s, err := New(h.config(dir, "a"), counter)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	var commits atomic.Int32
	s.hooks.beforeStateCommit = func() error {
		if commits.Add(1) == 2 {
			cancel() // "crash": the process dies before Pebble commits
			return context.Canceled
		}
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if h.committed() == h.inputEnd() {
		t.Fatal("first run consumed everything; the test needs it to stop midway")
	}

	r := h.start(h.config(dir, "a"), counter)
	h.waitCaughtUp()
	r.stop()
	want := uniform(keys, rounds)
	h.checkOutputs(want)
	h.checkState([]string{dir}, want)
	if st := r.s.Stats(); st.Restores == 0 {
		t.Errorf("stats %+v: the stale partition was not restored", st)
	}
}

// TestRebalance: a second instance joins mid-stream, then the first
// leaves; partitions move with their state (restored from the changelog)
// and the output is exactly that of a clean run.
func TestRebalance(t *testing.T) {
	h := newHarness(t)
	const keys, rounds = 24, 60
	h.produce(keys, 0, rounds/3)
	dirA, dirB := tempDir(t), tempDir(t)
	a := h.start(h.config(dirA, "a"), counter)
	h.waitFor("a to make progress", 30*time.Second, func() bool { return h.committed() > 0 })

	b := h.start(h.config(dirB, "b"), counter)
	h.waitFor("both instances to own partitions", 30*time.Second, func() bool {
		return len(a.s.Stats().Assigned) > 0 && len(b.s.Stats().Assigned) > 0
	})
	// Produced after the move, so b has records of its own to commit
	// (24 keys over every partition).
	h.produce(keys, rounds/3, 2*rounds/3)
	h.waitFor("b to commit", 30*time.Second, func() bool { return b.s.Stats().TxnCommitted > 0 })

	a.stop()
	h.produce(keys, 2*rounds/3, rounds)
	h.waitCaughtUp()
	if got := len(b.s.Stats().Assigned); got != numParts {
		t.Errorf("b owns %d partitions after a left, want %d", got, numParts)
	}
	b.stop()

	want := uniform(keys, rounds)
	h.checkOutputs(want)
	h.checkChangelog(want)
	h.checkState([]string{dirB}, want)
	if st := b.s.Stats(); st.Restores == 0 {
		t.Errorf("b stats %+v: moved partitions were not restored", st)
	}
}

func TestConfigValidate(t *testing.T) {
	base := func() Config {
		return Config{Name: "n", Inputs: []string{"a", "b"}, StateDir: filepath.Join(t.TempDir(), "s"), InstanceID: "i",
			Conn: kafka.Conn{Brokers: []string{"127.0.0.1:9092"}}}
	}
	tests := []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"defaults", func(*Config) {}, true},
		{"no name", func(c *Config) { c.Name = "" }, false},
		{"no inputs", func(c *Config) { c.Inputs = nil }, false},
		{"repeated input", func(c *Config) { c.Inputs = []string{"a", "a"} }, false},
		{"changelog is input", func(c *Config) { c.Changelog = "a" }, false},
		{"no state dir", func(c *Config) { c.StateDir = "" }, false},
		{"no instance", func(c *Config) { c.InstanceID = "" }, false},
		{"no brokers", func(c *Config) { c.Conn = kafka.Conn{} }, false},
		{"negative poll", func(c *Config) { c.MaxPollRecords = -1 }, false},
		{"short txn timeout", func(c *Config) { c.TransactionTimeout = time.Millisecond }, false},
		{"bad backoff", func(c *Config) { c.MinBackoff, c.MaxBackoff = time.Second, time.Millisecond }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.mod(&c)
			err := c.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if c.Logger != nil || c.Now != nil || c.State.CacheSize != 0 {
				t.Fatal("Validate changed the config: defaults are EnsureDefaults' job")
			}
			c.EnsureDefaults()
			if err == nil && (c.Group != "n" || c.Changelog != "n-changelog" || c.MaxPollRecords != 10000 || c.Logger == nil || c.Now == nil) {
				t.Fatalf("defaults not applied: %+v", c)
			}
		})
	}
}
