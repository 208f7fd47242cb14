package stream

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/state"
)

// The toy stage: a counter per key. State: key -> count. Output: one
// "key=count" record per input record.

const (
	inTopic   = "in"
	outTopic  = "out"
	numParts  = 4
	group     = "counter"
	changelog = "counter-changelog"
)

func counter(_ context.Context, tx *Tx, rec *kgo.Record) error {
	v, _, err := tx.Get(rec.Key)
	if err != nil {
		return err
	}
	n := 0
	if v != nil {
		if n, err = strconv.Atoi(string(v)); err != nil {
			return fmt.Errorf("decoding count: %w", err)
		}
	}
	n++
	tx.Set(rec.Key, []byte(strconv.Itoa(n)))
	tx.Produce(outTopic, rec.Key, []byte(fmt.Sprintf("%s=%d", rec.Key, n)))
	return nil
}

type harness struct {
	t    *testing.T
	addr string
	cl   *kgo.Client
	adm  *kadm.Client
	ctx  context.Context
}

func newHarness(t *testing.T, topics ...string) *harness {
	t.Helper()
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.SeedTopics(numParts, append([]string{inTopic, outTopic}, topics...)...),
		kfake.GroupMinSessionTimeout(500*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return &harness{t: t, addr: addr, cl: cl, adm: kadm.NewClient(cl), ctx: ctx}
}

func key(k int) string { return fmt.Sprintf("k%03d", k) }

// produce writes rounds [from, to) of one record per key.
func (h *harness) produce(keys, from, to int) {
	h.t.Helper()
	var recs []*kgo.Record
	for r := from; r < to; r++ {
		for k := 0; k < keys; k++ {
			recs = append(recs, &kgo.Record{Topic: inTopic, Key: []byte(key(k)), Value: []byte(strconv.Itoa(r))})
		}
	}
	if err := h.cl.ProduceSync(h.ctx, recs...).FirstErr(); err != nil {
		h.t.Fatal(err)
	}
}

func fastGroup() []kgo.Opt {
	return []kgo.Opt{
		kgo.SessionTimeout(2 * time.Second),
		kgo.RebalanceTimeout(4 * time.Second),
		kgo.HeartbeatInterval(200 * time.Millisecond),
	}
}

func (h *harness) config(dir, instance string) Config {
	return Config{
		Name:               group,
		Inputs:             []string{inTopic},
		StateDir:           dir,
		InstanceID:         instance,
		Conn:               kafka.Conn{Brokers: []string{h.addr}},
		GroupOpts:          append(fastGroup(), kgo.FetchMaxWait(100*time.Millisecond)),
		MaxPollRecords:     50,
		TransactionTimeout: 10 * time.Second,
		MinBackoff:         10 * time.Millisecond,
		MaxBackoff:         200 * time.Millisecond,
		State:              state.Config{NoSync: true, CacheSize: 1 << 20, MemTableSize: 1 << 20},
		Logger:             zaptest.NewLogger(h.t, zaptest.Level(zap.WarnLevel)),
	}
}

type running struct {
	s    *Stage
	stop func()
}

// start runs a stage; stop cancels it and waits for Run to return.
func (h *harness) start(cfg Config, process ProcessFunc) *running {
	h.t.Helper()
	s, err := New(cfg, process)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					h.t.Errorf("Run: %v", err)
				}
			case <-time.After(15 * time.Second):
				h.t.Errorf("stage %s did not stop", cfg.InstanceID)
			}
		})
	}
	h.t.Cleanup(stop)
	return &running{s: s, stop: stop}
}

// committed returns the group's committed offsets on the input, summed.
func (h *harness) committed() int64 {
	resps, err := h.adm.FetchOffsets(h.ctx, group)
	if err != nil {
		return -1
	}
	var sum int64
	resps.Each(func(o kadm.OffsetResponse) {
		if o.Topic == inTopic && o.Err == nil && o.At > 0 {
			sum += o.At
		}
	})
	return sum
}

// inputEnd is the input's end offsets, summed.
func (h *harness) inputEnd() int64 {
	ends, err := h.adm.ListEndOffsets(h.ctx, inTopic)
	if err != nil {
		h.t.Fatal(err)
	}
	var sum int64
	ends.Each(func(o kadm.ListedOffset) { sum += o.Offset })
	return sum
}

