// Package pgtest is a test kit: it starts throwaway PostgreSQL servers for
// tests, from the binaries of an installed PostgreSQL (Debian's
// /usr/lib/postgresql/*/bin, or PATH). Nothing that ships imports it.
//
// Start hands each test a fresh, empty database on one cluster shared by the
// whole test binary, so the ~1 s of initdb and start-up is paid once, not per
// test. New makes a private cluster for a test that stops or restarts the
// server. A test binary may call Main from its TestMain to shut the shared
// cluster down and remove its files at exit; without it the server still dies
// with the test binary (it is started with a parent-death signal) and the
// files left behind are swept by the next run.
//
// When no PostgreSQL is installed the tests that need one are skipped, unless
// the environment has CI=true, where the build installs PostgreSQL and a
// missing one is a failure.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bounds of the waits, generous for a loaded CI machine; a server that takes
// longer is broken, and the test says so instead of hanging.
const (
	startTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
	initTimeout  = 2 * time.Minute
	adminTimeout = 30 * time.Second
)

// superuser is the cluster's superuser, whatever OS user runs the server.
const superuser = "postgres"

// dirPrefix names the temporary directories of clusters, so a later run can
// find and remove those that a killed test binary left behind.
const dirPrefix = "pgtest-"

// Server is one throwaway PostgreSQL cluster listening on 127.0.0.1.
type Server struct {
	// DSN is the URL of the database "newswidget" that New creates, empty on
	// the shared cluster, whose tests get their own databases from Start.
	DSN string
	// Port is the TCP port, kept across Stop and Start so DSNs stay valid.
	Port int

	bin  binaries
	root string // temporary directory: data/, sock/, postgres.log, owner
	cred *syscall.Credential

	mu      sync.Mutex
	proc    *os.Process   // nil while stopped
	exited  chan struct{} // closed when proc has been reaped
	waitErr error         // why proc exited, valid once exited is closed
	closed  bool
}

// binaries are the paths of the PostgreSQL programs used.
type binaries struct {
	initdb, postgres string
	major            int
}

// New starts a private cluster for t, with an empty database "newswidget"
// at s.DSN, and removes it when t ends; t is skipped if PostgreSQL is not
// installed (failed under CI=true).
func New(t testing.TB) *Server {
	t.Helper()
	bin, err := findBinaries()
	if err != nil {
		missing(t, err)
	}
	s, err := newServer(bin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(s.Close)
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if err := s.createDatabase(ctx, "newswidget"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	s.DSN = s.URL("newswidget")
	return s
}

// Start returns the DSN of a fresh, empty database on the test binary's
// shared cluster, and stop, which drops it (t's cleanup calls stop too); t
// is skipped if PostgreSQL is not installed (failed under CI=true).
func Start(t testing.TB) (dsn string, stop func()) {
	t.Helper()
	s := sharedServer(t)
	return s.NewDatabase(t)
}

// URL returns the DSN of database db on s.
func (s *Server) URL(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

var dbCounter atomic.Int64

// NewDatabase creates an empty database on s and returns its DSN and stop,
// which drops it, closing whatever connections still use it; t's cleanup
// calls stop too.
func (s *Server) NewDatabase(t testing.TB) (dsn string, stop func()) {
	t.Helper()
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), dbCounter.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if err := s.createDatabase(ctx, name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
			defer cancel()
			// FORCE: a test that failed halfway may leave a store open.
			if err := s.admin(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
				t.Errorf("pgtest: drop database %s: %v", name, err)
			}
		})
	}
	t.Cleanup(stop)
	return s.URL(name), stop
}

