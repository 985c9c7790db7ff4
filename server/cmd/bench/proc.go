package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// repoRoot is the directory of newswidget's go.mod, found from the working
// directory upwards.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module newswidget")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the newswidget module: run from the repository (make bench)")
		}
		dir = parent
	}
}

// raiseFileLimit lifts the soft limit on open files to the hard one; the
// server children inherit it.
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	return l.Cur, nil
}

// children are the processes the bench started, killed if it ends early.
var children struct {
	sync.Mutex
	procs map[int]*exec.Cmd
}

func track(c *exec.Cmd) {
	children.Lock()
	defer children.Unlock()
	if children.procs == nil {
		children.procs = map[int]*exec.Cmd{}
	}
	children.procs[c.Process.Pid] = c
}

func untrack(c *exec.Cmd) {
	children.Lock()
	defer children.Unlock()
	delete(children.procs, c.Process.Pid)
}

// killChildren ends every process the bench started and has not stopped,
// each by its own pid: SIGTERM first (nginx's master then stops its
// workers), SIGKILL half a second later.
func killChildren() {
	children.Lock()
	defer children.Unlock()
	for _, c := range children.procs {
		c.Process.Signal(syscall.SIGTERM)
	}
	if len(children.procs) > 0 {
		time.Sleep(500 * time.Millisecond)
	}
	for pid, c := range children.procs {
		c.Process.Kill()
		delete(children.procs, pid)
	}
}

// command prepares a child that dies with the bench.
func command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return c
}

// stopProcess asks a child to stop, then kills it after grace.
func stopProcess(c *exec.Cmd, sig os.Signal, grace time.Duration) {
	if c == nil || c.Process == nil {
		return
	}
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	c.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(grace):
		c.Process.Kill()
		<-done
	}
	untrack(c)
}

// freePort returns a TCP port that is free on host right now.
func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// widgetServer is the real newswidget binary running as a child process.
type widgetServer struct {
	cmd   *exec.Cmd
	Addr  string // host:port
	URL   string // http://host:port
	Data  string // its -data directory
	Token string // its -admin-token
	log   *os.File
}

// benchToken authorises publishing on the bench's servers.
const benchToken = "bench-admin-token-0123"

// startWidget starts the server binary on a free 127.0.0.1 port over the
// data directory (created and seeded by the server when new) and waits
// until it answers /healthz; extra flags follow the bench's own.
func startWidget(ctx context.Context, bin, data, logDir string, extra ...string) (*widgetServer, error) {
	port, err := freePort("127.0.0.1")
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logf, err := os.CreateTemp(logDir, "newswidget-*.log")
	if err != nil {
		return nil, err
	}
	c := command(bin, append([]string{"-addr", addr, "-data", data, "-admin-token", benchToken}, extra...)...)
	c.Stdout, c.Stderr = logf, logf
	if err := c.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	track(c)
	ws := &widgetServer{cmd: c, Addr: addr, URL: "http://" + addr, Data: data, Token: benchToken, log: logf}
	if err := waitHTTP(ctx, ws.URL+"/healthz", 30*time.Second); err != nil {
		ws.Stop()
		return nil, fmt.Errorf("the server did not answer: %w (log %s)", err, logf.Name())
	}
	return ws, nil
}

// Pid is the server process's id.
func (ws *widgetServer) Pid() int { return ws.cmd.Process.Pid }

// Stop ends the server as a deployment would (SIGTERM).
func (ws *widgetServer) Stop() {
	stopProcess(ws.cmd, syscall.SIGTERM, 10*time.Second)
	ws.log.Close()
}

// waitHTTP polls url until it answers 200, within limit.
func waitHTTP(ctx context.Context, url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cl := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := cl.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last: %v)", url, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// rssBytes reads a process's resident set size from /proc.
func rssBytes(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// sourceAddr is the i-th loopback address the bench sends from when it
// must look like many clients: the server limits event-stream connects and
// publishing per client address, as it should against one reader or one
// script, while a real audience comes from many addresses. Each of these
// carries at most perAddr clients, within the server's per-address burst.
func sourceAddr(i, perAddr int) net.IP {
	block := i / perAddr
	return net.IPv4(127, 10+byte(block/62500), byte(block/250%250), byte(block%250+1))
}

// clientFrom is an HTTP client whose connections leave from ip.
func clientFrom(ip net.IP, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: ip}}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4}}
}

// loadAvg is the machine's one-minute load average, from /proc/loadavg.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// waitQuiet waits, up to most, for the machine's one-minute load average
// to fall below 1 (of 2 cores), and returns the load it starts at: the
// main-thread figures at 4× CPU moved by hundreds of milliseconds when a
// phase began right after a busy one (load 4.7 against 1.6).
func waitQuiet(ctx context.Context, most time.Duration) (from float64) {
	from = loadAvg()
	for end := time.Now().Add(most); loadAvg() >= 1 && time.Now().Before(end) && ctx.Err() == nil; {
		time.Sleep(2 * time.Second)
	}
	return from
}

// run runs a command in dir, with extra environment, returning its output
// in the error when it fails.
func run(ctx context.Context, dir string, env []string, name string, args ...string) error {
	c := exec.CommandContext(ctx, name, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), env...)
	out, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// output runs a command and returns its trimmed standard output.
func output(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// aptUpdated says whether this run already refreshed Debian's lists.
var aptUpdated bool

// ensureTool installs a Debian package when its command is missing.
func ensureTool(ctx context.Context, command, pkg string) (string, error) {
	if p, err := exec.LookPath(command); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/" + command, "/usr/bin/" + command} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("%s is not installed and the bench is not root: apt-get install %s", command, pkg)
	}
	fmt.Fprintf(os.Stderr, "bench: installing %s (apt-get install -y %s)\n", command, pkg)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	if !aptUpdated {
		if err := run(ctx, "/", env, "apt-get", "update"); err != nil {
			return "", err
		}
		aptUpdated = true
	}
	if err := run(ctx, "/", env, "apt-get", "install", "-y", "--no-install-recommends", pkg); err != nil {
		return "", err
	}
	for _, p := range []string{"/usr/sbin/" + command, "/usr/bin/" + command} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return exec.LookPath(command)
}

// cpuTime is the CPU time (user and system) process pid has used so far,
// from /proc/PID/stat; zero when it cannot be read.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// the command name, field 2, may hold spaces: count from its ")"
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)       // utime, field 14
	s, _ := strconv.ParseInt(f[12], 10, 64)       // stime, field 15
	return time.Duration(u+s) * time.Second / 100 // USER_HZ is 100 on Linux
}
