package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server/internal/pgtest"
	"newswidget/server/seed"
)

// The test binary doubles as the newswidget binary: with nodeEnv=1 in its
// environment it runs main() with the JSON-encoded arguments in argsEnv
// instead of the tests, so a test can start real server processes (and kill
// them) from the very code the deployable binary runs.
const (
	nodeEnv = "NEWSWIDGET_TEST_NODE"
	argsEnv = "NEWSWIDGET_TEST_ARGS"
)

func TestMain(m *testing.M) {
	if os.Getenv(nodeEnv) == "1" {
		var args []string
		if err := json.Unmarshal([]byte(os.Getenv(argsEnv)), &args); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", argsEnv, err)
			os.Exit(3)
		}
		// main() rather than run(), so that its exit codes (0 for -h, 1 for
		// an error) and its dispatch of `publish` are what the tests see.
		os.Args = append([]string{"newswidget"}, args...)
		main()
		os.Exit(0)
	}
	pgtest.Main(m) // runs the tests, then removes the shared PostgreSQL cluster
}

// Bounds of every wait in these tests.
const (
	readyTimeout = 20 * time.Second // a node's start until /healthz answers 200
	stopTimeout  = 10 * time.Second // SIGTERM until the process exits, before SIGKILL
	eventTimeout = 5 * time.Second  // an SSE event that must come
	httpTimeout  = 5 * time.Second  // one HTTP request
)

const testToken = "s3cret-token-0123456"

// seedArticles is the embedded default content every fresh store gets.
var seedArticles = func() []news.Article {
	l, err := seed.Articles()
	if err != nil {
		panic(err)
	}
	return l
}()

// lockedBuffer collects a child's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// proc is a child process running the newswidget code.
type proc struct {
	cmd    *exec.Cmd
	out    *lockedBuffer // stdout and stderr together
	exited chan struct{} // closed once the process has been reaped
	err    error         // cmd.Wait's, valid once exited is closed
}

// childEnv is the test's environment without NEWSWIDGET_ variables, so a
// developer's settings cannot change the nodes, plus the node switch.
func childEnv(args []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NEWSWIDGET_") {
			env = append(env, kv)
		}
	}
	b, _ := json.Marshal(args)
	return append(env, nodeEnv+"=1", argsEnv+"="+string(b))
}