// waitFor polls cond until it holds or the deadline passes.
func (h *harness) waitFor(what string, d time.Duration, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) || h.ctx.Err() != nil {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitCaughtUp waits until the group committed the whole input.
func (h *harness) waitCaughtUp() {
	h.t.Helper()
	end := h.inputEnd()
	h.waitFor(fmt.Sprintf("committed offsets to reach %d", end), 60*time.Second, func() bool { return h.committed() == end })
}

// readAll reads a topic read_committed up to its last stable offsets.
func (h *harness) readAll(topic string) []*kgo.Record {
	h.t.Helper()
	ends, err := h.adm.ListCommittedOffsets(h.ctx, topic)
	if err != nil {
		h.t.Fatal(err)
	}
	pending := map[int32]int64{}
	offsets := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			pending[o.Partition] = o.Offset
			offsets[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	if len(pending) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(h.addr),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords(), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		h.t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for len(pending) > 0 {
		fs := cl.PollFetches(h.ctx)
		if h.ctx.Err() != nil {
			h.t.Fatalf("reading %s: %v (pending %v)", topic, h.ctx.Err(), pending)
		}
		fs.EachRecord(func(r *kgo.Record) {
			end, ok := pending[r.Partition]
			if !ok {
				return
			}
			if !r.Attrs.IsControl() {
				out = append(out, r)
			}
			if r.Offset+1 >= end {
				delete(pending, r.Partition)
			}
		})
	}
	return out
}

// checkOutputs asserts that for every key the outputs are exactly
// key=1 .. key=want[key], in order: nothing lost, nothing duplicated.
func (h *harness) checkOutputs(want map[string]int) {
	h.t.Helper()
	got := map[string][]string{}
	for _, r := range h.readAll(outTopic) {
		got[string(r.Key)] = append(got[string(r.Key)], string(r.Value))
	}
	var problems []string
	for k, n := range want {
		var exp []string
		for i := 1; i <= n; i++ {
			exp = append(exp, fmt.Sprintf("%s=%d", k, i))
		}
		if strings.Join(got[k], ",") != strings.Join(exp, ",") {
			problems = append(problems, fmt.Sprintf("%s: got %d outputs %v, want %d", k, len(got[k]), abbreviate(got[k]), n))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			problems = append(problems, fmt.Sprintf("unexpected key %s", k))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		h.t.Fatalf("outputs differ from a clean run:\n%s", strings.Join(problems, "\n"))
	}
}

func abbreviate(s []string) []string {
	if len(s) <= 8 {
		return s
	}
	return append(append(append([]string{}, s[:4]...), "..."), s[len(s)-4:]...)
}

// checkChangelog asserts that the compacted view of the changelog is the
// expected final state and that each key sits in its input partition.
func (h *harness) checkChangelog(want map[string]int) {
	h.t.Helper()
	final := map[string]string{}
	for _, r := range h.readAll(changelog) {
		if r.Value == nil {
			delete(final, string(r.Key))
		} else {
			final[string(r.Key)] = string(r.Value)
		}
	}
	h.checkCounts("changelog", final, want)
}

// checkState asserts the Pebble state in dir equals want (after the stage
// stopped).
func (h *harness) checkState(dirs []string, want map[string]int) {
	h.t.Helper()
	got := map[string]string{}
	for _, dir := range dirs {
		s, err := state.Open(dir, state.Config{})
		if err != nil {
			h.t.Fatal(err)
		}
		resps, err := h.adm.FetchOffsets(h.ctx, group)
		if err != nil {
			h.t.Fatal(err)
		}
		for p := int32(0); p < numParts; p++ {
			applied, found, err := s.AppliedOffsets(p)
			if err != nil {
				h.t.Fatal(err)
			}
			c, _ := resps.Lookup(inTopic, p)
			if !found || applied[inTopic] != c.At {
				continue // not current here: another instance owns it
			}
			if err := s.Scan(p, nil, func(k, v []byte) error {
				got[string(k)] = string(v)
				return nil
			}); err != nil {
				h.t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			h.t.Fatal(err)
		}
	}
	h.checkCounts("pebble state", got, want)
}

func (h *harness) checkCounts(what string, got map[string]string, want map[string]int) {
	h.t.Helper()
	for k, n := range want {
		if got[k] != strconv.Itoa(n) {
			h.t.Errorf("%s: %s = %q, want %d", what, k, got[k], n)
		}
	}
	if len(got) != len(want) {
		h.t.Errorf("%s has %d keys, want %d", what, len(got), len(want))
	}
}

func uniform(keys, n int) map[string]int {
	m := map[string]int{}
	for k := 0; k < keys; k++ {
		m[key(k)] = n
	}
	return m
}

var errPoison = errors.New("poison record")

func tempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp(t.TempDir(), "state")
	if err != nil {
		t.Fatal(err)
	}
	return d
}
