package chtest_test

import (
	"context"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/heldsway/heldsway/sinks/clickhouse/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

func TestNewGivesFreshDatabases(t *testing.T) {
	a, b := chtest.New(t), chtest.New(t)
	if a.Database == b.Database {
		t.Fatalf("two tests share database %s", a.Database)
	}
	if a.Addr != b.Addr {
		t.Fatalf("servers differ: %s and %s; want one per test binary", a.Addr, b.Addr)
	}
	opts, err := ch.ParseDSN(a.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Auth.Database != a.Database {
		t.Fatalf("DSN %s names database %q, want %q", a.DSN, opts.Auth.Database, a.Database)
	}
	opts.Auth.Database = ""
	conn, err := ch.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var one uint8
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	if err := conn.Exec(ctx, "CREATE DATABASE "+a.Database); err != nil {
		t.Fatalf("creating the fresh database: %v", err)
	}
}
