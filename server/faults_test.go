package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/feed"
	"newswidget/server/internal/rofs"
	"newswidget/server/internal/testserver"
	"newswidget/server/seed"
	"newswidget/server/sqlite"
)

// serverOn starts a test server over a seeded store in dir, which the
// caller may break.
func serverOn(t *testing.T, dir string, opts ...func(*server.Options)) *testServer {
	t.Helper()
	o := server.Options{
		AdminToken: testToken, Heartbeat: 50 * time.Millisecond,
		Logger:      slog.New(slog.DiscardHandler),
		EventsLimit: server.RateLimit{Burst: -1}, PublishLimit: server.RateLimit{Burst: -1},
	}
	return wrapServer(t, testserver.Start(t, testserver.Config{Dir: dir, Options: o}, opts...))
}

// unwritable runs the read-only-store scenario: once breakStore has made
// the store refuse writes, every publishing request answers 503 with a
// JSON error that says why, every read still answers 200, nothing changes;
// once repair has run, publishing works again and reaches open streams.
func unwritable(t *testing.T, ts *testServer, seq func() int64, breakStore, repair func()) {
	t.Helper()
	state := func() string {
		r := ts.get(t, "/api/articles?limit=50", nil)
		wantStatus(t, r, http.StatusOK)
		return fmt.Sprintf("seq %d\n%s", seq(), r.Body)
	}
	a := ts.publish(t, obj{"id": "before-fault", "title": "Published before the fault", "flash": true})
	stream := ts.openSSE(t, "/api/events", hdr{"Last-Event-ID": strconv.FormatInt(seq(), 10)}, false)
	before := state()

	breakStore()
	for _, w := range []struct{ method, path, body string }{
		{"POST", "/api/articles", `{"title":"During the fault"}`},
		{"PUT", "/api/articles/" + a.ID, `{"title":"Changed during the fault"}`},
		{"DELETE", "/api/articles/" + a.ID, ""},
		{"POST", "/api/articles", `{"title":"Twice"}`},
	} {
		var body []byte
		if w.body != "" {
			body = []byte(w.body)
		}
		e := wantError(t, ts.do(t, w.method, w.path, body, auth), http.StatusServiceUnavailable, news.EUnavailable, "")
		if !strings.Contains(e.Message, "cannot accept writes") {
			t.Errorf("%s %s: message %q, want it to say the store cannot accept writes", w.method, w.path, e.Message)
		}
		if w.method == "POST" {
			t.Logf("%s %s: 503 %q", w.method, w.path, e.Message)
		}
	}
	for _, path := range []string{"/api/articles", "/api/articles?flash=true&limit=3", "/api/articles/" + a.ID,
		"/api/articles/" + seed.ArticleID, "/articles/" + a.ID, "/embed?layout=list", "/healthz", "/widget.js"} {
		if r := ts.get(t, path, nil); r.Status != http.StatusOK {
			t.Errorf("GET %s during the fault: %d, want 200: %.200s", path, r.Status, r.Body)
		}
	}
	fresh := ts.openSSE(t, "/api/events", nil, false)
	if evs := fresh.Events(t, seedCount+1, wait); evs[len(evs)-1].ID != strconv.FormatInt(seq(), 10) {
		t.Errorf("a stream opened during the fault replayed up to %s", evs[len(evs)-1].ID)
	}
	stream.NoEventFor(t, 100*time.Millisecond)
	if got := state(); got != before {
		t.Errorf("the store changed during the fault")
	}

	repair()
	b := ts.publish(t, obj{"id": "after-fault", "title": "Published after the repair"})
	if ev := stream.NextEvent(t, wait); !strings.Contains(ev.Data, b.ID) {
		t.Errorf("the open stream got %+v, want the article published after the repair", ev)
	}
}