// createDatabase makes database name from template0 with UTF-8 text and a
// linguistic default collation (ICU "en" where available), so a query that
// leans on the database's collation for byte order fails its tests here
// rather than in production.
func (s *Server) createDatabase(ctx context.Context, name string) error {
	q := `CREATE DATABASE ` + name + ` TEMPLATE template0 ENCODING 'UTF8'`
	if s.bin.major >= 15 {
		q += ` LOCALE 'C.UTF-8' LOCALE_PROVIDER icu ICU_LOCALE 'en'`
		if err := s.admin(ctx, q); err == nil {
			return nil
		}
		q = `CREATE DATABASE ` + name + ` TEMPLATE template0 ENCODING 'UTF8'`
	}
	if err := s.admin(ctx, q); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// admin runs one statement as the superuser in the maintenance database.
func (s *Server) admin(ctx context.Context, sql string) error {
	c, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	_, err = c.Exec(ctx, sql)
	return err
}

// Stop shuts the server down (a fast shutdown: sessions are cut, as when a
// real server restarts) and waits for it to exit; the data stay for Start.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked()
}

func (s *Server) stopLocked() error {
	if s.proc == nil {
		return nil
	}
	defer func() { s.proc = nil }()
	// SIGINT is PostgreSQL's fast shutdown, SIGQUIT its immediate one.
	for _, step := range []struct {
		sig  os.Signal
		wait time.Duration
	}{{syscall.SIGINT, stopTimeout}, {syscall.SIGQUIT, 5 * time.Second}, {syscall.SIGKILL, 5 * time.Second}} {
		s.proc.Signal(step.sig)
		select {
		case <-s.exited:
			return nil
		case <-time.After(step.wait):
		}
	}
	return fmt.Errorf("pgtest: postgres (pid %d) did not exit after SIGKILL", s.proc.Pid)
}

// Start starts a stopped server again on the same port and data directory
// and waits until it accepts connections.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("pgtest: Start after Close")
	}
	if s.proc != nil {
		return nil
	}
	return s.startLocked()
}

// Close stops the server and removes its files.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.stopLocked()
	os.RemoveAll(s.root)
}

// Log returns the server's log so far, for a failing test to show.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.root, "postgres.log"))
	return string(b)
}

// baseDir is where clusters' directories go: the temporary directory, unless
// the server's user could not reach into it (TMPDIR under /root, say).
func baseDir(cred *syscall.Credential) string {
	dir := os.TempDir()
	if cred == nil {
		return dir
	}
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return dir
		}
	}
}

func (s *Server) dataDir() string { return filepath.Join(s.root, "data") }
func (s *Server) sockDir() string { return filepath.Join(s.root, "sock") }

