package codesync

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// TestIntegrationWriter runs the Syncer as the Syncer of a real Writer on
// kfake, the two made by NewWriter as ingest and the codes command make them: a Put syncs the code to the stores in the background and records
// the outcome through the same Writer (which must not call the Syncer
// again, nor block on its own lock).
func TestIntegrationWriter(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	conn := kafka.Conn{Brokers: cluster.ListenAddrs()}
	adm, err := conn.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(adm.Close)
	ctx := ctxT(t)
	topic := "hs.codes.sync.v1"
	if _, err := kadm.NewClient(adm).CreateTopic(ctx, 1, 1, map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}, topic); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.NewRegistry(registry.RegistryConfig{Topic: topic, Serde: schemas.NewSerde(), Conn: conn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	if err := reg.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC()}
	ps := newPlatforms(t, clk)
	w, s, err := NewWriter(reg, registry.WriterConfig{Conn: conn}, Config{
		Remotes: remotesOf(ps),
		Now:     clk.Now,
		Sleep:   (&sleeps{}).Sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)

	c := testCode("Kafka10")
	if _, err := w.Put(ctx, c, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := reg.Get("KAFKA10")
	if len(got.Platforms) != 4 || got.Version != 2 {
		t.Fatalf("after sync: version %d, %+v", got.Version, got.Platforms)
	}
	for _, p := range got.Platforms {
		if p.Status != registry.SyncSynced || p.RemoteID == nil {
			t.Fatalf("%+v", p)
		}
	}
	// A platform-invalid code is reported by the write itself.
	bad := testCode("Kafka_10")
	res, err := w.Apply(ctx, []registry.Change{{Code: bad.Code, Value: &bad}}, registry.ApplyOptions{})
	if err != nil || res.SyncErr == nil {
		t.Fatalf("Apply: %v, SyncErr %v", err, res.SyncErr)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := reg.Get("KAFKA_10"); len(st.Platforms) != 4 {
		t.Fatalf("%+v", st.Platforms)
	}
}