// TestReadOnlyStore makes the database read-only under a running server:
// its files immutable (as a read-only remount would: writes through the
// open descriptors fail, for root too); and, where that attribute is not
// available, its files capped at their size by RLIMIT_FSIZE in a child
// process (as a full disk would). chmod is no test here: the tests run as
// root, and no mode stops writes through descriptors already open.
func TestReadOnlyStore(t *testing.T) {
	t.Run("immutable files", func(t *testing.T) {
		dir := t.TempDir()
		ts := serverOn(t, dir)
		files := []string{filepath.Join(dir, sqlite.FileName), filepath.Join(dir, sqlite.FileName+"-wal"), dir}
		if err := rofs.SetImmutable(files[0], true); err != nil {
			t.Skipf("the immutable attribute is not available here (%v); the child-process test covers this", err)
		}
		rofs.SetImmutable(files[0], false)
		repair := func() {
			for _, f := range files {
				if err := rofs.SetImmutable(f, false); err != nil {
					t.Errorf("chattr -i %s: %v", f, err)
				}
			}
		}
		t.Cleanup(repair) // or TempDir cannot remove them
		unwritable(t, ts, func() int64 { return ts.lastSeq(t) }, func() {
			for _, f := range files {
				if err := rofs.SetImmutable(f, true); err != nil {
					t.Fatalf("chattr +i %s: %v", f, err)
				}
			}
		}, repair)
	})

	t.Run("file size limit", func(t *testing.T) {
		child := exec.Command(os.Args[0], "-test.run=^TestReadOnlyStoreChild$")
		child.Env = append(os.Environ(), "NEWSWIDGET_FAULT_CHILD_DIR="+t.TempDir())
		stdin, _ := child.StdinPipe()
		stdout, _ := child.StdoutPipe()
		child.Stderr = os.Stderr
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close(); child.Wait() })
		lines := bufio.NewScanner(stdout)
		say := func(cmd string) string {
			t.Helper()
			if cmd != "" {
				fmt.Fprintln(stdin, cmd)
			}
			for lines.Scan() {
				if l, ok := strings.CutPrefix(lines.Text(), "child: "); ok {
					return l
				}
			}
			t.Fatalf("the child process ended: %v", lines.Err())
			return ""
		}
		url := say("")
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		ts := &testServer{URL: url, client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
		// The child's store is its own: its sequence as /healthz tells it.
		seq := func() int64 { return decode[struct{ Seq int64 }](t, ts.get(t, "/healthz", nil).Body).Seq }
		unwritable(t, ts, seq, func() { say("limit") }, func() { say("unlimit") })
	})
}

// TestReadOnlyStoreChild is the server process of the file size limit
// test: it serves a store in $NEWSWIDGET_FAULT_CHILD_DIR and caps or uncaps
// RLIMIT_FSIZE when told on stdin.
func TestReadOnlyStoreChild(t *testing.T) {
	dir := os.Getenv("NEWSWIDGET_FAULT_CHILD_DIR")
	if dir == "" {
		t.Skip("the child process of TestReadOnlyStore")
	}
	hs := serverOn(t, dir)
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &orig); err != nil {
		t.Fatal(err)
	}
	fmt.Println("child: " + hs.URL)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		lim := orig
		if in.Text() == "limit" {
			lim.Cur = 1 // no write may reach past a file's first byte
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			t.Fatal(err)
		}
		fmt.Println("child: ok")
	}
}

