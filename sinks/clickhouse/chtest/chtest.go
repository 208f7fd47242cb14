package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	deploy "github.com/heldsway/heldsway/deploy/clickhouse"
)

// EnvDSN names the environment variable that points tests at an existing
// ClickHouse server instead of a private one.
const EnvDSN = "HELDSWAY_TEST_CLICKHOUSE"

// startTimeout bounds how long a private server may take to answer.
const startTimeout = 60 * time.Second

// Server is one test's database on a ClickHouse server.
type Server struct {
	// DSN is the native-protocol DSN of Database, e.g.
	// clickhouse://127.0.0.1:41234/test_orders_3f2a9c.
	DSN string
	// Database is the fresh database's name. It does not exist yet.
	Database string
	// Addr is the server's native address, host:port.
	Addr string
}

// ErrNotInstalled is the reason New skips: no ClickHouse server binary.
var ErrNotInstalled = errors.New("chtest: clickhouse-server is not installed (apt-get install -y clickhouse-server, or set " + EnvDSN + ")")

// shared is the server every test in this binary uses.
var shared struct {
	once sync.Once
	err  error
	base *url.URL // DSN of the server, no database
	conn driver.Conn
	proc *process // nil when EnvDSN is set
}

// New returns a fresh database for t on the shared server, starting the
// server on first use. The database is dropped when t ends.
func New(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() { shared.err = setup(serverCandidates) })
	if !usable(t, shared.err) {
		return nil
	}

	db := databaseName(t.Name())
	u := *shared.base
	u.Path = "/" + db
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := shared.conn.Exec(ctx, "DROP DATABASE IF EXISTS `"+db+"`"); err != nil {
			t.Errorf("chtest: dropping %s: %v", db, err)
		}
	})
	return &Server{DSN: u.String(), Database: db, Addr: u.Host}
}

// Main runs the tests and then stops the private server, if one was
// started, and exits. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Close()
	os.Exit(code)
}

// Close stops the private server and removes its files. It is safe to call
// when none was started, and more than once.
func Close() {
	if shared.conn != nil {
		_ = shared.conn.Close()
	}
	if shared.proc != nil {
		shared.proc.stop()
	}
}

// usable skips or fails t for a setup error and reports whether the
// server can be used. A missing binary skips, except under CI=true; any
// other error fails.
func usable(t testing.TB, err error) bool {
	t.Helper()
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrNotInstalled) && os.Getenv("CI") != "true":
		t.Skip(err)
	case errors.Is(err, ErrNotInstalled):
		t.Fatalf("%v; CI=true, so not skipping", err)
	default:
		t.Fatalf("chtest: %v", err)
	}
	return false
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// databaseName derives a unique, valid database name from a test name.
func databaseName(test string) string {
	name := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(test), "_"), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "test_" + name + "_" + hex.EncodeToString(b[:])
}

// setup finds or starts the shared server and connects to it.
func setup(candidates []candidate) error {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		u, err := url.Parse(dsn)
		if err != nil {
			return fmt.Errorf("parsing %s: %w", EnvDSN, err)
		}
		u.Path = ""
		shared.base = u
		conn, err := connect(u.String(), startTimeout)
		if err != nil {
			return fmt.Errorf("connecting to %s=%s: %w", EnvDSN, dsn, err)
		}
		shared.conn = conn
		return nil
	}

	bin, args, err := findServer(candidates)
	if err != nil {
		return err
	}
	// Two attempts: free ports are picked before the server binds them, so
	// another process can take one in between.
	for attempt := 0; ; attempt++ {
		p, err := start(bin, args)
		if err != nil {
			return err
		}
		conn, err := p.ready(startTimeout)
		if err == nil {
			shared.proc, shared.conn = p, conn
			shared.base = &url.URL{Scheme: "clickhouse", Host: p.addr}
			return nil
		}
		logTail := p.logTail()
		p.stop()
		if attempt == 0 && strings.Contains(logTail, "Address already in use") {
			continue
		}
		return fmt.Errorf("starting clickhouse-server: %w\n%s", err, logTail)
	}
}

// candidate is a way to run a ClickHouse server: a binary and the
// arguments before --config-file.
type candidate struct {
	bin  string
	args []string
}