// newServer runs initdb into a new temporary directory and starts the server
// on a free port.
func newServer(bin binaries) (*Server, error) {
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	base := baseDir(cred)
	sweepOnce.Do(func() { sweep(base) })
	root, err := os.MkdirTemp(base, dirPrefix)
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, root: root, cred: cred}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	// The server's user must reach its directories below ours.
	if err := os.Chmod(root, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(root, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	for _, d := range []string{s.dataDir(), s.sockDir()} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
		if cred != nil {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, err
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	defer cancel()
	// --no-sync and fsync=off below: the cluster is thrown away, and syncing
	// would make every test wait on the disk.
	cmd := exec.CommandContext(ctx, bin.initdb, "-D", s.dataDir(), "-U", superuser, "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	cmd.Dir = root
	cmd.Env = serverEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	// A port found free may be taken before the server binds it; try another.
	for attempt := 0; ; attempt++ {
		if s.Port, err = freePort(); err != nil {
			return nil, err
		}
		s.mu.Lock()
		err = s.startLocked()
		s.mu.Unlock()
		if err == nil || attempt == 4 || !strings.Contains(s.Log(), "could not bind") {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// startLocked starts postgres and waits until it accepts connections.
func (s *Server) startLocked() error {
	logf, err := os.OpenFile(filepath.Join(s.root, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	// postgres is run directly rather than through pg_ctl, which detaches it:
	// as our child it can carry a parent-death signal, so a test binary
	// killed by -timeout takes its servers with it.
	// Tests connect over TCP; the socket lives in a directory of its own so
	// that it cannot clash with a system server's, or is left out when the
	// path would pass the kernel's limit of about 107 bytes.
	sock := s.sockDir()
	if len(sock)+len("/.s.PGSQL.65535.lock") > 107 {
		sock = ""
	}
	cmd := exec.Command(s.bin.postgres, "-D", s.dataDir(), "-p", strconv.Itoa(s.Port), "-k", sock,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=300", "-c", "log_min_messages=warning")
	cmd.Dir = s.root
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr(s.cred)
	exited := make(chan struct{})
	started := make(chan error, 1)
	go func() {
		// The parent-death signal fires when the thread that forked the
		// child ends, not the process: keep this thread until postgres exits.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.waitErr = cmd.Wait()
		close(exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.proc, s.exited = cmd.Process, exited

	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := pgx.Connect(ctx, s.URL("postgres"))
		cancel()
		if err == nil {
			c.Close(context.Background())
			return nil
		}
		select {
		case <-exited:
			s.proc = nil
			return fmt.Errorf("postgres exited at start-up (%v); its log:\n%s", s.waitErr, tail(s.Log()))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stopLocked()
			return fmt.Errorf("postgres did not accept connections within %v (last: %v); its log:\n%s", startTimeout, err, tail(s.Log()))
		}
	}
}

func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-30):], "\n")
}

// serverEnv is a small, fixed environment, so the developer's PG* variables
// or locale cannot change the cluster.
func serverEnv() []string {
	return []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C", "TZ=UTC"}
}

// serverCredential returns the user to run PostgreSQL as, which refuses to
// run as root: postgres if it exists, else nobody; nil when not root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, and there is neither a postgres nor a nobody user to run PostgreSQL as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var versionDir = regexp.MustCompile(`/postgresql/(\d+)(?:\.\d+)?/bin/initdb$`)

// findBinaries picks the newest of Debian's installed versions, else the
// initdb on PATH with the postgres beside it.
func findBinaries() (binaries, error) {
	var found []binaries
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	for _, initdb := range matches {
		m := versionDir.FindStringSubmatch(initdb)
		if m == nil {
			continue
		}
		major, _ := strconv.Atoi(m[1])
		b := binaries{initdb: initdb, postgres: filepath.Join(filepath.Dir(initdb), "postgres"), major: major}
		if isExec(b.postgres) {
			found = append(found, b)
		}
	}
	if len(found) > 0 {
		return slices.MaxFunc(found, func(a, b binaries) int { return a.major - b.major }), nil
	}
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		return binaries{}, errors.New("no initdb in /usr/lib/postgresql/*/bin or on PATH")
	}
	b := binaries{initdb: initdb, postgres: filepath.Join(filepath.Dir(initdb), "postgres")}
	if !isExec(b.postgres) {
		if b.postgres, err = exec.LookPath("postgres"); err != nil {
			return binaries{}, fmt.Errorf("%s found but no postgres beside it or on PATH", initdb)
		}
	}
	out, err := exec.Command(b.postgres, "--version").Output()
	if err != nil {
		return binaries{}, fmt.Errorf("%s --version: %w", b.postgres, err)
	}
	if m := regexp.MustCompile(`(\d+)\.`).FindSubmatch(out); m != nil {
		b.major, _ = strconv.Atoi(string(m[1]))
	}
	return b, nil
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// missing skips t for want of PostgreSQL, or fails it under CI=true, where
// the build installs PostgreSQL so that these tests always run.
func missing(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("pgtest: PostgreSQL is required under CI=true: %v", err)
	}
	t.Skipf("PostgreSQL is not installed (%v); install the postgresql package to run this test", err)
}

// The shared cluster, started by the first Start of the test binary.
var (
	sharedMu  sync.Mutex
	shared    *Server
	sharedErr error // a failed start is not retried by every test
)

func sharedServer(t testing.TB) *Server {
	t.Helper()
	bin, err := findBinaries()
	if err != nil {
		missing(t, err)
	}
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = newServer(bin)
	}
	if sharedErr != nil {
		t.Fatalf("pgtest: shared cluster: %v", sharedErr)
	}
	return shared
}

// Main runs the tests of m and then shuts the shared cluster down and removes
// its files; call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	sharedMu.Lock()
	if shared != nil {
		shared.Close()
	}
	sharedMu.Unlock()
	os.Exit(code)
}

var sweepOnce sync.Once

// sweep removes the directories of clusters whose test binary is gone, which
// happens when one is killed before its cleanup runs.
func sweep(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}
