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
	"sync"
	"sync/atomic"
	"time"
)

// soakSubscriber is one raw-TCP event-stream client of the soak: it keeps
// the publish numbers it received, in arrival order.
type soakSubscriber struct {
	conn  net.Conn
	mu    sync.Mutex
	got   []int32 // publish numbers, as they arrived
	count atomic.Int64
}

// The soak's bounds: the API load's rate and workers, the publishers'
// source addresses, and the longest soak the -soak flag may ask for.
const (
	soakSubs       = 10000
	soakAPIRate    = 200 // requests per second, half of them revalidations
	soakAPIWorkers = 4
	soakPublishers = 8
	soakMaxDur     = 15 * time.Minute
	soakSampleStep = 10 * time.Second
	// soakMaxExtra is how much longer than asked the soak may run while it
	// waits for a second garbage collection under the load.
	soakMaxExtra = 5 * time.Minute
)

// measureSoak reports figure 11: the API and 10,000 event-stream
// subscribers held for env.soakDur on loopback while one article a second
// is published and GET /api/articles is loaded at a moderate rate: errors
// (failed publishes, API answers other than 2xx/304, subscriber
// disconnects), lost events (published numbers a subscriber did not get in
// order exactly once) and the growth of the server's live heap over the soak.
//
// The live heap is what a garbage collection kept (go_gc_heap_live_bytes),
// compared from the first collection under the load to the last: a leak
// shows there. The heap in use includes the garbage made since the last
// collection, so under load it climbs for a whole GC cycle (about two
// minutes here with 10,000 streams) and falls back after it, and the RSS
// keeps its high-water mark; both are sampled and reported beside the figure.
func measureSoak(ctx context.Context, rep *Report, env *benchEnv) {
	figs := [3]string{"soak: errors (publishes, API answers, SSE disconnects)", "soak: lost events, over 10,000 subscribers", "soak: server memory growth (live heap after GC), first → last collection under the load"}
	failAll := func(err error) {
		for i, f := range figs {
			rep.fail("11"+string(rune('a'+i)), f, err)
		}
	}
	dur := min(env.soakDur, soakMaxDur)
	if dur <= 0 {
		dur = 3 * time.Minute
	}
	data, _ := os.MkdirTemp(env.tmp, "soak-data-")
	ws, err := startWidget(ctx, env.serverBin, data, env.tmp)
	if err != nil {
		failAll(err)
		return
	}
	defer ws.Stop()
	ctx, cancel := context.WithTimeout(ctx, dur+soakMaxExtra+3*time.Minute)
	defer cancel()

	// warm the API paths the load uses, so the baseline holds their buffers
	apiURL := ws.URL + "/api/articles"
	var etag atomic.Pointer[string]
	if st, _, h, err := get(apiURL, ""); err != nil || st != http.StatusOK {
		failAll(fmt.Errorf("GET /api/articles: %d %v", st, err))
		return
	} else {
		e := h.Get("ETag")
		etag.Store(&e)
	}
	for range 200 {
		get(apiURL, *etag.Load())
	}

	// 10,000 subscribers from the current sequence on, 16 to an address
	seq, err := healthSeq(ws.URL)
	if err != nil {
		failAll(err)
		return
	}
	marker := "soak-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-"
	markerB := []byte(marker)
	req := []byte(fmt.Sprintf("GET /api/events?since=%d HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nUser-Agent: newswidget-bench\r\n\r\n", seq, ws.Addr))
	subs := make([]*soakSubscriber, soakSubs)
	var connected, connectFailed, disconnects atomic.Int64
	var closing atomic.Bool
	var firstErr atomic.Value
	var ready, ended sync.WaitGroup
	ready.Add(soakSubs)
	ended.Add(soakSubs)
	sem := make(chan struct{}, 128) // dials in flight
	connStart := time.Now()
	for i := range subs {
		s := &soakSubscriber{}
		subs[i] = s
		sem <- struct{}{}
		go func(i int) {
			defer ended.Done()
			doneReady := sync.OnceFunc(ready.Done)
			defer doneReady()
			d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: sourceAddr(i, subsPerAddr)}}
			conn, err := d.DialContext(ctx, "tcp", ws.Addr)
			<-sem
			if err != nil {
				connectFailed.Add(1)
				firstErr.CompareAndSwap(nil, err)
				return
			}
			s.mu.Lock()
			s.conn = conn
			s.mu.Unlock()
			if closing.Load() { // closed before the conn was recorded
				conn.Close()
				return
			}
			if _, err := conn.Write(req); err != nil {
				connectFailed.Add(1)
				firstErr.CompareAndSwap(nil, err)
				conn.Close()
				return
			}
			br := bufio.NewReaderSize(conn, 1024)
			subscribed, lineStart := false, true
			for {
				chunk, err := br.ReadSlice('\n')
				if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
					switch {
					case closing.Load() || ctx.Err() != nil:
					case !subscribed:
						connectFailed.Add(1)
						firstErr.CompareAndSwap(nil, err)
					default:
						disconnects.Add(1)
						firstErr.CompareAndSwap(nil, fmt.Errorf("a subscriber was disconnected: %w", err))
					}
					return
				}
				// a line's first 1,024 bytes start a chunk; the marker is in
				// the title, near the start of the data line
				if lineStart {
					switch {
					case !subscribed && bytes.HasPrefix(chunk, []byte("retry:")):
						subscribed = true
						connected.Add(1)
						doneReady()
					case subscribed && bytes.HasPrefix(chunk, []byte("data: ")):
						if k := bytes.Index(chunk, markerB); k >= 0 {
							rest := chunk[k+len(markerB):]
							j := 0
							for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
								j++
							}
							if n, err := strconv.Atoi(string(rest[:j])); err == nil {
								s.mu.Lock()
								s.got = append(s.got, int32(n))
								s.mu.Unlock()
								s.count.Add(1)
							}
						}
					}
				}
				lineStart = err == nil
			}
		}(i)
	}
	closeAll := func() {
		closing.Store(true)
		for _, s := range subs {
			s.mu.Lock()
			if s.conn != nil {
				s.conn.Close()
			}
			s.mu.Unlock()
		}
		waitGroup(context.Background(), &ended, 10*time.Second)
	}
	defer closeAll()
	waitGroup(ctx, &ready, 90*time.Second)
	connectTook := time.Since(connStart)
	if c := connected.Load(); c < soakSubs {
		err, _ := firstErr.Load().(error)
		failAll(fmt.Errorf("only %d of %d subscribers connected in %v (first error: %v)", c, soakSubs, connectTook.Round(time.Millisecond), err))
		return
	}
	time.Sleep(2 * time.Second) // idle: let the server settle
	rssStart, err := rssBytes(ws.Pid())
	if err != nil {
		failAll(err)
		return
	}
	heapStart, _ := metric(ws.URL, "go_memstats_heap_inuse_bytes")
	goroutinesStart, _ := metric(ws.URL, "go_goroutines")

	// The load runs for dur, then on until two collections have run under
	// it (a GC cycle is about two minutes at this load), so that figure 11c
	// has two live heaps to compare; at most soakMaxExtra longer.
	gcStart, _ := metric(ws.URL, "go_gc_duration_seconds_count")
	soakCtx, stopSoak := context.WithCancel(ctx)
	defer stopSoak()
	go func() {
		defer stopSoak()
		select {
		case <-soakCtx.Done():
			return
		case <-time.After(dur):
		}
		for deadline := time.Now().Add(soakMaxExtra); time.Now().Before(deadline); {
			if gcs, err := metric(ws.URL, "go_gc_duration_seconds_count"); err == nil && gcs >= gcStart+2 {
				return
			}
			select {
			case <-soakCtx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	var wg sync.WaitGroup

	// RSS every 10 s
	type sample struct {
		At    float64 `json:"s"`
		RSS   int64   `json:"rss"`
		Heap  float64 `json:"heap_inuse"`  // Go heap spans in use, garbage included
		Stack float64 `json:"stack_inuse"` // goroutine stacks
		Live  float64 `json:"heap_live"`   // what the last collection kept
		GCs   float64 `json:"gc_cycles"`
	}
	stackStart, _ := metric(ws.URL, "go_memstats_stack_inuse_bytes")
	liveStart, liveErr := metric(ws.URL, "go_gc_heap_live_bytes")
	samples := []sample{{0, rssStart, heapStart, stackStart, liveStart, gcStart}}
	var samplesMu sync.Mutex
	t0 := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(soakSampleStep)
		defer tick.Stop()
		for {
			select {
			case <-soakCtx.Done():
				return
			case <-tick.C:
				if v, err := rssBytes(ws.Pid()); err == nil {
					heap, _ := metric(ws.URL, "go_memstats_heap_inuse_bytes")
					stack, _ := metric(ws.URL, "go_memstats_stack_inuse_bytes")
					live, _ := metric(ws.URL, "go_gc_heap_live_bytes")
					gcs, _ := metric(ws.URL, "go_gc_duration_seconds_count")
					samplesMu.Lock()
					samples = append(samples, sample{time.Since(t0).Seconds(), v, heap, stack, live, gcs})
					samplesMu.Unlock()
				}
			}
		}
	}()

	// the API: GET /api/articles and If-None-Match revalidations, paced
	var apiOK, apiBad, apiTransport, api304 atomic.Int64
	var apiFirstErr atomic.Value
	for w := range soakAPIWorkers {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cl := clientFrom(net.IPv4(127, 8, 0, byte(w+1)), 5*time.Second)
			defer cl.CloseIdleConnections()
			tick := time.NewTicker(time.Second * soakAPIWorkers / soakAPIRate)
			defer tick.Stop()
			for n := 0; ; n++ {
				select {
				case <-soakCtx.Done():
					return
				case <-tick.C:
				}
				r, _ := http.NewRequestWithContext(soakCtx, http.MethodGet, apiURL, nil)
				if n%2 == 1 {
					r.Header.Set("If-None-Match", *etag.Load())
				}
				resp, err := cl.Do(r)
				if err != nil {
					if soakCtx.Err() == nil {
						apiTransport.Add(1)
						apiFirstErr.CompareAndSwap(nil, err)
					}
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case err != nil && soakCtx.Err() == nil:
					apiTransport.Add(1)
					apiFirstErr.CompareAndSwap(nil, err)
				case err != nil:
				case resp.StatusCode == http.StatusNotModified:
					api304.Add(1)
					apiOK.Add(1)
				case resp.StatusCode >= 200 && resp.StatusCode < 300:
					apiOK.Add(1)
					if e := resp.Header.Get("ETag"); e != "" {
						etag.Store(&e)
					}
				default:
					apiBad.Add(1)
					apiFirstErr.CompareAndSwap(nil, fmt.Errorf("GET /api/articles: %d", resp.StatusCode))
				}
			}
		}(w)
	}

	// one article a second, in order, from 8 addresses in turn
	pubClients := make([]*http.Client, soakPublishers)
	for i := range pubClients {
		pubClients[i] = clientFrom(net.IPv4(127, 9, 0, byte(i+1)), 10*time.Second)
	}
	var published []bool // by publish number: whether the POST succeeded
	var pubFailed int
	var pubFirstErr error
	var pubLat []float64
	tick := time.NewTicker(time.Second)
publishing:
	for n := 0; ; n++ {
		t := time.Now()
		err := publishArticle(soakCtx, pubClients[n%soakPublishers], ws.URL, map[string]any{
			"title": "Soak " + marker + strconv.Itoa(n), "summary": "One article a second to ten thousand streams.", "source": "bench"})
		if err != nil && soakCtx.Err() != nil {
			break // cut off by the soak's end: not counted
		}
		published = append(published, err == nil)
		if err != nil {
			pubFailed++
			if pubFirstErr == nil {
				pubFirstErr = err
			}
		} else {
			pubLat = append(pubLat, ms(time.Since(t)))
		}
		select {
		case <-soakCtx.Done():
			break publishing
		case <-tick.C:
		}
	}
	tick.Stop()
	wg.Wait()
	dur = time.Since(t0).Round(time.Second) // as held, past -soak if it waited for a collection
	for _, c := range pubClients {
		c.CloseIdleConnections()
	}
	okPubs := int64(0)
	for _, ok := range published {
		if ok {
			okPubs++
		}
	}
	// the last events in flight: wait until every subscriber has them, or 15 s
	drainStart := time.Now()
	for time.Since(drainStart) < 15*time.Second && ctx.Err() == nil {
		var sum int64
		for _, s := range subs {
			sum += s.count.Load()
		}
		if sum >= okPubs*soakSubs {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	rssEnd, rssErr := rssBytes(ws.Pid())
	heapEnd, _ := metric(ws.URL, "go_memstats_heap_inuse_bytes")
	stackEnd, _ := metric(ws.URL, "go_memstats_stack_inuse_bytes")
	gcEnd, _ := metric(ws.URL, "go_gc_duration_seconds_count")
	liveEnd, liveEndErr := metric(ws.URL, "go_gc_heap_live_bytes")
	goroutinesEnd, _ := metric(ws.URL, "go_goroutines")
	gauge, _ := metric(ws.URL, "newswidget_sse_subscribers")
	disc := disconnects.Load() // before the subscribers are closed
	closeAll()

	// lost: every published number not received exactly once, in order
	var lost, dups, outOfOrder, missing, subsLosing int64
	counts := make([]int32, len(published))
	for _, s := range subs {
		clear(counts)
		var bad int64
		prev := int32(-1)
		s.mu.Lock()
		for _, n := range s.got {
			if n < 0 || int(n) >= len(published) {
				continue // a POST cut off at the end, or one that failed and was stored anyway
			}
			counts[n]++
			if n < prev {
				outOfOrder++
				bad++
			}
			prev = max(prev, n)
		}
		s.mu.Unlock()
		for n, ok := range published {
			switch {
			case !ok:
			case counts[n] == 0:
				missing++
				bad++
			case counts[n] > 1:
				dups++
				bad++
			}
		}
		lost += bad
		if bad > 0 {
			subsLosing++
		}
	}

	apiTotal := apiOK.Load() + apiBad.Load() + apiTransport.Load()
	errs := int64(pubFailed) + apiBad.Load() + apiTransport.Load() + disc
	samplesMu.Lock()
	samples = append(samples, sample{time.Since(t0).Seconds(), rssEnd, heapEnd, stackEnd, liveEnd, gcEnd})
	maxRSS := rssStart
	for _, s := range samples {
		maxRSS = max(maxRSS, s.RSS)
	}
	// The first collection under the load is the baseline: the one before
	// it may have run while the subscribers were still connecting.
	liveFirst, gcFirst, liveFirstAt := 0.0, 0.0, 0.0
	for _, s := range samples[1:] {
		if s.GCs > gcStart && s.Live > 0 {
			liveFirst, gcFirst, liveFirstAt = s.Live, s.GCs, s.At
			break
		}
	}
	samplesMu.Unlock()
	firstErrs := map[string]string{}
	for name, e := range map[string]any{"publish": pubFirstErr, "api": apiFirstErr.Load(), "sse": firstErr.Load()} {
		if e, ok := e.(error); ok && e != nil {
			firstErrs[name] = e.Error()
		}
	}
	sortLat := append([]float64(nil), pubLat...)
	sort.Float64s(sortLat)
	rep.detail("soak", map[string]any{
		"duration_s": dur.Seconds(), "subscribers": soakSubs, "connected": connected.Load(), "connect_seconds": connectTook.Seconds(),
		"publishes": len(published), "publishes_ok": okPubs, "publishes_failed": pubFailed,
		"publish_ms":   map[string]float64{"p50": percentile(sortLat, 50), "p99": percentile(sortLat, 99), "max": percentile(sortLat, 100)},
		"api_requests": apiTotal, "api_304": api304.Load(), "api_bad_status": apiBad.Load(), "api_transport_errors": apiTransport.Load(),
		"sse_disconnects": disc, "sse_connect_failures": connectFailed.Load(), "server_gauge_end": gauge,
		"lost_missing": missing, "lost_duplicates": dups, "lost_out_of_order": outOfOrder, "subscribers_losing": subsLosing,
		"rss_samples": samples, "rss_start": rssStart, "rss_end": rssEnd, "rss_max": maxRSS,
		"heap_inuse_start": heapStart, "heap_inuse_end": heapEnd, "heap_live_start": liveStart, "heap_live_first_gc": liveFirst, "heap_live_end": liveEnd, "gc_cycles": gcEnd - gcStart, "goroutines_start": goroutinesStart, "goroutines_end": goroutinesEnd,
		"first_errors": firstErrs,
		"note":         "the 10,000 subscribers, the API load and the publisher run in the bench process on the same cores as the server; the start is taken with every subscriber connected and the API paths warmed; heap_live is go_gc_heap_live_bytes, the heap the last collection kept",
	})
	errNote := fmt.Sprintf("over %s: %d of %d publishes failed, %d of %d API requests (%d revalidations answered 304) were not 2xx/304 (%d status, %d transport), %d of %d subscribers were disconnected",
		dur, pubFailed, len(published), apiBad.Load()+apiTransport.Load(), apiTotal, api304.Load(), apiBad.Load(), apiTransport.Load(), disc, soakSubs)
	if len(firstErrs) > 0 {
		errNote += fmt.Sprintf("; first errors: %v", firstErrs)
	}
	rep.add(&Row{ID: "11a", Figure: figs[0], Unit: "errors", Value: float64(errs), AnchorName: "(absolute budget)", Kind: ValueMax, Limit: 0, Note: errNote})
	rep.add(&Row{ID: "11b", Figure: figs[1], Unit: "events", Value: float64(lost), AnchorName: "(absolute budget)", Kind: ValueMax, Limit: 0,
		Note: fmt.Sprintf("%d articles published, %d subscriber×article deliveries expected: %d missing, %d duplicated, %d out of order, on %d subscribers; the server's gauge read %.0f streams at the end",
			okPubs, okPubs*soakSubs, missing, dups, outOfOrder, subsLosing, gauge)})
	var memErr error
	switch {
	case liveErr != nil || liveEndErr != nil || rssErr != nil:
		memErr = errors.Join(liveErr, liveEndErr, rssErr)
	case liveFirst == 0 || gcEnd <= gcFirst:
		memErr = fmt.Errorf("fewer than two garbage collections ran during the %s soak (%.0f), so there is no live heap to compare with the first; a longer -soak runs more", dur, gcEnd-gcStart)
	}
	if memErr != nil {
		rep.fail("11c", figs[2], memErr)
		return
	}
	growth := 100 * (liveEnd - liveFirst) / liveFirst
	rep.add(&Row{ID: "11c", Figure: figs[2], Unit: "%", Value: growth, AnchorName: "(absolute budget)", Kind: ValueMax, Limit: 10,
		Note: fmt.Sprintf("live heap after the first collection under the load (by %.0f s) %.1f MiB → after the last of %.0f %.1f MiB (before the load, from a collection while streams were connecting: %.1f MiB); goroutines %.0f → %.0f; stacks %.1f → %.1f MiB; heap in use (garbage included) %.1f → %.1f MiB; RSS %.1f → %.1f MiB (%+.1f%%, peak %.1f MiB over %d samples every %s: it follows the GC cycle, climbing with garbage until a collection)",
			liveFirstAt, mib64(liveFirst), gcEnd-gcStart, mib64(liveEnd), mib64(liveStart), goroutinesStart, goroutinesEnd, mib64(stackStart), mib64(stackEnd), mib64(heapStart), mib64(heapEnd),
			mib(rssStart), mib(rssEnd), 100*float64(rssEnd-rssStart)/float64(rssStart), mib(maxRSS), len(samples), soakSampleStep)})
}

func mib64(b float64) float64 { return b / (1 << 20) }

func mib(b int64) float64 { return float64(b) / (1 << 20) }
