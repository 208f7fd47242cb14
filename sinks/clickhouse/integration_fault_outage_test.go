package clickhouse

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/sinks/clickhouse/chtest"
)

// outageLength is how long TestSinkLongClickHouseOutage keeps ClickHouse
// unreachable (a network partition): HELDSWAY_FAULT_OUTAGE (a duration) when set, a minute with
// HELDSWAY_SOAK=1, else 12s so CI stays short.
func outageLength(t *testing.T) time.Duration {
	if s := os.Getenv("HELDSWAY_FAULT_OUTAGE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("HELDSWAY_FAULT_OUTAGE: %v", err)
		}
		return d
	}
	if os.Getenv("HELDSWAY_SOAK") == "1" {
		return time.Minute
	}
	return 12 * time.Second
}

// TestSinkLongClickHouseOutage partitions the sink from ClickHouse (a
// proxy cuts every connection and refuses new ones) for outageLength while
// orders keep arriving at a steady rate, then heals it. The server keeps
// running, so the test can check during the partition that no row arrived,
// and an INSERT cut off by the partition may have been stored without the
// sink knowing. The sink must not commit offsets for what it could not
// store, must not lose or duplicate anything, and must catch up by itself:
// every order is one row (FINAL, one event id each). The server process
// itself is killed and restarted by TestSinkClickHouseRestart.
func TestSinkLongClickHouseOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("a long outage")
	}
	outage := outageLength(t)
	ctx := testContext(t, outage+90*time.Second)
	srv := chtest.New(t)
	k := newKafka(t)
	p := newProxy(t, srv.Addr)
	cfg := Config{Conn: kafka.Conn{Brokers: k.cluster.ListenAddrs()}, Topics: k.topics, DSN: "clickhouse://" + p.addr() + "/" + srv.Database,
		MaxBackoff: 2 * time.Second}
	startSink(t, cfg)
	w := openWriter(t, ctx, srv.DSN)

	const rate = 40 // orders per second
	n := 0
	send := func(d time.Duration) {
		tick := time.NewTicker(time.Second / rate)
		defer tick.Stop()
		end := time.Now().Add(d)
		for time.Now().Before(end) {
			<-tick.C
			k.produce(t, ctx, k.topics.Orders, sampleOrder(n))
			n++
		}
	}
	send(2 * time.Second)
	eventually(t, 15*time.Second, "orders before the outage", countIs(t, ctx, w, "SELECT count() FROM orders FINAL", uint64(n)))

	p.setUp(false)
	t.Logf("ClickHouse down for %s", outage)
	before := n
	send(outage)
	if got := count(t, ctx, w, "SELECT count() FROM orders"); got != uint64(before) {
		t.Fatalf("orders = %d while ClickHouse was unreachable, want %d", got, before)
	}
	if ok, _ := k.committedAll(ctx, DefaultGroup, k.topics.Orders); ok {
		t.Fatal("offsets committed for records not stored")
	}
	p.setUp(true)
	send(2 * time.Second)

	eventually(t, 60*time.Second, fmt.Sprintf("all %d orders stored after the outage", n), func() (bool, string) {
		var rows, ids uint64
		if err := w.Conn().QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM orders FINAL").Scan(&rows, &ids); err != nil {
			return false, err.Error()
		}
		if rows > uint64(n) {
			t.Fatalf("orders FINAL = %d, want %d: duplicates", rows, n)
		}
		return rows == uint64(n) && ids == uint64(n), fmt.Sprintf("orders FINAL %d rows %d event ids, want %d", rows, ids, n)
	})
	eventually(t, 15*time.Second, "offsets committed", func() (bool, string) {
		return k.committedAll(ctx, DefaultGroup, k.topics.Orders)
	})
	t.Logf("%d orders, %d sent during the outage, all stored once", n, n-before)
}