// TestFeedDiesMidResponse has a feed server break its connection halfway
// through the document in several ways: the poll fails, the articles of the
// last good poll stay in place and on the API, and /healthz names the error.
func TestFeedDiesMidResponse(t *testing.T) {
	good := `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link><description>d</description>` +
		`<item><guid>a</guid><title>Alpha from the wire</title><link>https://wire.example/a</link><pubDate>Mon, 04 Mar 2024 10:00:00 GMT</pubDate></item>` +
		`<item><guid>b</guid><title>Beta from the wire</title><link>https://wire.example/b</link><pubDate>Mon, 04 Mar 2024 11:00:00 GMT</pubDate></item>` +
		`</channel></rss>`
	changed := strings.ReplaceAll(good, "from the wire", "rewritten")
	var mode atomic.Value
	mode.Store("good")
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := mode.Load().(string)
		if m == "good" {
			w.Header().Set("Content-Type", "application/rss+xml")
			io.WriteString(w, good)
			return
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		half := changed[:len(changed)/2]
		switch m {
		case "length": // promises the whole document, sends half
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n%s", len(changed), half)
		case "chunked": // half in a chunk, then no last chunk
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(half), half)
		case "headers": // the status line and half a header
			io.WriteString(buf, "HTTP/1.1 200 OK\r\nContent-Ty")
		case "reset": // nothing; the peer resets
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
		}
		buf.Flush()
	}))
	defer feedSrv.Close()

	var p *feed.Poller
	ts := serverOn(t, t.TempDir(), func(o *server.Options) { o.Health = func() any { return p.Status() } })
	feedURL := feedSrv.URL + "/feed"
	p = feed.NewPoller(feed.Options{Store: ts.Store, URLs: []string{feedURL}, Timeout: 2 * time.Second,
		Logger: slog.New(slog.DiscardHandler), Notify: ts.Srv.Poke})
	p.PollOnce(t.Context())
	feedArticles := func() []string {
		var titles []string
		for _, a := range ts.list(t, "?limit=50").Articles {
			if strings.HasPrefix(a.URL, "https://wire.example/") {
				titles = append(titles, a.Title)
			}
		}
		return titles
	}
	want := []string{"Beta from the wire", "Alpha from the wire"}
	if got := feedArticles(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after the good poll: %q, want %q", got, want)
	}
	before := ts.state(t)
	for i, m := range []string{"length", "chunked", "headers", "reset"} {
		t.Run(m, func(t *testing.T) {
			mode.Store(m)
			p.PollOnce(t.Context())
			st := p.Status()[0]
			if st.Failures != int64(i+1) || st.LastErrorAt.Before(st.LastSuccess) || st.Articles != 2 {
				t.Errorf("status %+v, want failure %d after the last success, 2 articles kept", st, i+1)
			}
			if got := feedArticles(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("after the broken poll: %q, want the last good %q", got, want)
			}
			if got := ts.state(t); got != before {
				t.Errorf("the store changed")
			}
			t.Logf("%s: %s", m, st.LastError)
		})
	}
	// The server's health shows the failing feed.
	if r := ts.get(t, "/healthz", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"last_error":"`) {
		t.Errorf("/healthz: %d %s, want the feed's last error", r.Status, r.Body)
	}
	// And the next good document is taken as usual.
	mode.Store("good")
	p.PollOnce(t.Context())
	if st := p.Status()[0]; st.LastSuccess.Before(st.LastErrorAt) {
		t.Errorf("status %+v, want a success after the errors", st)
	}
}

// raiseNoFile lifts the open-file limit to at least n, or skips.
func raiseNoFile(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Skipf("the open-file limit is %d, below the %d this test needs", lim.Max, n)
	}
	orig := lim
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig) })
}

// sseClient is one reader of TestRestartUnderLoad: it reads the stream,
// reconnecting with its Last-Event-ID whenever the stream or the server goes.
type sseClient struct {
	seqs       []int64
	what       []string // "article <id>" or "delete <id>", per event
	reconnects int
	refused    int // a connect refused or answered other than 200
}

func (c *sseClient) run(addr string, done func(last int64) bool) {
	var last int64
	for !done(last) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			c.refused++
			time.Sleep(time.Duration(10+rand.IntN(40)) * time.Millisecond)
			continue
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(conn, "GET /api/events HTTP/1.1\r\nHost: %s\r\nLast-Event-ID: %d\r\n\r\n", addr, last)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			c.refused++
			conn.Close()
			time.Sleep(time.Duration(10+rand.IntN(40)) * time.Millisecond)
			continue
		}
		sc := bufio.NewScanner(resp.Body)
		var id int64
		var event, data string
		for sc.Scan() {
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			line := sc.Text()
			switch {
			case line == "":
				if id > 0 {
					c.seqs = append(c.seqs, id)
					c.what = append(c.what, event+" "+eventArticleID(data))
					last = id
				}
				id, event, data = 0, "", ""
			case strings.HasPrefix(line, "id: "):
				id, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				event = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = line[6:]
			}
			if done(last) {
				break
			}
		}
		conn.Close()
		if !done(last) {
			c.reconnects++
		}
	}
}

