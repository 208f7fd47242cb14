package clickhouse

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/sinks/clickhouse/chtest"
)

// BenchmarkWriteOrders measures ClickHouse insert rows/s through the
// Writer: batches of 10,000 orders (the sink's default flush size) into the
// orders table over the native protocol.
func BenchmarkWriteOrders(b *testing.B) {
	srv := chtest.New(b)
	ctx := context.Background()
	w, err := Open(ctx, WriterConfig{DSN: srv.DSN})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	const batch = 10_000
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]Row, batch)
	key, email := "vabcdefghijklmnopqrstuvwxyz", "25387fe26d2177a4b4618fca8205ff2af67a4dd25871977dd91f4751e80f5673"
	for i := range rows {
		o := schemas.Order{
			OrderID: fmt.Sprint(i), Platform: "shopify", StoreID: "shop.myshopify.com", SourceEvent: "orders/paid", Currency: "EUR",
			Subtotal: 10000, Discount: 1000, Total: 9000, Codes: []schemas.AppliedCode{{Code: "SARAH10", Amount: 1000}},
			Customer: schemas.Customer{Key: key, VisitorID: &key, EmailHash: &email}, OccurredAt: at, ReceivedAt: at,
		}
		rows[i] = Row{Record: &o, Partition: 0}
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i := range rows {
			o := rows[i].Record.(*schemas.Order)
			o.EventID = fmt.Sprintf("%d-%d", n, i)
			rows[i].Offset = int64(n*batch + i)
		}
		if err := w.Write(ctx, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
}
