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
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Figure 14: the breaking-news spike (issue #18). One node holds 5,000,
// 10,000 and 18,000 concurrent event streams (18,000 is what a 20,000
// descriptor limit leaves room for); one publish must reach them all with
// p99 ≤ 500 ms, none lost or duplicated, at ≤ 8 KiB of server memory per
// idle stream, while /api/articles and /embed keep answering. Beside each,
// an anchor measured in the same run: a minimal net/http SSE server (this
// binary, re-executed; see sseAnchorEnv) holding the same streams and
// fanning out the same publish, and the API's latency on the idle node.
// The clients are raw TCP connections in this process, spread over
// 127.0.0.0/8 source addresses.

// streamSizes are the stream counts of figure 14.
var streamSizes = []int{5000, 10000, 18000}

// streamsPerAddr is how many streams share a source address.
const streamsPerAddr = 16

// Budgets of figure 14.
const (
	spikeP99Budget   = 500 // ms, one publish to every stream
	spikeMemBudget   = 8   // KiB of server memory per idle stream
	spikeAPIBudget   = 1000
	spikeFDReserve   = 1000 // descriptors the bench process keeps for its own API clients and the rest
	sseAnchorEnv     = "NEWSWIDGET_BENCH_SSE_ANCHOR"
	spikeMarkerCount = 2 // publishes per size: the first timed, both counted
)

func init() {
	// Re-executed as the anchor: serve and never return to the bench.
	if addr := os.Getenv(sseAnchorEnv); addr != "" {
		os.Exit(runSSEAnchor(addr))
	}
}

// runSSEAnchor is the anchor: the plainest net/http SSE server, each
// stream a handler that flushes what a publish broadcasts, as a tutorial
// would write it. GET /events streams; POST /publish?m=TEXT sends
// "data: TEXT" to every stream; GET /healthz answers ok.
func runSSEAnchor(addr string) int {
	var mu sync.Mutex
	subs := map[chan []byte]struct{}{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		c := make(chan []byte, 16)
		mu.Lock()
		subs[c] = struct{}{}
		mu.Unlock()
		defer func() {
			mu.Lock()
			delete(subs, c)
			mu.Unlock()
		}()
		io.WriteString(w, "retry: 2000\n\n")
		w.(http.Flusher).Flush()
		for {
			select {
			case b := <-c:
				w.Write(b)
				w.(http.Flusher).Flush()
			case <-r.Context().Done():
				return
			}
		}
	})
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		b := []byte("data: " + r.URL.Query().Get("m") + "\n\n")
		mu.Lock()
		for c := range subs {
			select {
			case c <- b:
			default:
			}
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	if err := http.ListenAndServe(addr, mux); err != nil {
		fmt.Fprintln(os.Stderr, "sse anchor:", err)
		return 1
	}
	return 0
}

// streamTarget is a server the spike measurement drives.
type streamTarget struct {
	addr, url string
	pid       int
	request   []byte                                         // the stream's request
	publish   func(ctx context.Context, marker string) error // one article (or message) carrying marker
	metric    func(name string) (float64, error)             // a /metrics series, if it has them
	api       []string                                       // URLs whose latency is measured during the fan-out
	stop      func()
}

// spikeResult is one fan-out at one size.
type spikeResult struct {
	N, Connected, Received   int
	Lost, Duplicated, Failed int
	ConnectSeconds           float64
	P50, P90, P99, Max       float64 // ms, first publish
	RSSBefore, RSSAfter      int64
	HeapPer, StackPer        float64 // KiB per stream, from /metrics
	API                      map[string]latencies
	FirstErr                 string
	Health                   string  // /healthz once idle
	HeapLive                 float64 // go_gc_heap_live_bytes once idle
}

// latencies are the request latencies of one URL over a window, in ms.
type latencies struct {
	N, Errors     int
	P50, P99, Max float64
}

// spikeClient is one raw-TCP event-stream client.
type spikeClient struct {
	conn net.Conn
	got  [spikeMarkerCount]atomic.Int64 // ns after the publish when marker i arrived
	dup  atomic.Int32
}

// fanOut connects n streams to t, waits for them to idle, measures the
// server's memory, publishes spikeMarkerCount articles and measures their
// arrival, with the API's latency measured meanwhile.
func fanOut(ctx context.Context, t *streamTarget, n int) (res spikeResult, err error) {
	res.N = n
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	if t.metric != nil {
		// A wave of streams that come and go: the node trims its memory
		// once their count settles (server/live.go), so the figure starts
		// from memory as trimmed as the one it ends with.
		// A stream is found gone at its next write: the warm streams
		// close with a reset, and a publish makes that write.
		warmWave(ctx, t, 1200)
		time.Sleep(500 * time.Millisecond)
		if err := t.publish(ctx, "warm-"+strconv.FormatInt(time.Now().UnixNano(), 36)); err != nil {
			return res, err
		}
		time.Sleep(3500 * time.Millisecond)
	} else {
		time.Sleep(time.Second)
	}
	if res.RSSBefore, err = rssBytes(t.pid); err != nil {
		return res, err
	}
	heapBefore, stackBefore := 0.0, 0.0
	if t.metric != nil {
		heapBefore, _ = t.metric("go_memstats_heap_inuse_bytes")
		stackBefore, _ = t.metric("go_memstats_stack_inuse_bytes")
	}
	clients := make([]*spikeClient, n)
	defer func() {
		for _, c := range clients {
			if c != nil && c.conn != nil {
				c.conn.Close()
			}
		}
	}()
	var connected, failed atomic.Int64
	var firstErr atomic.Value
	var publishedAt [spikeMarkerCount]atomic.Int64
	markers := make([][]byte, spikeMarkerCount)
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	for i := range markers {
		markers[i] = []byte("spike-" + stamp + "-" + strconv.Itoa(i))
	}
	var ready, received sync.WaitGroup
	ready.Add(n)
	received.Add(n)
	sem := make(chan struct{}, 128)
	start := time.Now()
	for i := range clients {
		c := &spikeClient{}
		clients[i] = c
		sem <- struct{}{}
		go func(i int) {
			doneReady, doneRecv := sync.OnceFunc(ready.Done), sync.OnceFunc(received.Done)
			defer doneReady()
			defer doneRecv()
			fail := func(err error) {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
			}
			d := net.Dialer{Timeout: 20 * time.Second, LocalAddr: &net.TCPAddr{IP: sourceAddr(i, streamsPerAddr)}}
			conn, err := d.DialContext(ctx, "tcp", t.addr)
			<-sem
			if err != nil {
				fail(err)
				return
			}
			c.conn = conn
			if _, err := conn.Write(t.request); err != nil {
				fail(err)
				return
			}
			br := bufio.NewReaderSize(conn, 512)
			subscribed, all := false, 0
			for {
				line, err := br.ReadSlice('\n')
				if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
					if (!subscribed || all < spikeMarkerCount) && ctx.Err() == nil {
						fail(err)
					}
					return
				}
				if !subscribed {
					if bytes.HasPrefix(line, []byte("retry:")) {
						subscribed = true
						connected.Add(1)
						doneReady()
					}
					continue
				}
				if !bytes.HasPrefix(line, []byte("data:")) {
					continue
				}
				for m := range markers {
					if bytes.Contains(line, markers[m]) {
						if c.got[m].Load() != 0 {
							c.dup.Add(1)
						} else {
							c.got[m].Store(max(1, time.Now().UnixNano()-publishedAt[m].Load()))
							if all++; all == spikeMarkerCount {
								doneRecv()
							}
						}
					}
				}
			}
		}(i)
	}
	waitGroup(ctx, &ready, 2*time.Minute)
	res.ConnectSeconds = time.Since(start).Seconds()
	res.Connected = int(connected.Load())
	if res.Connected < n {
		e, _ := firstErr.Load().(string)
		return res, fmt.Errorf("only %d of %d streams connected in %.1f s (first error: %s)", res.Connected, n, res.ConnectSeconds, e)
	}
	time.Sleep(5 * time.Second) // idle: let the server settle (it trims its memory 2 s after a wave)
	if res.RSSAfter, err = rssBytes(t.pid); err != nil {
		return res, err
	}
	if t.metric != nil {
		_, h, _, _ := get(t.url+"/healthz", "")
		res.Health = string(h)
		res.HeapLive, _ = t.metric("go_gc_heap_live_bytes")
		heapAfter, _ := t.metric("go_memstats_heap_inuse_bytes")
		stackAfter, _ := t.metric("go_memstats_stack_inuse_bytes")
		res.HeapPer, res.StackPer = (heapAfter-heapBefore)/float64(n)/1024, (stackAfter-stackBefore)/float64(n)/1024
	}

	// The API during the fan-out: from just before the first publish to
	// a second after the last article reached every stream.
	apiStop := make(chan struct{})
	apiDone := make(chan map[string]latencies, 1)
	go func() { apiDone <- measureAPI(t.api, apiStop) }()
	time.Sleep(300 * time.Millisecond)
	for m := range markers {
		publishedAt[m].Store(time.Now().UnixNano())
		if err := t.publish(ctx, string(markers[m])); err != nil {
			close(apiStop)
			<-apiDone
			return res, err
		}
		if m == 0 {
			time.Sleep(200 * time.Millisecond) // the second publish lands mid-fan-out or just after
		}
	}
	waitGroup(ctx, &received, 60*time.Second)
	time.Sleep(time.Second)
	close(apiStop)
	res.API = <-apiDone

	var lat []float64
	for _, c := range clients {
		if v := c.got[0].Load(); v > 0 {
			lat = append(lat, float64(v)/1e6)
		}
		all := true
		for m := range markers {
			if c.got[m].Load() == 0 {
				res.Lost++
				all = false
			}
		}
		if all {
			res.Received++
		}
		res.Duplicated += int(c.dup.Load())
	}
	sort.Float64s(lat)
	res.P50, res.P90, res.P99, res.Max = percentile(lat, 50), percentile(lat, 90), percentile(lat, 99), percentile(lat, 100)
	res.Failed = int(failed.Load())
	if e, ok := firstErr.Load().(string); ok {
		res.FirstErr = e
	}
	return res, nil
}