// eventArticleID picks the article id out of an event's data.
func eventArticleID(data string) string {
	_, rest, _ := strings.Cut(data, `"id":"`)
	id, _, _ := strings.Cut(rest, `"`)
	return id
}

// TestRestartUnderLoad stops a server under 1,000 connected event streams
// while publishing goes on straight into the store, and starts a new one on
// the same address over the same store: every client reconnects with its
// Last-Event-ID, and in the end has seen every article's latest event (the
// store's state), no event twice and none out of order.
func TestRestartUnderLoad(t *testing.T) {
	const clients = 1000
	const events = 90 // 30 before the stop, 30 while down, 30 after the start
	raiseNoFile(t, 2*clients+200)
	start := time.Now()
	st := testserver.OpenStore(t, t.TempDir())
	type node struct {
		srv *server.Server
		hs  *http.Server
	}
	startNode := func(addr string) (*node, string) {
		srv, err := server.New(server.Options{Store: st, Heartbeat: time.Second, SubscriberBuffer: 128,
			Logger: slog.New(slog.DiscardHandler), EventsLimit: server.RateLimit{Burst: -1}})
		if err != nil {
			t.Fatal(err)
		}
		var ln net.Listener
		for i := 0; ; i++ { // the old port, which the kernel may hold a moment
			if ln, err = net.Listen("tcp", addr); err == nil || i == 50 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		hs := server.NewHTTPServer(srv)
		go hs.Serve(ln)
		return &node{srv, hs}, ln.Addr().String()
	}
	stopNode := func(n *node) {
		n.srv.Close() // ends every stream: the clients retry
		n.hs.Close()  // the listener and every connection
	}
	first, addr := startNode("127.0.0.1:0")
	var current atomic.Pointer[node]
	current.Store(first)

	var target atomic.Int64 // the last event's sequence, once all are published
	done := func(last int64) bool { n := target.Load(); return n > 0 && last >= n }
	cs := make([]*sseClient, clients)
	var wg sync.WaitGroup
	for i := range cs {
		cs[i] = &sseClient{}
		wg.Go(func() { cs[i].run(addr, done) })
	}
	seeded := int64(seedCount)
	eventually(t, 10*time.Second, "every client to connect", func() bool { return subscribers(t, addr) == clients })
	connected := time.Since(start)

	// Publishing straight into the store: creates, with an update and a
	// delete now and then, waking whichever server is up.
	published := make(chan int, events)
	go func() {
		defer close(published)
		ctx := context.Background()
		for i := range events {
			var err error
			switch {
			case i%10 == 9:
				_, err = st.DeleteArticle(ctx, fmt.Sprintf("load-%02d", i-9))
			case i%5 == 4:
				_, err = st.UpdateArticle(ctx, news.Article{ID: fmt.Sprintf("load-%02d", i-1), Title: "Updated " + strconv.Itoa(i),
					PublishedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()})
			default:
				_, err = st.CreateArticle(ctx, news.Article{ID: fmt.Sprintf("load-%02d", i), Title: "Load " + strconv.Itoa(i),
					PublishedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()})
			}
			if err != nil {
				t.Errorf("event %d: %v", i, err)
			}
			if n := current.Load(); n != nil {
				n.srv.Poke()
			}
			published <- i + 1
			time.Sleep(5 * time.Millisecond)
		}
	}()
	waitPublished := func(n int) {
		for got := range published {
			if got >= n {
				return
			}
		}
	}
	waitPublished(events / 3)
	current.Store(nil)
	stopNode(first)
	waitPublished(2 * events / 3)
	second, _ := startNode(addr)
	current.Store(second)
	second.srv.Poke()
	waitPublished(events)
	defer stopNode(second)
	last, err := st.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	target.Store(last)

	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(15 * time.Second):
		t.Fatal("the clients did not all catch up within 15s")
	}

	if last != seeded+events {
		t.Fatalf("the store's newest event is %d, want %d: one per write", last, seeded+events)
	}
	// Replay and the pump serve each article's latest event, merging the
	// changes before it: every client must end with exactly these, having
	// been served nothing twice and nothing out of order.
	all, err := st.EventsSince(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // article id: "seq type" of its latest event
	for _, ev := range all {
		want[ev.Article.ID] = fmt.Sprintf("%d %s", ev.Seq, ev.Type)
	}
	var deliveries, reconnects, refused int
	for i, c := range cs {
		deliveries += len(c.seqs)
		reconnects += c.reconnects
		refused += c.refused
		got := map[string]string{}
		for j, seq := range c.seqs {
			if j > 0 && seq <= c.seqs[j-1] {
				t.Errorf("client %d, event %d: %d after %d: served twice or out of order", i, j, seq, c.seqs[j-1])
				break
			}
			typ, id, _ := strings.Cut(c.what[j], " ")
			got[id] = fmt.Sprintf("%d %s", seq, typ)
		}
		if !maps.Equal(got, want) {
			t.Errorf("client %d ends with the latest events %v, want %v", i, got, want)
		}
	}
	if reconnects < clients {
		t.Errorf("%d reconnects, want every client to have reconnected at least once", reconnects)
	}
	t.Logf("%d clients connected in %v; %d events (%d while the server was down); %d deliveries, each client every article's latest event, none twice, in order; "+
		"%d reconnects, %d refused connects while down; %v in all",
		clients, connected.Round(time.Millisecond), last, events/3, deliveries, reconnects, refused, time.Since(start).Round(time.Millisecond))
}

// subscribers reads the open streams gauge of the server at addr.
func subscribers(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "newswidget_sse_subscribers "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return int(n)
		}
	}
	t.Fatal("/metrics has no newswidget_sse_subscribers")
	return 0
}