// serverCandidates are tried in order: clickhouse-server (Debian, older
// packages), then the single clickhouse binary (current packages).
var serverCandidates = []candidate{
	{bin: "clickhouse-server"}, {bin: "/usr/sbin/clickhouse-server"}, {bin: "/usr/bin/clickhouse-server"},
	{bin: "clickhouse", args: []string{"server"}}, {bin: "/usr/bin/clickhouse", args: []string{"server"}},
	{bin: "/usr/local/bin/clickhouse", args: []string{"server"}},
}

// findServer returns the first candidate installed.
func findServer(candidates []candidate) (string, []string, error) {
	for _, c := range candidates {
		if p, err := exec.LookPath(c.bin); err == nil {
			return p, c.args, nil
		}
	}
	return "", nil, ErrNotInstalled
}

// process is a private clickhouse-server.
type process struct {
	dir    string
	addr   string
	pid    int
	exited chan struct{} // closed when the server exits
	err    error         // why it exited, once exited is closed
	once   sync.Once
}

// start renders the configuration into a temporary directory and starts
// the server on free loopback ports.
func start(bin string, args []string) (*process, error) {
	dir, err := os.MkdirTemp("", "heldsway-chtest-")
	if err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}
	native, http, err := freePorts()
	if err != nil {
		return nil, err
	}
	cfg, err := deploy.Render(deploy.Params{DataDir: dir, NativePort: native, HTTPPort: http})
	if err != nil {
		return nil, fmt.Errorf("rendering config: %w", err)
	}
	out, err := os.Create(filepath.Join(dir, "log", "stdout.log"))
	if err != nil {
		return nil, fmt.Errorf("creating log: %w", err)
	}
	p := &process{dir: dir, addr: fmt.Sprintf("127.0.0.1:%d", native), exited: make(chan struct{})}

	// The server must not outlive the test binary, even one that never
	// calls Close. Pdeathsig fires when the thread that started the child
	// exits, so start it from a goroutine locked to its thread that lives
	// exactly as long as the child.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer out.Close()
		cmd := exec.Command(bin, append(args, "--config-file="+cfg)...)
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = out, out
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			started <- fmt.Errorf("running %s: %w", bin, err)
			close(p.exited)
			return
		}
		p.pid = cmd.Process.Pid
		started <- nil
		p.err = cmd.Wait()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// ready waits until the server answers a ping, it exits, or timeout.
func (p *process) ready(timeout time.Duration) (driver.Conn, error) {
	deadline := time.Now().Add(timeout)
	dsn := "clickhouse://" + p.addr
	for {
		conn, err := connect(dsn, time.Second)
		if err == nil {
			return conn, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("server exited: %v", p.err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("server did not answer within %s: %w", timeout, err)
		}
	}
}

// stop ends the server (SIGTERM, then SIGKILL after 10s) and removes its
// files.
func (p *process) stop() {
	p.once.Do(func() {
		select {
		case <-p.exited:
		default:
			_ = syscall.Kill(p.pid, syscall.SIGTERM)
			select {
			case <-p.exited:
			case <-time.After(10 * time.Second):
				_ = syscall.Kill(p.pid, syscall.SIGKILL)
				<-p.exited
			}
		}
		_ = os.RemoveAll(p.dir)
	})
}

// logTail returns the end of the server's output and error log.
func (p *process) logTail() string {
	var b strings.Builder
	for _, name := range []string{"stdout.log", "clickhouse-server.err.log"} {
		data, err := os.ReadFile(filepath.Join(p.dir, "log", name))
		if err != nil {
			continue
		}
		if len(data) > 4000 {
			data = data[len(data)-4000:]
		}
		fmt.Fprintf(&b, "--- %s:\n%s\n", name, data)
	}
	return b.String()
}

// connect opens a native connection to dsn and pings it.
func connect(dsn string, timeout time.Duration) (driver.Conn, error) {
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parsing dsn: %w", err)
	}
	opts.Protocol = ch.Native
	opts.DialTimeout = timeout
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// freePorts returns two distinct free loopback ports.
func freePorts() (int, int, error) {
	var ports [2]int
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, fmt.Errorf("finding a free port: %w", err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1], nil
}
