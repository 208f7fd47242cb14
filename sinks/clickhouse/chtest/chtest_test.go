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

// TestPrivateStopKillStart: a Private server is the test's own; it comes
// back from a clean stop and from SIGKILL on the same address with its
// data.
func TestPrivateStopKillStart(t *testing.T) {
	srv := chtest.Private(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if shared := chtest.New(t); shared.Addr == srv.Addr {
		t.Fatalf("private server at the shared server's address %s", srv.Addr)
	}
	if !srv.Running() {
		t.Fatal("not running after Private")
	}
	// A fresh connection per use: 18.16 waits up to 10s for an idle
	// connection to notice a SIGTERM.
	open := func() ch.Conn {
		t.Helper()
		opts, err := ch.ParseDSN("clickhouse://" + srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		opts.DialTimeout = time.Second
		conn, err := ch.Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		return conn
	}
	conn := open()
	for _, q := range []string{
		"CREATE DATABASE " + srv.Database,
		"CREATE TABLE " + srv.Database + ".t (x UInt32) ENGINE = MergeTree ORDER BY x",
		"INSERT INTO " + srv.Database + ".t (x) SELECT toUInt32(number) FROM system.numbers LIMIT 3",
	} {
		if err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close()
	check := func(when string) {
		t.Helper()
		var n uint64
		conn := open()
		defer conn.Close()
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+srv.Database+".t").Scan(&n); err != nil || n != 3 {
			t.Fatalf("%s: count = %d, %v; want 3", when, n, err)
		}
	}
	for _, c := range []struct {
		name string
		stop func(testing.TB)
	}{{"SIGTERM", srv.Stop}, {"SIGKILL", srv.Kill}} {
		stopping := time.Now()
		c.stop(t)
		t.Logf("%s: stopped in %s", c.name, time.Since(stopping).Round(time.Millisecond))
		if srv.Running() {
			t.Fatalf("running after %s", c.name)
		}
		if conn := open(); conn.Ping(ctx) == nil {
			t.Fatalf("ping answered after %s", c.name)
		} else {
			conn.Close()
		}
		c.stop(t) // stopping a stopped server does nothing
		srv.Start(t)
		check("after " + c.name)
	}
}
