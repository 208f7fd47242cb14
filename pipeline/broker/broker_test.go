package broker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{DataDir: "/tmp/x"}, true},
		{"no data dir", Config{}, false},
		{"bad address", Config{DataDir: "d", Listen: "nonsense"}, false},
		{"unspecified host", Config{DataDir: "d", Listen: "0.0.0.0:9092"}, false},
		{"hostname", Config{DataDir: "d", Listen: "kafka.example:9092"}, false},
		{"localhost", Config{DataDir: "d", Listen: "localhost:0"}, true},
		{"bad port", Config{DataDir: "d", Listen: "127.0.0.1:99999"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestRestartKeepsRecordsAndOffsets starts a broker on a data directory,
// writes records and commits a group offset, restarts it on the same
// directory, and reads everything back.
func TestRestartKeepsRecordsAndOffsets(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	b, err := Start(Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 3, 1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	const n = 300
	var recs []*kgo.Record
	for i := 0; i < n; i++ {
		recs = append(recs, &kgo.Record{Topic: "t", Key: []byte(fmt.Sprint(i % 17)), Value: []byte(fmt.Sprint("v", i))})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// Commit offset 10 on partition 0 for group g.
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: "t", Partition: 0, At: 10, LeaderEpoch: -1})
	if _, err := adm.CommitOffsets(ctx, "g", offs); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	b.Close()

	// Restart on the same directory and address.
	b2, err := Start(Config{Listen: addr, DataDir: dir})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer b2.Close()
	cl2, err := kgo.NewClient(kgo.SeedBrokers(b2.Addr()), kgo.ConsumeTopics("t"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl2.Close()
	got := map[string]bool{}
	for len(got) < n {
		fs := cl2.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("after restart read %d of %d records: %v", len(got), n, err)
		}
		fs.EachRecord(func(r *kgo.Record) { got[string(r.Value)] = true })
	}
	for i := 0; i < n; i++ {
		if !got[fmt.Sprint("v", i)] {
			t.Fatalf("record v%d lost across restart", i)
		}
	}
	fetched, err := kadm.NewClient(cl2).FetchOffsets(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := fetched.Lookup("t", 0); !ok || o.At != 10 {
		t.Fatalf("committed offset after restart = %+v (found %v), want 10", o, ok)
	}
}
