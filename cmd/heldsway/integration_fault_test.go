package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/sinks/clickhouse/chtest"
)

// conversionDelivery is a conversion API order, retried until 202.
func conversionDelivery(httpAddr, token, orderID string) delivery {
	body := `{"order_id":"` + orderID + `","currency":"EUR","subtotal":5000,"discount":500,"codes":["NOSUCHCODE"],"customer":{"email":"` + orderID + `@example.com"}}`
	return delivery{id: orderID, build: func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, "http://"+httpAddr+"/v1/conversions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		return req
	}}
}

// shopifyDelivery is a signed orders/create webhook built from the
// connector's fixture with order id id, retried until 200 as Shopify would.
func shopifyDelivery(t *testing.T, httpAddr, secret string, fixture []byte, id int64) delivery {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(fixture))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	m["id"] = id
	m["name"] = fmt.Sprintf("#F%d", id)
	m["financial_status"] = "paid"
	m["created_at"], m["processed_at"] = now, now
	m["email"] = fmt.Sprintf("buyer-%d@example.com", id)
	delete(m, "refunds")
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return delivery{id: fmt.Sprint(id), build: func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, "http://"+httpAddr+"/webhooks/shopify", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Shopify-Topic", "orders/create")
		req.Header.Set("X-Shopify-Shop-Domain", "fault.myshopify.com")
		req.Header.Set("X-Shopify-Hmac-Sha256", sig)
		return req
	}}
}