// TestFeedEntryOutOfRange feeds entries dated beyond what the store can
// keep: the one in the far past is skipped as invalid, the one in the far
// future is dated when it was seen (as every future date is), and the rest
// of the feed still comes in (such an entry used to fail the store write and
// with it the whole poll, every time, as it sorts first).
func TestFeedEntryOutOfRange(t *testing.T) {
	doc := `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>` +
		`<item><guid>far</guid><title>From the far future</title><pubDate>Mon, 01 Jan 2300 00:00:00 GMT</pubDate></item>` +
		`<item><guid>past</guid><title>From the far past</title><pubDate>Sat, 01 Jan 1500 00:00:00 GMT</pubDate></item>` +
		`<item><guid>ok</guid><title>An ordinary entry</title><pubDate>Mon, 04 Mar 2024 10:00:00 GMT</pubDate></item>` +
		`</channel></rss>`
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, doc)
	}))
	defer feedSrv.Close()
	ts := serverOn(t, t.TempDir())
	p := feed.NewPoller(feed.Options{Store: ts.Store, URLs: []string{feedSrv.URL}, Logger: slog.New(slog.DiscardHandler)})
	p.PollOnce(t.Context())
	seen := time.Now()
	if st := p.Status()[0]; st.LastError != "" || st.Articles != 2 {
		t.Errorf("status %+v, want a success with 2 valid entries", st)
	}
	var titles []string
	for _, a := range ts.list(t, "?limit=50").Articles {
		titles = append(titles, a.Title)
		if a.PublishedAt.After(seen) {
			t.Errorf("%q is dated %v, after the poll", a.Title, a.PublishedAt)
		}
	}
	if got := strings.Join(titles, "|"); !strings.Contains(got, "An ordinary entry") || !strings.Contains(got, "From the far future") ||
		strings.Contains(got, "far past") {
		t.Errorf("articles %q, want the ordinary entry and the far future one, not the far past one", titles)
	}
}
