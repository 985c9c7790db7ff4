package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// publishArticle posts one article with the bench's token.
func publishArticle(ctx context.Context, cl *http.Client, base string, a map[string]any) error {
	body, _ := json.Marshal(a)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/articles", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+benchToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST /api/articles: %d %s", resp.StatusCode, strings.TrimSpace(buf.String()))
	}
	return nil
}

// metric reads one unlabelled series from the server's /metrics.
func metric(base, name string) (float64, error) {
	_, body, _, err := get(base+"/metrics", "")
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return 0, fmt.Errorf("no %s in /metrics", name)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// subsPerAddr is how many subscribers share a source address: fewer than
// the server's per-address burst of event-stream connects.
const subsPerAddr = 16

// healthSeq reads the store's newest sequence from /healthz.
func healthSeq(base string) (int64, error) {
	_, body, _, err := get(base+"/healthz", "")
	if err != nil {
		return 0, err
	}
	var h struct {
		Seq int64 `json:"seq"`
	}
	err = json.Unmarshal(body, &h)
	return h.Seq, err
}

// subscriber is one raw-TCP event-stream client.
type subscriber struct {
	conn net.Conn
	got  atomic.Int64 // nanoseconds after the publish when the article arrived; 0 until then
}

// measureSSE reports figure 9: 10,000 concurrent event-stream subscribers
// on loopback, one publish: how many receive it, the p99 latency, and the
// server's memory per idle subscriber.
func measureSSE(ctx context.Context, rep *Report, env *benchEnv) {
	const n = 10000
	figs := [3]string{"SSE: subscribers of 10,000 that receive one publish", "SSE: publish-to-receive latency, p99 of 10,000", "SSE: server memory per idle subscriber (RSS delta / 10,000)"}
	failAll := func(err error) {
		for i, f := range figs {
			rep.fail("9"+string(rune('a'+i)), f, err)
		}
	}
	data, _ := os.MkdirTemp(env.tmp, "sse-data-")
	ws, err := startWidget(ctx, env.serverBin, data, env.tmp)
	if err != nil {
		failAll(err)
		return
	}
	defer ws.Stop()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()

	// warm the server's paths once (one stream, one listing), then settle
	if c, err := net.Dial("tcp", ws.Addr); err == nil {
		fmt.Fprintf(c, "GET /api/events HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", ws.Addr)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		c.Read(make([]byte, 512))
		c.Close()
	}
	get(ws.URL+"/api/articles", "")
	time.Sleep(1500 * time.Millisecond)
	before, err := rssBytes(ws.Pid())
	if err != nil {
		failAll(err)
		return
	}
	heapBefore, _ := metric(ws.URL, "go_memstats_heap_inuse_bytes")
	stackBefore, _ := metric(ws.URL, "go_memstats_stack_inuse_bytes")

	subs := make([]*subscriber, n)
	var connected, failed atomic.Int64
	var firstErr atomic.Value
	var publishedAt atomic.Int64 // unix nanoseconds of the publish
	marker := []byte("bench-sse-" + strconv.FormatInt(time.Now().UnixNano(), 36))
	var received sync.WaitGroup
	received.Add(n)
	var ready sync.WaitGroup
	ready.Add(n)
	sem := make(chan struct{}, 128) // dials in flight
	// from the current sequence on, as the widget asks
	seq, err := healthSeq(ws.URL)
	if err != nil {
		failAll(err)
		return
	}
	req := []byte(fmt.Sprintf("GET /api/events?since=%d HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nUser-Agent: newswidget-bench\r\n\r\n", seq, ws.Addr))
	connStart := time.Now()
	for i := range subs {
		s := &subscriber{}
		subs[i] = s
		sem <- struct{}{}
		go func(i int) {
			doneReady, doneRecv := sync.OnceFunc(ready.Done), sync.OnceFunc(received.Done)
			defer doneReady()
			defer doneRecv()
			fail := func(err error) {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
			d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: sourceAddr(i, subsPerAddr)}}
			conn, err := d.DialContext(ctx, "tcp", ws.Addr)
			<-sem
			if err != nil {
				fail(err)
				return
			}
			s.conn = conn
			if _, err := conn.Write(req); err != nil {
				fail(err)
				conn.Close()
				return
			}
			br := bufio.NewReaderSize(conn, 512)
			subscribed := false
			for {
				line, err := br.ReadSlice('\n')
				if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
					if !subscribed || s.got.Load() == 0 {
						if ctx.Err() == nil {
							fail(err)
						}
					}
					return
				}
				switch {
				case !subscribed && bytes.HasPrefix(line, []byte("retry:")):
					subscribed = true
					connected.Add(1)
					doneReady()
				case subscribed && s.got.Load() == 0 && bytes.Contains(line, marker):
					s.got.Store(max(1, time.Now().UnixNano()-publishedAt.Load()))
					doneRecv()
				}
			}
		}(i)
	}
	waitGroup(ctx, &ready, 90*time.Second)
	connectTook := time.Since(connStart)
	defer func() {
		for _, s := range subs {
			if s != nil && s.conn != nil {
				s.conn.Close()
			}
		}
	}()
	if c := connected.Load(); c < n {
		err, _ := firstErr.Load().(error)
		failAll(fmt.Errorf("only %d of %d subscribers connected in %v (first error: %v)", c, n, connectTook.Round(time.Millisecond), err))
		return
	}
	gauge, _ := metric(ws.URL, "newswidget_sse_subscribers")
	time.Sleep(2 * time.Second) // idle: let the server settle
	after, err := rssBytes(ws.Pid())
	if err != nil {
		failAll(err)
		return
	}
	heapAfter, _ := metric(ws.URL, "go_memstats_heap_inuse_bytes")
	stackAfter, _ := metric(ws.URL, "go_memstats_stack_inuse_bytes")
	goroutines, _ := metric(ws.URL, "go_goroutines")

	publishedAt.Store(time.Now().UnixNano())
	pubErr := publishArticle(ctx, &http.Client{Timeout: 10 * time.Second}, ws.URL, map[string]any{
		"title": "SSE fan-out " + string(marker), "summary": "One publish to ten thousand streams.", "flash": true, "source": "bench"})
	postTook := time.Duration(time.Now().UnixNano() - publishedAt.Load())
	if pubErr != nil {
		failAll(pubErr)
		return
	}
	allIn := waitGroup(ctx, &received, 30*time.Second)
	var lat []float64
	for _, s := range subs {
		if v := s.got.Load(); v > 0 {
			lat = append(lat, float64(v)/1e6)
		}
	}
	sort.Float64s(lat)
	rep.detail("sse", map[string]any{
		"subscribers": n, "connected": connected.Load(), "failed": failed.Load(), "connect_seconds": connectTook.Seconds(),
		"server_gauge": gauge, "rss_before": before, "rss_after_idle": after, "heap_inuse_before": heapBefore, "heap_inuse_after": heapAfter,
		"stack_inuse_before": stackBefore, "stack_inuse_after": stackAfter,
		"server_goroutines": goroutines, "post_ms": ms(postTook), "all_received": allIn,
		"latency_ms": map[string]float64{"p50": percentile(lat, 50), "p90": percentile(lat, 90), "p99": percentile(lat, 99), "max": percentile(lat, 100)},
		"note":       "the 10,000 clients run in the bench process on the same 2 cores as the server; latency runs from just before the POST to the article's line arriving, so it includes the store write and the client's own scheduling",
	})
	rep.add(&Row{ID: "9a", Figure: figs[0], Unit: "subscribers", Value: float64(len(lat)), AnchorName: "(all 10,000)", Kind: ValueMin, Limit: n,
		Note: fmt.Sprintf("connected %d streams in %.1f s from %d loopback addresses (%d each: the server limits connects per address); the server's gauge read %.0f",
			connected.Load(), connectTook.Seconds(), (n+subsPerAddr-1)/subsPerAddr, subsPerAddr, gauge)})
	if len(lat) == 0 {
		rep.fail("9b", figs[1], errors.New("no subscriber received the article"))
	} else {
		rep.add(&Row{ID: "9b", Figure: figs[1], Unit: "ms", Value: percentile(lat, 99), AnchorName: "(absolute budget)", Kind: ValueMax, Limit: 250,
			Note: fmt.Sprintf("p50 %.1f ms, p90 %.1f ms, max %.1f ms; the POST itself took %.1f ms", percentile(lat, 50), percentile(lat, 90), percentile(lat, 100), ms(postTook))})
	}
	per := float64(after-before) / n / 1024
	rep.add(&Row{ID: "9c", Figure: figs[2], Unit: "KiB", Value: per, AnchorName: "(absolute budget)", Kind: ValueMax, Limit: 16,
		Note: fmt.Sprintf("RSS %.1f MiB idle → %.1f MiB with 10,000 streams; per stream: Go heap in use %.1f KiB, goroutine stacks %.1f KiB (%.0f goroutines in all)",
			float64(before)/(1<<20), float64(after)/(1<<20), (heapAfter-heapBefore)/n/1024, (stackAfter-stackBefore)/n/1024, goroutines)})
}

// waitGroup waits for wg within limit, reporting whether it finished.
func waitGroup(ctx context.Context, wg *sync.WaitGroup, limit time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(limit):
	case <-ctx.Done():
	}
	return false
}