// measureAPI loads each URL with two keep-alive clients of their own
// addresses until stop, and returns each URL's latencies.
func measureAPI(urls []string, stop chan struct{}) map[string]latencies {
	out := map[string]latencies{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for u, url := range urls {
		var all []float64
		errs := 0
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := clientFrom(net.IPv4(127, 9, byte(u), byte(w+1)), 10*time.Second)
				for {
					select {
					case <-stop:
						return
					default:
					}
					t0 := time.Now()
					resp, err := cl.Get(url)
					ok := err == nil
					if ok {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						ok = resp.StatusCode == http.StatusOK
					}
					d := float64(time.Since(t0)) / 1e6
					mu.Lock()
					if ok {
						all = append(all, d)
					} else {
						errs++
					}
					mu.Unlock()
					time.Sleep(20 * time.Millisecond) // a reader's pace, not a flood
				}
			}()
		}
		defer func() {
			sort.Float64s(all)
			out[url] = latencies{N: len(all), Errors: errs, P50: percentile(all, 50), P99: percentile(all, 99), Max: percentile(all, 100)}
		}()
	}
	wg.Wait()
	return out
}

// startSpikeNode starts the server binary for the spike: a cap above the
// largest size (the automatic slow starts at 95% of it) within the
// descriptor limit, connects not limited per address (the bench's
// addresses stand for many readers each).
func startSpikeNode(ctx context.Context, env *benchEnv, maxStreams int, extra ...string) (*widgetServer, error) {
	data, _ := os.MkdirTemp(env.tmp, "spike-data-")
	return startWidget(ctx, env.serverBin, data, env.tmp, append([]string{"-max-streams", strconv.Itoa(maxStreams),
		"-events-limit", "off", "-publish-limit", "off"}, extra...)...)
}