// spawn starts the test binary as a newswidget process with args.
func spawn(args ...string) (*proc, error) {
	p := &proc{out: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0])
	p.cmd.Env = childEnv(args)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = sysProcAttr()
	started := make(chan error, 1)
	go func() {
		// The parent-death signal (see sysProcAttr) fires when the thread
		// that forked the child ends: keep it until the child is reaped, so
		// that a test binary killed by -timeout takes its nodes with it.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// exitCode is the process's exit status, -1 if a signal ended it.
func (p *proc) exitCode() int { return p.cmd.ProcessState.ExitCode() }

// wait waits up to d for the process to exit.
func (p *proc) wait(d time.Duration) bool {
	select {
	case <-p.exited:
		return true
	case <-time.After(d):
		return false
	}
}

// runNode runs a newswidget process to its end and returns its exit code and
// output; the process is killed if it runs past the timeout.
func runNode(t *testing.T, args ...string) (int, string) {
	t.Helper()
	p, err := spawn(args...)
	if err != nil {
		t.Fatalf("start newswidget %q: %v", args, err)
	}
	if !p.wait(stopTimeout) {
		p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("newswidget %q still running after %v; output:\n%s", args, stopTimeout, p.out)
	}
	return p.exitCode(), p.out.String()
}

// node is a newswidget server running as a child process.
type node struct {
	name string
	url  string // http://127.0.0.1:PORT
	*proc
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startNode starts a server process with args (plus -addr on a free loopback
// port), waits until its /healthz answers 200, and stops it when t ends.
func startNode(t *testing.T, name string, args ...string) *node {
	t.Helper()
	return startNodes(t, map[string][]string{name: args})[name]
}

// startNodes starts several server processes at once, then waits for all
// of them, so that they race through their start-up together.
func startNodes(t *testing.T, specs map[string][]string) map[string]*node {
	t.Helper()
	nodes := map[string]*node{}
	for name, args := range specs {
		nodes[name] = spawnNode(t, name, args)
	}
	for name, n := range nodes {
		// A port found free may have been taken before the child bound it:
		// such a node is started again on another.
		for attempt := 1; ; attempt++ {
			err := n.waitReady(readyTimeout)
			if err == nil {
				break
			}
			if attempt < 3 && strings.Contains(n.out.String(), "address already in use") {
				*n = *spawnNode(t, name, specs[name])
				continue
			}
			t.Fatalf("node %s: %v; its output:\n%s", name, err, n.out)
		}
	}
	return nodes
}

func spawnNode(t *testing.T, name string, args []string) *node {
	t.Helper()
	addr := freeAddr(t)
	p, err := spawn(append([]string{"-addr", addr}, args...)...)
	if err != nil {
		t.Fatalf("start node %s: %v", name, err)
	}
	n := &node{name: name, url: "http://" + addr, proc: p}
	t.Cleanup(func() {
		n.stop(t)
		if t.Failed() {
			t.Logf("node %s (%s) output:\n%s", name, n.url, n.out)
		}
	})
	return n
}

// waitReady polls /healthz until it answers 200, the process exits, or d passes.
func (n *node) waitReady(d time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(d)
	for {
		resp, err := client.Get(n.url + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		select {
		case <-n.exited:
			return fmt.Errorf("exited during start-up (%v)", n.err)
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/healthz not 200 within %v (last: %v)", d, err)
		}
	}
}

// stop sends SIGTERM, then SIGKILL if the node has not exited after
// stopTimeout, and returns the exit code (-1 when a signal ended it).
func (n *node) stop(t *testing.T) int {
	t.Helper()
	select {
	case <-n.exited:
		return n.exitCode()
	default:
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	if !n.wait(stopTimeout) {
		t.Errorf("node %s still running %v after SIGTERM; killing it", n.name, stopTimeout)
		n.cmd.Process.Kill()
		<-n.exited
	}
	return n.exitCode()
}

// kill9 kills the node outright, as a crash or `kill -9` would, and waits
// for it to be gone.
func (n *node) kill9(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 node %s: %v", n.name, err)
	}
	if !n.wait(stopTimeout) {
		t.Fatalf("node %s not gone %v after SIGKILL", n.name, stopTimeout)
	}
}

var httpClient = &http.Client{Timeout: httpTimeout}

// do sends one request and returns the status and body.
func do(t *testing.T, method, url, token string, body any) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp.StatusCode, b, resp.Header
}

// get fetches url and fails t unless the status is want.
func get(t *testing.T, url string, want int) []byte {
	t.Helper()
	status, body, _ := do(t, http.MethodGet, url, "", nil)
	if status != want {
		t.Fatalf("GET %s: status got %d, want %d; body: %s", url, status, want, body)
	}
	return body
}

// listArticles returns GET /api/articles?limit=50 of base.
func listArticles(t *testing.T, base string) []news.Article {
	t.Helper()
	var out struct {
		Articles []news.Article `json:"articles"`
	}
	body := get(t, base+"/api/articles?limit=50", http.StatusOK)
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("GET %s/api/articles: %v in %s", base, err, body)
	}
	return out.Articles
}

// findArticle returns the article with id in list.
func findArticle(list []news.Article, id string) (news.Article, bool) {
	for _, a := range list {
		if a.ID == id {
			return a, true
		}
	}
	return news.Article{}, false
}

// publishAPI creates an article through POST /api/articles and returns it.
func publishAPI(t *testing.T, base string, a map[string]any) news.Article {
	t.Helper()
	status, body, _ := do(t, http.MethodPost, base+"/api/articles", testToken, a)
	if status != http.StatusCreated {
		t.Fatalf("POST %s/api/articles %v: status got %d, want 201; body: %s", base, a, status, body)
	}
	var got news.Article
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("POST %s/api/articles: %v in %s", base, err, body)
	}
	return got
}

// sseEvent is one dispatched Server-Sent Event.
type sseEvent struct {
	id   int64
	typ  string
	data string
}

// articleID is the id in the event's JSON data.
func (e sseEvent) articleID() string {
	var v struct {
		ID string `json:"id"`
	}
	json.Unmarshal([]byte(e.data), &v)
	return v.ID
}

func (e sseEvent) String() string { return fmt.Sprintf("#%d %s %s", e.id, e.typ, e.articleID()) }

// sseStream is an open GET /api/events.
type sseStream struct {
	url    string
	events chan sseEvent // closed when the stream ends
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	err    error // why the stream ended: nil for a clean EOF
}

// openSSE connects to base's event stream, resuming after lastID unless it
// is empty, and closes it when t ends.
func openSSE(t *testing.T, base, lastID string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	// No client timeout: the stream is meant to stay open. The dial and the
	// headers are bounded by the timer below.
	timer := time.AfterFunc(httpTimeout, cancel)
	resp, err := http.DefaultClient.Do(req)
	timer.Stop()
	if err != nil {
		t.Fatalf("GET %s/api/events: %v", base, err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		t.Fatalf("GET %s/api/events: got %s %q, want 200 text/event-stream; body: %s", base, resp.Status, resp.Header.Get("Content-Type"), b)
	}
	s := &sseStream{url: base, events: make(chan sseEvent, 1024), ctx: ctx, cancel: cancel}
	go s.read(resp.Body)
	return s
}

// read parses the stream as the EventSource algorithm does: fields up to a
// blank line make one event, dispatched when it has data.
func (s *sseStream) read(body io.ReadCloser) {
	defer close(s.events)
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var ev sseEvent
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if len(data) > 0 {
				ev.data = strings.Join(data, "\n")
				select {
				case s.events <- ev:
				case <-s.ctx.Done(): // the test is over
					return
				}
			}
			ev, data = sseEvent{id: ev.id}, nil
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.id, _ = strconv.ParseInt(value, 10, 64)
		case "event":
			ev.typ = value
		case "data":
			data = append(data, value)
		}
	}
	s.mu.Lock()
	s.err = sc.Err()
	if s.err == nil && len(data) > 0 {
		s.err = io.ErrUnexpectedEOF // an event cut short
	}
	s.mu.Unlock()
}