// TestIntegrationFaultBroker runs `heldsway broker` and `heldsway up
// --brokers` as separate processes and, while orders stream in through
// the conversion API:
//
//  1. stops the broker (SIGSTOP) for longer than --publish-timeout: the
//     edge answers 503 with Retry-After (within the publish timeout, or at
//     once beyond --max-inflight) instead of queueing, and the ingest
//     process's memory stays bounded;
//  2. kills the broker with SIGKILL and restarts it from its data
//     directory: every record Kafka acknowledged (acks=all, fsynced per
//     batch) to a raw producer is there exactly once, and the processor
//     and sink in the `up` process recover without a restart;
//
// then requires no loss and no duplicate on the output topics and in
// ClickHouse.
func TestIntegrationFaultBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the stack and kills its broker")
	}
	ch := chtest.New(t)
	dataDir := t.TempDir()
	httpAddr, kafkaAddr := freeAddr(t), freeAddr(t)
	const token = "tok-fault-broker"
	env := []string{"HELDSWAY_API_TOKEN=" + token, "HELDSWAY_HASH_KEY=fault-broker-hash-key-0123456789"}
	startBroker := func() *proc {
		br := start(t, nil, "broker", "--data-dir", dataDir, "--kafka-listen", kafkaAddr, "--log-format", "json", "--partitions", "2")
		waitListening(t, br, kafkaAddr)
		// `heldsway broker` prepares the topics once it listens; an `up`
		// started meanwhile would race it creating them, and the loser
		// fails on TOPIC_ALREADY_EXISTS (pipeline/kafka EnsureTopics).
		waitTopics(t, kafkaAddr)
		return br
	}
	br := startBroker()
	up := start(t, env, "up", "--brokers", kafkaAddr, "--data-dir", dataDir, "--http-addr", httpAddr,
		"--clickhouse", ch.DSN, "--flush-interval", "200ms", "--log-format", "json", "--partitions", "2",
		"--instance-id", "fault", "--publish-timeout", "2s", "--max-inflight", "4", "--rollup-every", "0")
	waitHealthy(t, up, httpAddr)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// A raw producer beside the pipeline: acks=all, idempotent, no
	// application retries. What Kafka acknowledged right before SIGKILL
	// must survive it exactly once.
	topic := "fault.acked"
	raw, err := kgo.NewClient(kgo.SeedBrokers(kafkaAddr), kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordDeliveryTimeout(5*time.Second), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := kadm.NewClient(raw).CreateTopic(ctx, 2, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	rawAcked := map[string]bool{}
	produceRaw := func(from, to int) {
		for i := from; i < to; i++ {
			v := fmt.Sprintf("rec-%06d", i)
			if err := raw.ProduceSync(ctx, &kgo.Record{Key: []byte(v), Value: []byte(v)}).FirstErr(); err != nil {
				t.Errorf("producing %s: %v", v, err)
				continue
			}
			rawAcked[v] = true
		}
	}
	produceRaw(0, 100)

	var ds []delivery
	var ids []string
	for i := range 240 {
		id := fmt.Sprintf("fb-%04d", i)
		ids = append(ids, id)
		ds = append(ds, conversionDelivery(httpAddr, token, id))
	}
	var (
		phase      sync.Once
		killOnce   sync.Once
		stopWindow = make(chan struct{})
		killed     = make(chan struct{})
	)
	// Phase 1 at 60 acknowledged orders, phase 2 at 140.
	onAck := func(n int) {
		if n == 60 {
			phase.Do(func() { close(stopWindow) })
		}
		if n == 140 {
			killOnce.Do(func() { close(killed) })
		}
	}
	var faultErr error
	faultsDone := make(chan struct{})
	go func() {
		defer close(faultsDone)
		select {
		case <-stopWindow:
		case <-ctx.Done():
			return
		}
		// Slow Kafka: a stopped broker accepts connections but answers
		// nothing.
		rssBefore, _ := up.rssBytes()
		_ = br.cmd.Process.Signal(syscall.SIGSTOP)
		time.Sleep(5 * time.Second)
		rssStopped, _ := up.rssBytes()
		_ = br.cmd.Process.Signal(syscall.SIGCONT)
		t.Logf("broker stopped 5s: up RSS %d MiB -> %d MiB", rssBefore>>20, rssStopped>>20)
		if rssStopped > rssBefore+64<<20 {
			faultErr = fmt.Errorf("up RSS grew from %d to %d MiB while Kafka was stopped", rssBefore>>20, rssStopped>>20)
		}
		select {
		case <-killed:
		case <-ctx.Done():
			return
		}
		produceRaw(100, 200) // acknowledged, then killed at once
		br.kill9(t)
		time.Sleep(2 * time.Second) // requests in flight fail; senders retry
		br = startBroker()
	}()
	began := time.Now()
	outcomes := deliverAll(ctx, t, 8, ds, onAck)
	<-faultsDone
	if faultErr != nil {
		t.Error(faultErr)
	}
	t.Logf("%d orders delivered in %s", len(ds), time.Since(began).Round(time.Millisecond))

	// Phase 1: 503s with Retry-After were seen, and none took longer than
	// the publish timeout plus slack (the client timeout is 20s).
	var unavailable int
	for _, o := range outcomes {
		unavailable += o.statuses[http.StatusServiceUnavailable]
	}
	if unavailable == 0 {
		t.Errorf("no 503 while the broker was stopped or down")
	}
	if m := scrapeMetric(t, httpAddr, "heldsway_http_overloaded_total"); m == "" {
		t.Errorf("no heldsway_http_overloaded_total in /metrics")
	} else {
		t.Logf("503s seen by senders: %d; answered at once over --max-inflight: %s", unavailable, m)
	}

	// Phase 2: every record acknowledged to the raw producer is on the
	// restarted broker exactly once.
	got := map[string]int{}
	for _, r := range readTopic(t, kafkaAddr, topic) {
		got[string(r.Value)]++
	}
	for v := range rawAcked {
		if got[v] != 1 {
			t.Errorf("acknowledged record %s stored %d times after the broker's SIGKILL, want 1", v, got[v])
		}
	}
	for v, c := range got {
		if c > 1 {
			t.Errorf("record %s stored %d times", v, c)
		}
	}
	t.Logf("raw producer: %d acknowledged, %d stored", len(rawAcked), len(got))

	// A SIGKILL of the broker while it commits a processor transaction
	// must not leave the outputs committed without the consumed offsets
	// (the batch would be processed again and its outputs published
	// twice) or the reverse: the broker's commit journal and crash repair
	// (pipeline/broker) complete such a commit. No duplicate is tolerated.
	checkPipeline(t, kafkaAddr, ch.DSN, ids, false)
	if err := up.stop(t); err != nil {
		t.Errorf("up after SIGTERM: %v", err)
	}
	if err := br.stop(t); err != nil {
		t.Errorf("broker after SIGTERM: %v", err)
	}
	// What the restarted broker's crash repair found.
	for _, line := range strings.Split(br.out.String(), "\n") {
		for _, s := range []string{"did not stop cleanly", "a crash interrupted", "before the crash was complete"} {
			if strings.Contains(line, s) {
				t.Logf("restarted broker: %s", line)
			}
		}
	}
}

// scrapeMetric returns the value of a metric on /metrics: an unlabelled
// one's value, or a labelled one's series, "; "-separated.
func scrapeMetric(t *testing.T, httpAddr, name string) string {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	var series []string
	for _, line := range strings.Split(b.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
		if v, ok := strings.CutPrefix(line, name+"{"); ok {
			series = append(series, "{"+v)
		}
	}
	return strings.Join(series, "; ")
}

// TestIntegrationFaultIngestKill kills `heldsway up` (ingest, embedded
// broker, processor and sink in one process) with SIGKILL while signed
// Shopify webhooks are in flight, restarts it on the same data directory,
// and lets the sender retry every request that got no 2xx, as Shopify
// does. Every order must reach Kafka, be attributed exactly once (the
// retried deliveries carry the same event id and are dropped) and be one
// row in ClickHouse. The secrets given in the environment never appear in
// either process's log.
func TestIntegrationFaultIngestKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the stack and kills it")
	}
	ch := chtest.New(t)
	dataDir := t.TempDir()
	httpAddr, kafkaAddr := freeAddr(t), freeAddr(t)
	secrets := map[string]string{
		"HELDSWAY_API_TOKEN":           "tok-fault-ingest-5f2b9c",
		"HELDSWAY_HASH_KEY":            "hashkey-fault-ingest-8d1e7a",
		"HELDSWAY_SHOPIFY_SECRET":      "shpss_fault_ingest_3c4d5e",
		"HELDSWAY_KAFKA_SASL_PASSWORD": "sasl-fault-ingest-9a8b7c",
	}
	var env []string
	for k, v := range secrets {
		env = append(env, k+"="+v)
	}
	args := []string{"up", "--data-dir", dataDir, "--http-addr", httpAddr, "--kafka-listen", kafkaAddr,
		"--clickhouse", ch.DSN, "--flush-interval", "200ms", "--log-format", "json", "--log-level", "debug",
		"--partitions", "2", "--instance-id", "fault", "--rollup-every", "0"}
	up := start(t, env, args...)
	waitHealthy(t, up, httpAddr)

	fixture, err := os.ReadFile(filepath.Join("..", "..", "connectors", "shopify", "testdata", "order_450789469.rest-2026-07.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ds []delivery
	var ids []string
	for i := range 200 {
		id := int64(7_000_000 + i)
		ids = append(ids, fmt.Sprint(id))
		ds = append(ds, shopifyDelivery(t, httpAddr, secrets["HELDSWAY_SHOPIFY_SECRET"], fixture, id))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	kill := make(chan struct{})
	var once sync.Once
	restarted := make(chan *proc, 1)
	go func() {
		select {
		case <-kill:
		case <-ctx.Done():
			restarted <- nil
			return
		}
		up.kill9(t)
		time.Sleep(time.Second)
		up2 := start(t, env, args...)
		waitHealthy(t, up2, httpAddr)
		restarted <- up2
	}()
	outcomes := deliverAll(ctx, t, 16, ds, func(n int) {
		if n == 70 {
			once.Do(func() { close(kill) })
		}
	})
	up2 := <-restarted
	if up2 == nil {
		t.Fatal("the kill never happened")
	}
	retried := 0
	for _, o := range outcomes {
		if o.attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Errorf("no delivery was in flight at the kill")
	}
	t.Logf("%d of %d webhooks were retried after the kill", retried, len(ds))

	// Shopify's mapping sets the order id to the platform's numeric id.
	checkPipeline(t, kafkaAddr, ch.DSN, ids, false)
	if err := up2.stop(t); err != nil {
		t.Errorf("restarted up after SIGTERM: %v", err)
	}
	if !strings.Contains(up2.out.String(), "did not stop cleanly") {
		t.Errorf("the restarted broker did not run its crash repair")
	}
	for _, p := range []*proc{up, up2} {
		logs := p.out.String()
		for name, v := range secrets {
			if strings.Contains(logs, v) {
				t.Errorf("the value of %s appears in the log", name)
			}
		}
	}
}