// startSSEAnchor re-executes this binary as the minimal SSE server.
func startSSEAnchor(ctx context.Context) (*streamTarget, error) {
	port, err := freePort("127.0.0.1")
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c := command(self)
	c.Env = append(os.Environ(), sseAnchorEnv+"="+addr)
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	if err := c.Start(); err != nil {
		return nil, err
	}
	track(c)
	stop := func() { stopProcess(c, syscall.SIGTERM, 5*time.Second) }
	url := "http://" + addr
	if err := waitHTTP(ctx, url+"/healthz", 20*time.Second); err != nil {
		stop()
		return nil, err
	}
	cl := &http.Client{Timeout: 10 * time.Second}
	return &streamTarget{addr: addr, url: url, pid: c.Process.Pid,
		request: []byte("GET /events HTTP/1.1\r\nHost: " + addr + "\r\nAccept: text/event-stream\r\n\r\n"),
		publish: func(ctx context.Context, m string) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/publish?m="+m, nil)
			resp, err := cl.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			return nil
		},
		stop: stop}, nil
}

// nodeTarget is the real server as a spike target.
func nodeTarget(ws *widgetServer) (*streamTarget, error) {
	seq, err := healthSeq(ws.URL)
	if err != nil {
		return nil, err
	}
	cl := &http.Client{Timeout: 10 * time.Second}
	return &streamTarget{addr: ws.Addr, url: ws.URL, pid: ws.Pid(),
		request: []byte(fmt.Sprintf("GET /api/events?since=%d HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nUser-Agent: newswidget-bench\r\n\r\n", seq, ws.Addr)),
		publish: func(ctx context.Context, m string) error {
			return publishArticle(ctx, cl, ws.URL, map[string]any{"title": "Spike " + m, "summary": "One publish to every stream.", "flash": true, "source": "bench"})
		},
		metric: func(name string) (float64, error) { return metric(ws.URL, name) },
		api:    []string{ws.URL + "/api/articles", ws.URL + "/embed?layout=both"},
		stop:   ws.Stop}, nil
}

