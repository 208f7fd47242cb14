package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
)

// TestHelperBrokerProcess is the broker child of TestSIGKILLDuringCommits:
// the test binary re-executed with HELDSWAY_TEST_BROKER_DIR set.
func TestHelperBrokerProcess(t *testing.T) {
	dir := os.Getenv("HELDSWAY_TEST_BROKER_DIR")
	if dir == "" {
		t.Skip("the broker child of TestSIGKILLDuringCommits")
	}
	b, err := Start(Config{Listen: os.Getenv("HELDSWAY_TEST_BROKER_ADDR"), DataDir: dir, Logger: zap.NewExample(zap.IncreaseLevel(zap.InfoLevel))})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the broker:", err)
		os.Exit(1)
	}
	fmt.Println("broker ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	b.Close()
}

// brokerChild is a broker running in a child process.
type brokerChild struct {
	cmd  *exec.Cmd
	done chan struct{}

	mu  sync.Mutex
	out bytes.Buffer
}

func (c *brokerChild) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

func startBrokerChild(t *testing.T, dir, addr string) *brokerChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBrokerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HELDSWAY_TEST_BROKER_DIR="+dir, "HELDSWAY_TEST_BROKER_ADDR="+addr)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	c := &brokerChild{cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		defer close(c.done)
		buf := make([]byte, 4096)
		signalled := false
		for {
			n, err := pr.Read(buf)
			c.mu.Lock()
			c.out.Write(buf[:n])
			up := bytes.Contains(c.out.Bytes(), []byte("broker ready"))
			c.mu.Unlock()
			if !signalled && up {
				signalled = true
				close(ready)
			}
			if err != nil {
				pr.Close()
				_ = cmd.Wait()
				return
			}
		}
	}()
	select {
	case <-ready:
	case <-c.done:
		t.Fatalf("broker child exited: %s", c.output())
	case <-time.After(60 * time.Second):
		c.kill()
		t.Fatalf("broker child not ready after 60s: %s", c.output())
	}
	return c
}

func (c *brokerChild) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// TestSIGKILLDuringCommits runs a consume-transform-produce loop (as
// pipeline/stream does: one transaction per polled batch, outputs to two
// partitions, consumed offsets committed in the transaction) against a
// broker in a child process, which it SIGKILLs and restarts again and
// again while transactions commit. Every input must end up with exactly
// one committed output.
func TestSIGKILLDuringCommits(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a broker process repeatedly")
	}
	kills := 12
	if v, err := strconv.Atoi(os.Getenv("HELDSWAY_TEST_BROKER_KILLS")); err == nil {
		kills = v
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var (
		mu    sync.Mutex
		child = startBrokerChild(t, dir, addr)
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		if t.Failed() {
			t.Logf("last broker output:\n%s", child.output())
		}
		child.kill()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for _, topic := range []string{"in", "out"} {
		if _, err := adm.CreateTopic(ctx, 2, 1, nil, topic); err != nil {
			t.Fatal(err)
		}
	}
	const n = 20000
	var ins []*kgo.Record
	for i := range n {
		ins = append(ins, &kgo.Record{Topic: "in", Partition: int32(i % 2), Value: []byte(strconv.Itoa(i))})
	}
	if err := cl.ProduceSync(ctx, ins...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	// The processor: a fresh session after any error, as a stage does.
	stop := make(chan struct{})
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	var commits, failures int
	procDone := make(chan struct{})
	go func() {
		defer close(procDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			err := func() error {
				sess, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(addr), kgo.ConsumerGroup("g"), kgo.ConsumeTopics("in"),
					kgo.TransactionalID("stage-0"), kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.RequireStableFetchOffsets(),
					kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
					kgo.TransactionTimeout(10*time.Second), kgo.SessionTimeout(6*time.Second), kgo.RetryTimeout(5*time.Second))
				if err != nil {
					return err
				}
				defer sess.Close()
				for {
					select {
					case <-stop:
						return nil
					default:
					}
					fs := sess.PollRecords(pctx, 20)
					if pctx.Err() != nil {
						return nil
					}
					var ferr error
					fs.EachError(func(topic string, p int32, err error) {
						ferr = errors.Join(ferr, fmt.Errorf("%s/%d: %w", topic, p, err))
					})
					if ferr != nil {
						return ferr
					}
					if fs.NumRecords() == 0 {
						continue
					}
					if err := sess.Begin(); err != nil {
						return err
					}
					var perr error
					fs.EachRecord(func(r *kgo.Record) {
						sess.Produce(ctx, &kgo.Record{Topic: "out", Partition: r.Partition, Value: r.Value}, func(_ *kgo.Record, err error) {
							if err != nil {
								mu.Lock()
								perr = err
								mu.Unlock()
							}
						})
					})
					if err := sess.Client().Flush(ctx); err != nil {
						return err
					}
					mu.Lock()
					abort := perr != nil
					mu.Unlock()
					ectx, ecancel := context.WithTimeout(ctx, 15*time.Second)
					committed, err := sess.End(ectx, kgo.TransactionEndTry(!abort))
					ecancel()
					if err != nil {
						return err
					}
					if committed {
						mu.Lock()
						commits++
						mu.Unlock()
					}
					if abort {
						return perr
					}
				}
			}()
			if err != nil {
				mu.Lock()
				failures++
				mu.Unlock()
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()

	// Kill the broker at random points while the processor commits.
	committed := func() int {
		mu.Lock()
		defer mu.Unlock()
		return commits
	}
	completed := 0
	for k := range kills {
		// Transactions are flowing again after the last restart.
		for c := committed(); committed() < c+3; {
			if ctx.Err() != nil {
				t.Fatalf("kill %d: no transaction committed: %v", k, ctx.Err())
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		mu.Lock()
		child.kill()
		mu.Unlock()
		c := startBrokerChild(t, dir, addr)
		if strings.Contains(c.output(), "completed a transaction commit that a crash interrupted") {
			completed++
		}
		mu.Lock()
		child = c
		mu.Unlock()
	}

	// Let the processor finish: the group's committed offsets reach the
	// end of the input.
	for {
		offs, err := adm.FetchOffsets(ctx, "g")
		done := 0
		if err == nil {
			offs.Each(func(o kadm.OffsetResponse) {
				if o.Topic == "in" && o.Err == nil && o.At == n/2 {
					done++
				}
			})
		}
		if done == 2 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the processor did not finish: offsets %v (%v)", offs, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	close(stop)
	pcancel()
	<-procDone

	got := readCommitted(ctx, t, addr, "out")
	dups, missing := 0, 0
	for i := range n {
		switch c := got[strconv.Itoa(i)]; {
		case c == 0:
			missing++
		case c > 1:
			dups++
		}
	}
	mu.Lock()
	t.Logf("%d kills (%d interrupted a commit that the restart completed), %d transactions committed, %d processor sessions failed; outputs: %d missing, %d duplicated",
		kills, completed, commits, failures, missing, dups)
	mu.Unlock()
	if dups > 0 || missing > 0 {
		t.Errorf("after %d broker SIGKILLs: %d inputs without output, %d with more than one: consumed offsets and outputs did not commit together", kills, missing, dups)
	}
}
