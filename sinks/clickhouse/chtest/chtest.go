package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
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

	proc *process // set for a Private server only
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
		p, err := start(bin, args, freePorts)
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

// Private starts a ClickHouse server for t alone and returns a fresh
// database on it, as New does. Unlike the shared server, t may stop it
// (Stop, SIGTERM), kill it (Kill, SIGKILL) and start it again (Start) on
// the same data directory and ports, to test what happens while ClickHouse
// is down and after it comes back. Its ports are outside the kernel's
// ephemeral range, so no outgoing connection takes them while it is down.
// The server is stopped and its files removed when t ends.
//
// Private needs a local server binary even when HELDSWAY_TEST_CLICKHOUSE is
// set (a remote server cannot be stopped); without one it skips t, or fails
// it under CI=true, like New. Each Private server costs a server start
// (seconds) and its memory: use New unless the test stops the server.
func Private(t testing.TB) *Server {
	t.Helper()
	bin, args, err := findServer(serverCandidates)
	if !usable(t, err) {
		return nil
	}
	var p *process
	for attempt := 0; ; attempt++ {
		if p, err = start(bin, args, privatePorts); err != nil {
			t.Fatalf("chtest: %v", err)
		}
		conn, err := p.ready(startTimeout)
		if err == nil {
			_ = conn.Close()
			break
		}
		logTail := p.logTail()
		p.stop()
		if attempt == 0 && strings.Contains(logTail, "Address already in use") {
			continue
		}
		t.Fatalf("chtest: starting clickhouse-server: %v\n%s", err, logTail)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("chtest: end of the private server's logs:\n%s", p.logTail())
		}
		p.stop()
	})
	db := databaseName(t.Name())
	return &Server{DSN: "clickhouse://" + p.addr + "/" + db, Database: db, Addr: p.addr, proc: p}
}

// stopTimeout bounds how long Stop waits for a server to shut down after
// SIGTERM.
const stopTimeout = 30 * time.Second

// Stop shuts a Private server down with SIGTERM (a clean stop) and waits
// until it has exited. Its files stay; Start starts it again. Stopping a
// stopped server does nothing. t fails if the server takes longer than 30s
// (it is then killed) or is not Private.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.halt(t, syscall.SIGTERM)
}

// Kill stops a Private server with SIGKILL, as a crash or the OOM killer
// would: no shutdown, whatever it was doing is cut off. It returns once the
// process is gone. Its files stay; Start starts it again.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.halt(t, syscall.SIGKILL)
}

func (s *Server) halt(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if s.proc == nil {
		t.Fatalf("chtest: only a Private server can be stopped")
	}
	if err := s.proc.halt(sig, stopTimeout); err != nil {
		t.Fatalf("chtest: stopping the server: %v\n%s", err, s.proc.logTail())
	}
}

// Start starts a stopped Private server again on the same data directory
// and ports and waits until it answers (at most a minute), failing t
// otherwise.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if s.proc == nil {
		t.Fatalf("chtest: only a Private server can be started")
	}
	begin := time.Now()
	attempts, err := s.proc.restart(startTimeout)
	if err != nil {
		t.Fatalf("chtest: restarting clickhouse-server: %v\n%s", err, s.proc.logTail())
	}
	t.Logf("chtest: server at %s answers again after %s (%d start attempts)", s.Addr, time.Since(begin).Round(time.Millisecond), attempts)
}

// Running reports whether a Private server's process is running (it may
// not answer yet). It is false for a server that is not Private.
func (s *Server) Running() bool { return s.proc != nil && s.proc.running() }

// process is a private clickhouse-server: its files, its ports and its
// current (or last) run. Restarts reuse the files and ports.
type process struct {
	bin  string
	args []string // before --config-file
	cfg  string   // rendered config.xml
	dir  string
	addr string

	mu struct {
		sync.Mutex
		run     *run
		logFrom map[string]int64 // log sizes when run started
	}
	once sync.Once // stop
}

// run is one execution of the server.
type run struct {
	pid    int
	exited chan struct{} // closed when the server exits
	err    error         // why it exited, once exited is closed
}

// logNames are the files logTail shows, under the data dir's log/.
var logNames = []string{"stdout.log", "clickhouse-server.err.log"}