// measureStreams reports figure 14 at each size: delivery, p99, memory per
// idle stream, lost and duplicated, the API's p99 during the fan-out, each
// beside its anchor.
// NEWSWIDGET_BENCH_STREAMS (say "5000"), while working on the harness,
// measures only the sizes it lists.
func measureStreams(ctx context.Context, rep *Report, env *benchEnv) {
	if v := os.Getenv("NEWSWIDGET_BENCH_STREAMS"); v != "" {
		streamSizes = nil
		for _, f := range strings.Split(v, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
				streamSizes = append(streamSizes, n)
			}
		}
	}
	if v := os.Getenv("NEWSWIDGET_BENCH_NODES"); v != "" { // opt-in: the five-node rows (streams_nodes.go)
		if total, err := strconv.Atoi(v); err == nil && total > 0 {
			defer measureNodeSpike(ctx, rep, env, total)
		}
	}
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	rep.detail("streams_fd_limit", lim.Cur)
	details := map[string]any{}
	defer rep.detail("streams", details)
	for _, n := range streamSizes {
		id := func(l string) string { return fmt.Sprintf("14%s%02dk", l, n/1000) }
		label := fmt.Sprintf("%s streams", num(float64(n)))
		fail := func(err error) {
			for _, l := range []string{"a", "b", "c", "d", "e"} {
				rep.fail(id(l), "spike, one node, "+label, err)
			}
		}
		if uint64(n+spikeFDReserve) > lim.Cur {
			fail(fmt.Errorf("needs %d descriptors in this process and the server; the limit is %d (ulimit -Hn)", n+spikeFDReserve, lim.Cur))
			continue
		}
		if ctx.Err() != nil {
			return
		}
		// the anchor first, at the same size, then the node
		var anchor spikeResult
		at, err := startSSEAnchor(ctx)
		if err == nil {
			anchor, err = fanOut(ctx, at, n)
			at.stop()
		}
		if err != nil {
			details[label+" anchor"] = err.Error()
		}
		ws, err := startSpikeNode(ctx, env, int(lim.Cur)-spikeFDReserve)
		if err != nil {
			fail(err)
			continue
		}
		nt, err := nodeTarget(ws)
		if err != nil {
			ws.Stop()
			fail(err)
			continue
		}
		// the API's latency on the idle node: the anchor of its latency under the spike
		idleStop := make(chan struct{})
		idleDone := make(chan map[string]latencies, 1)
		go func() { idleDone <- measureAPI(nt.api, idleStop) }()
		time.Sleep(2 * time.Second)
		close(idleStop)
		idle := <-idleDone
		res, err := fanOut(ctx, nt, n)
		ws.Stop()
		details[label] = map[string]any{"node": res, "anchor": anchor, "api_idle": idle}
		if err != nil {
			fail(err)
			continue
		}
		mem := float64(res.RSSAfter-res.RSSBefore) / float64(n) / 1024
		anchorMem := float64(anchor.RSSAfter-anchor.RSSBefore) / float64(n) / 1024
		rep.add(&Row{ID: id("a"), Figure: "spike: streams of " + label + " that get both publishes, once each", Unit: "streams", Value: float64(res.Received),
			AnchorName: "(all " + num(float64(n)) + ")", Kind: ValueMin, Limit: float64(n),
			Note: fmt.Sprintf("%d lost, %d duplicated, %d failed; connected in %.1f s; anchor (net/http SSE) got %d", res.Lost, res.Duplicated, res.Failed, res.ConnectSeconds, anchor.Received)})
		rep.add(&Row{ID: id("b"), Figure: "spike: publish to every stream, p99, " + label, Unit: "ms", Value: res.P99,
			Anchor: anchor.P99, HasAnchor: anchor.P99 > 0, AnchorName: "minimal net/http SSE server", Kind: ValueMax, Limit: spikeP99Budget,
			Note: fmt.Sprintf("p50 %.0f, p90 %.0f, max %.0f ms; anchor p50 %.0f, max %.0f ms", res.P50, res.P90, res.Max, anchor.P50, anchor.Max)})
		rep.add(&Row{ID: id("c"), Figure: "spike: server memory per idle stream (RSS delta), " + label, Unit: "KiB", Value: mem,
			Anchor: anchorMem, HasAnchor: anchorMem > 0, AnchorName: "minimal net/http SSE server (Centrifugo ~30 KB/conn)", Kind: ValueMax, Limit: spikeMemBudget,
			Note: fmt.Sprintf("RSS %.0f → %.0f MiB; Go heap in use %.1f KiB, stacks %.1f KiB per stream", mib(res.RSSBefore), mib(res.RSSAfter), res.HeapPer, res.StackPer)})
		for i, u := range nt.api {
			l, base := res.API[u], idle[u]
			name := map[int]string{0: "/api/articles", 1: "/embed"}[i]
			rep.add(&Row{ID: id(string(rune('d' + i))), Figure: "spike: " + name + " p99 during the fan-out, " + label, Unit: "ms", Value: l.P99,
				Anchor: base.P99, HasAnchor: base.P99 > 0, AnchorName: "the same node idle", Kind: ValueMax, Limit: spikeAPIBudget,
				Note: fmt.Sprintf("%d requests, %d errors, p50 %.1f, max %.1f ms", l.N, l.Errors, l.P50, l.Max)})
		}
	}
}

// spikeIDs are the row ids of figure 14.
func spikeIDs() []string {
	var ids []string
	for _, n := range streamSizes {
		for _, l := range []string{"a", "b", "c", "d", "e"} {
			ids = append(ids, fmt.Sprintf("14%s%02dk", l, n/1000))
		}
	}
	return ids
}

// warmWave opens n streams to t, waits for each to start, and closes them.
func warmWave(ctx context.Context, t *streamTarget, n int) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: sourceAddr(i, streamsPerAddr)}}
			conn, err := d.DialContext(ctx, "tcp", t.addr)
			if err != nil {
				return
			}
			defer conn.Close()
			conn.(*net.TCPConn).SetLinger(0) // close with a reset
			conn.Write(t.request)
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			br := bufio.NewReaderSize(conn, 512)
			for {
				line, err := br.ReadSlice('\n')
				if err != nil || bytes.HasPrefix(line, []byte("retry:")) {
					return
				}
			}
		}()
	}
	wg.Wait()
}