// next returns the next event, failing t if none comes within d.
func (s *sseStream) next(t *testing.T, d time.Duration) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatalf("event stream of %s ended (%v) while an event was expected", s.url, s.endErr())
		}
		return ev
	case <-time.After(d):
		t.Fatalf("no event from %s within %v", s.url, d)
	}
	panic("unreachable")
}

// nextN returns the next n events, each within d.
func (s *sseStream) nextN(t *testing.T, n int, d time.Duration) []sseEvent {
	t.Helper()
	evs := make([]sseEvent, n)
	for i := range evs {
		evs[i] = s.next(t, d)
	}
	return evs
}

// waitEnd waits up to d for the stream to end, skipping any events, and
// returns why it ended (nil for a clean EOF).
func (s *sseStream) waitEnd(t *testing.T, d time.Duration) error {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return s.endErr()
			}
		case <-timeout:
			t.Fatalf("event stream of %s still open %v after it should have ended", s.url, d)
		}
	}
}

func (s *sseStream) endErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// wantEvents checks the ids, types and order of events against want, given
// as "type:articleID", and that their sequence numbers increase.
func wantEvents(t *testing.T, got []sseEvent, want ...string) {
	t.Helper()
	var g []string
	for _, e := range got {
		g = append(g, e.typ+":"+e.articleID())
	}
	if strings.Join(g, " ") != strings.Join(want, " ") {
		t.Errorf("events got %v, want %v", g, want)
	}
	for i := 1; i < len(got); i++ {
		if got[i].id <= got[i-1].id {
			t.Errorf("event ids not increasing: %v then %v", got[i-1], got[i])
		}
	}
}