// start renders the configuration into a temporary directory and starts
// the server on loopback ports from ports.
func start(bin string, args []string, ports func() (int, int, error)) (*process, error) {
	dir, err := os.MkdirTemp("", "heldsway-chtest-")
	if err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}
	native, http, err := ports()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	cfg, err := deploy.Render(deploy.Params{DataDir: dir, NativePort: native, HTTPPort: http})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("rendering config: %w", err)
	}
	p := &process{bin: bin, args: args, cfg: cfg, dir: dir, addr: fmt.Sprintf("127.0.0.1:%d", native)}
	if err := p.spawn(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// spawn starts a run of the server.
func (p *process) spawn() error {
	from := map[string]int64{}
	for _, name := range logNames {
		if fi, err := os.Stat(filepath.Join(p.dir, "log", name)); err == nil {
			from[name] = fi.Size()
		}
	}
	out, err := os.OpenFile(filepath.Join(p.dir, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("opening log: %w", err)
	}
	r := &run{exited: make(chan struct{})}

	// The server must not outlive the test binary, even one that never
	// calls Close. Pdeathsig fires when the thread that started the child
	// exits, so start it from a goroutine locked to its thread that lives
	// exactly as long as the child.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer out.Close()
		cmd := exec.Command(p.bin, append(slices.Clone(p.args), "--config-file="+p.cfg)...)
		cmd.Dir = p.dir
		cmd.Stdout, cmd.Stderr = out, out
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			started <- fmt.Errorf("running %s: %w", p.bin, err)
			close(r.exited)
			return
		}
		r.pid = cmd.Process.Pid
		started <- nil
		r.err = cmd.Wait()
		close(r.exited)
	}()
	if err := <-started; err != nil {
		return err
	}
	p.mu.Lock()
	p.mu.run, p.mu.logFrom = r, from
	p.mu.Unlock()
	return nil
}

// current returns the current or last run.
func (p *process) current() *run {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.run
}

// running reports whether the current run has not exited.
func (p *process) running() bool {
	select {
	case <-p.current().exited:
		return false
	default:
		return true
	}
}

// ready waits until the server answers a ping, it exits, or timeout.
func (p *process) ready(timeout time.Duration) (driver.Conn, error) {
	r := p.current()
	deadline := time.Now().Add(timeout)
	dsn := "clickhouse://" + p.addr
	for {
		conn, err := connect(dsn, time.Second)
		if err == nil {
			return conn, nil
		}
		select {
		case <-r.exited:
			return nil, fmt.Errorf("server exited: %v", r.err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("server did not answer within %s: %w", timeout, err)
		}
	}
}

// restart starts a stopped server again and waits until it answers,
// returning how many runs that took. A port the old run held can stay busy
// for a moment, so a run that fails with "Address already in use" is
// retried until timeout.
func (p *process) restart(timeout time.Duration) (int, error) {
	if p.running() {
		return 0, errors.New("the server is running; stop it first")
	}
	deadline := time.Now().Add(timeout)
	for attempt := 1; ; attempt++ {
		if err := p.spawn(); err != nil {
			return attempt, err
		}
		conn, err := p.ready(time.Until(deadline))
		if err == nil {
			return attempt, conn.Close()
		}
		if p.running() {
			_ = p.halt(syscall.SIGKILL, stopTimeout)
			return attempt, err
		}
		if !strings.Contains(p.logTail(), "Address already in use") || time.Now().After(deadline) {
			return attempt, err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// halt sends sig to the server, unless it has exited, and waits up to wait
// for it to exit. A server still running then is killed, and halt returns
// an error.
func (p *process) halt(sig syscall.Signal, wait time.Duration) error {
	r := p.current()
	select {
	case <-r.exited:
		return nil
	default:
	}
	_ = syscall.Kill(r.pid, sig)
	select {
	case <-r.exited:
		return nil
	case <-time.After(wait):
		_ = syscall.Kill(r.pid, syscall.SIGKILL)
		<-r.exited
		return fmt.Errorf("did not exit within %s of %v; killed", wait, sig)
	}
}

// stop ends the server (SIGTERM, then SIGKILL after 10s) and removes its
// files.
func (p *process) stop() {
	p.once.Do(func() {
		_ = p.halt(syscall.SIGTERM, 10*time.Second)
		_ = os.RemoveAll(p.dir)
	})
}

// logTail returns the end of the current run's output and error log.
func (p *process) logTail() string {
	p.mu.Lock()
	from := p.mu.logFrom
	p.mu.Unlock()
	var b strings.Builder
	for _, name := range logNames {
		data, err := os.ReadFile(filepath.Join(p.dir, "log", name))
		if err != nil {
			continue
		}
		if n := from[name]; n <= int64(len(data)) {
			data = data[n:]
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

// privatePorts returns two distinct free loopback ports below the kernel's
// ephemeral range, where outgoing connections never take them: a stopped
// Private server finds its ports free again when it restarts. It falls
// back to freePorts when the range is unknown or leaves no room below.
func privatePorts() (int, int, error) {
	low := ephemeralLow()
	if low < 2048+1024 {
		return freePorts()
	}
	lo := max(1024, low-16384)
	var ports []int
	for try := 0; try < 100 && len(ports) < 2; try++ {
		port := lo + mrand.IntN(low-lo)
		if slices.Contains(ports, port) {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		_ = l.Close()
		ports = append(ports, port)
	}
	if len(ports) < 2 {
		return freePorts()
	}
	return ports[0], ports[1], nil
}

// ephemeralLow returns the first port of the kernel's ephemeral range
// (Linux), or 0 when it cannot be read.
func ephemeralLow() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) != 2 {
		return 0
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil {
		return 0
	}
	return low
}
