package broker

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestCrashWithOpenTransaction: the broker dies (no clean Close) while a
// transaction is open; the restarted producer (same transactional id, so
// the same producer id) commits more records. A read_committed consumer
// reading from the start must see every committed record and none of the
// open transaction's: without the repair pass kfake aborts the open
// transaction without an abort marker, and such a consumer skips all of
// the producer's later batches.
func TestCrashWithOpenTransaction(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := Start(Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	txn := func() *kgo.Client {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.TransactionalID("crashy"), kgo.DefaultProduceTopic("t"),
			kgo.RecordPartitioner(kgo.ManualPartitioner()))
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	produce := func(cl *kgo.Client, commit bool, vals ...string) {
		t.Helper()
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if commit {
			if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
				t.Fatal(err)
			}
		}
	}
	adm, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kadm.NewClient(adm).CreateTopic(ctx, 1, 1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	cl := txn()
	produce(cl, true, "c1", "c2")
	produce(cl, false, "open1", "open2") // left open by the crash
	// A crash image: what is on disk now (writes are synced per batch),
	// including the running marker, as SIGKILL would leave it.
	crashed := t.TempDir()
	if err := os.CopyFS(crashed, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	b.Close()
	cl.Close()

	b, err = Start(Config{Listen: addr, DataDir: crashed})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cl = txn()
	defer cl.Close()
	produce(cl, true, "c3", "c4")

	rd, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("t"), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var got []string
	for len(got) < 4 {
		fs := rd.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read_committed from the start saw %v, want [c1 c2 c3 c4]", got)
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	if fmt.Sprint(got) != "[c1 c2 c3 c4]" {
		t.Fatalf("read_committed from the start saw %v, want [c1 c2 c3 c4]", got)
	}
}
