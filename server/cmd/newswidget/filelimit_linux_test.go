package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFileLimitAndStreamCap starts the binary as a service manager with a
// low soft open-file limit would (soft 200, hard 400, through prlimit) and
// then attacks it with more event streams than it has descriptors. main
// must raise the soft limit to the hard one, derive a cap of 200 streams
// from 400 descriptors (MaxStreamsFor: a reserve of 200 for the rest),
// refuse every stream over the cap with 503, and keep answering /healthz,
// /embed, the API and publishing at once while the cap is full. Without
// the cap, the streams take every descriptor, accept fails, and all of
// those wait.
func TestFileLimitAndStreamCap(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit (util-linux) is not installed")
	}
	const (
		soft, hard = 200, 400
		wantCap    = 200 // MaxStreamsFor(400), pinned by server's TestMaxStreamsFor
		attempts   = 450 // more than the process has descriptors
		addresses  = 8   // so no address reaches its share (a quarter) first
	)
	if ln, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		t.Skipf("127.0.0.2 is not a loopback address here: %v", err)
	} else {
		ln.Close()
	}
	addr := freeAddr(t)
	p, err := spawnPrefixed([]string{prlimit, fmt.Sprintf("--nofile=%d:%d", soft, hard), "--"},
		"-addr", addr, "-data", t.TempDir(), "-admin-token", testToken, "-events-limit", "off")
	if err != nil {
		t.Fatal(err)
	}
	n := &node{name: "limited", url: "http://" + addr, proc: p}
	t.Cleanup(func() {
		n.stop(t)
		if t.Failed() {
			t.Logf("node output:\n%s", n.out)
		}
	})
	if err := n.waitReady(readyTimeout); err != nil {
		t.Fatal(err)
	}

	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Max open files\s+(\d+)\s+(\d+)`).FindSubmatch(limits)
	if m == nil {
		t.Fatalf("no open-file limit in /proc/PID/limits:\n%s", limits)
	}
	if got := string(m[1]) + "/" + string(m[2]); got != fmt.Sprintf("%d/%d", hard, hard) {
		t.Errorf("open-file limit (soft/hard) of the server: got %s, want %d/%d", got, hard, hard)
	}
	if got := metricOf(t, n.url, "newswidget_sse_streams_max"); got != wantCap {
		t.Errorf("newswidget_sse_streams_max: got %v, want %d", got, wantCap)
	}

	// The attack: streams from several addresses, held open, until well past
	// the descriptors the server has.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var trs []*http.Transport
	for i := range addresses {
		d := &net.Dialer{Timeout: 3 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(11+i))}}
		tr := &http.Transport{DialContext: d.DialContext, ResponseHeaderTimeout: 3 * time.Second, DisableKeepAlives: true}
		t.Cleanup(tr.CloseIdleConnections)
		trs = append(trs, tr)
	}
	open, refused := 0, 0
	for i := range attempts {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.url+"/api/events?since=0", nil)
		resp, err := trs[i%addresses].RoundTrip(req)
		if err != nil {
			t.Fatalf("stream %d (%d open, %d refused): %v", i+1, open, refused, err)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			open++
			t.Cleanup(func() { resp.Body.Close() })
		case http.StatusServiceUnavailable:
			refused++
			if secs, _ := strconv.Atoi(resp.Header.Get("Retry-After")); secs < 5 || secs > 15 {
				t.Errorf("a refused stream's Retry-After: got %q, want 5 to 15 s", resp.Header.Get("Retry-After"))
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		default:
			t.Fatalf("stream %d: status %d, want 200 or 503", i+1, resp.StatusCode)
		}
	}
	if open != wantCap || refused != attempts-wantCap {
		t.Errorf("streams: got %d open and %d refused, want %d and %d", open, refused, wantCap, attempts-wantCap)
	}

	// Everything else answers at once.
	client := &http.Client{Timeout: 2 * time.Second}
	probes := []struct {
		method, path, body string
		want               int
	}{
		{http.MethodGet, "/healthz", "", http.StatusOK},
		{http.MethodGet, "/embed", "", http.StatusOK},
		{http.MethodGet, "/api/articles", "", http.StatusOK},
		{http.MethodPost, "/api/articles", `{"id":"under-attack","title":"Published under attack"}`, http.StatusCreated},
	}
	for _, pr := range probes {
		req, _ := http.NewRequest(pr.method, n.url+pr.path, strings.NewReader(pr.body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("%s %s with the streams full: %v", pr.method, pr.path, err)
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != pr.want {
			t.Errorf("%s %s with the streams full: got %d, want %d", pr.method, pr.path, resp.StatusCode, pr.want)
		}
		t.Logf("%s %s with the streams full: %d in %v", pr.method, pr.path, resp.StatusCode, time.Since(start).Round(time.Millisecond))
	}
}

// spawnPrefixed starts the test binary as a newswidget process with args,
// through a wrapper command that execs it (prlimit … --), like spawn.
func spawnPrefixed(prefix []string, args ...string) (*proc, error) {
	p := &proc{out: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(prefix[0], append(prefix[1:], os.Args[0])...)
	p.cmd.Env = childEnv(args)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = sysProcAttr()
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // see spawn: the parent-death signal follows this thread
		defer runtime.UnlockOSThread()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	return p, <-started
}

// metricOf reads an unlabelled series from base's /metrics.
func metricOf(t *testing.T, base, name string) float64 {
	t.Helper()
	body := get(t, base+"/metrics", http.StatusOK)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("/metrics has no %s", name)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}
