package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server/internal/pgtest"
)

// Figure 14, five nodes (opt-in: NEWSWIDGET_BENCH_NODES=TOTAL, say
// 90000): TOTAL streams over five nodes on one PostgreSQL. A publish on one
// node must reach every stream with p99 ≤ 1.5 s; then a node is killed
// (SIGKILL) just after a second publish, its readers reconnect to the
// others with their Last-Event-ID, and a third publish follows: every
// stream must end with the three articles, each once. Each node and each
// client process needs its own descriptors (20,000 here), so the clients
// run in five child processes of this binary (spikeClientEnv), one per node.

const (
	spikeNodes      = 5
	spikeClientEnv  = "NEWSWIDGET_BENCH_SPIKE_CLIENT"
	spikeNodesP99   = 1500 // ms
	spikeNodeMarks  = 3
	spikeKilledNode = 2
)

func init() {
	if os.Getenv(spikeClientEnv) != "" {
		os.Exit(runSpikeClients())
	}
}

// spikeClientSummary is what a client process reports at the end.
type spikeClientSummary struct {
	Connected  int       `json:"connected"`
	Arrived    [][]int64 `json:"arrived"` // per marker, the unix nanoseconds each client got it (0: never)
	Dup        int       `json:"dup"`
	Reconnects int       `json:"reconnects"`
	Refused    int       `json:"refused"` // reconnects answered 503 or 429: the nodes left were full
	FirstErr   string    `json:"first_err"`
	// Where the readers short of a marker were at the end: reading a
	// stream (by node, and whether it had answered), dialling, waiting.
	Short map[string]int `json:"short,omitempty"`
	// and when each of them was last answered (unix ns)
	ShortLast []int64 `json:"short_last,omitempty"`
}

// runSpikeClients is a client process: COUNT streams to NODES[HOME] from
// source addresses FROM…, each reconnecting to the next node with its
// Last-Event-ID when its stream ends. It prints "ready" once all are
// subscribed and its summary as JSON when its standard input closes.
func runSpikeClients() int {
	nodes := strings.Split(os.Getenv("NODES"), ",")
	home, _ := strconv.Atoi(os.Getenv("HOME_NODE"))
	from, _ := strconv.Atoi(os.Getenv("FROM"))
	count, _ := strconv.Atoi(os.Getenv("COUNT"))
	since := os.Getenv("SINCE")
	marks := strings.Split(os.Getenv("MARKERS"), ",")
	path := os.Getenv("EVENTS")
	var sum spikeClientSummary
	sum.Arrived = make([][]int64, len(marks))
	for m := range sum.Arrived {
		sum.Arrived[m] = make([]int64, count)
	}
	var arrivedMu sync.Mutex
	var connected, dup, reconnects, refused atomic.Int64
	var firstErr atomic.Value
	// where each reader is, for the summary: "dial", "wait", or
	// "read n/answered" or "read n/silent"
	where := make([]atomic.Value, count)
	answered := make([]atomic.Int64, count)
	var ready sync.WaitGroup
	ready.Add(count)
	ctx, cancel := context.WithCancel(context.Background())
	sem := make(chan struct{}, 96)
	for i := range count {
		go func() {
			once := sync.OnceFunc(ready.Done)
			defer once()
			last, node, got, subscribed := since, home, 0, false
			ceiling := 2 * time.Second // of the next wait: news.RetryDelay's first step, or the switch's
			redial := false
			// A connection that served a stream is no failure: in slow mode
			// (the nodes left by a kill are near their cap) every stream
			// ends after its replay, and a widget polls on; 20 in a row
			// that served nothing are.
			for attempt, failures := 0, 0; failures < 20 && got < len(marks) && ctx.Err() == nil; attempt++ {
				if attempt > 0 {
					reconnects.Add(1)
					node = (node + 1 + rand.IntN(len(nodes)-1)) % len(nodes) // another node, as a load balancer would pick
					where[i].Store("wait")
					wait := ceiling
					if redial { // a connect refused (the node killed): a load balancer tries the next node at once
						wait, redial = 100*time.Millisecond, false
					}
					time.Sleep(time.Duration(rand.Float64() * float64(wait)))
				}
				where[i].Store("dial")
				sem <- struct{}{}
				d := net.Dialer{Timeout: 20 * time.Second, LocalAddr: &net.TCPAddr{IP: sourceAddr(from+i, streamsPerAddr)}}
				conn, err := d.DialContext(ctx, "tcp", nodes[node])
				<-sem
				if err != nil {
					firstErr.CompareAndSwap(nil, err.Error())
					failures++
					redial = true
					continue
				}
				failures++ // until it serves
				fmt.Fprintf(conn, "GET %s?since=%s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, last, nodes[node])
				br := bufio.NewReaderSize(conn, 512)
				where[i].Store(fmt.Sprintf("read %d/silent", node))
				for {
					line, err := br.ReadSlice('\n')
					if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
						break
					}
					switch {
					case bytes.HasPrefix(line, []byte("HTTP/1.1 503")), bytes.HasPrefix(line, []byte("HTTP/1.1 429")):
						refused.Add(1)
					case bytes.HasPrefix(line, []byte("retry:")):
						failures = 0
						where[i].Store(fmt.Sprintf("read %d/answered", node))
						answered[i].Store(time.Now().UnixNano())
						if attempt == 0 && !subscribed { // a stream hears retry: again when the switch moves
							subscribed = true
							connected.Add(1)
							once()
						}
					case bytes.HasPrefix(line, []byte("id: ")):
						last = string(bytes.TrimSpace(line[4:]))
					case bytes.HasPrefix(line, []byte("data:")):
						// the switch's word: held back, a widget comes back
						// within its retry_ms, as web/boot.js does
						if m := liveWord.FindSubmatch(line); m != nil {
							ceiling = 2 * time.Second
							if ms, _ := strconv.Atoi(string(m[2])); string(m[1]) != "normal" && ms > 0 {
								ceiling = time.Duration(ms) * time.Millisecond
							}
						}
						for m, mk := range marks {
							if bytes.Contains(line, []byte(mk)) {
								now := time.Now().UnixNano()
								arrivedMu.Lock()
								if sum.Arrived[m][i] != 0 {
									dup.Add(1)
								} else {
									sum.Arrived[m][i] = now
									got++
								}
								arrivedMu.Unlock()
							}
						}
					}
					if got == len(marks) {
						break // keep the connection: it is closed at the end
					}
				}
				if got == len(marks) {
					go func() { <-ctx.Done(); conn.Close() }()
					break
				}
				conn.Close()
			}
		}()
	}
	ready.Wait()
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin) // until the bench is done
	cancel()
	sum.Connected, sum.Dup, sum.Reconnects, sum.Refused = int(connected.Load()), int(dup.Load()), int(reconnects.Load()), int(refused.Load())
	if e, ok := firstErr.Load().(string); ok {
		sum.FirstErr = e
	}
	arrivedMu.Lock()
	sum.Short = map[string]int{}
	for i := range count {
		for m := range sum.Arrived {
			if sum.Arrived[m][i] == 0 {
				w, _ := where[i].Load().(string)
				sum.Short[w]++
				sum.ShortLast = append(sum.ShortLast, answered[i].Load())
				break
			}
		}
	}
	json.NewEncoder(os.Stdout).Encode(sum)
	return 0
}

// liveWord reads the mode and the wait's ceiling of a "live" event.
var liveWord = regexp.MustCompile(`"mode":"(\w+)".*"retry_ms":(\d+)`)

// benchTB lets the bench use pgtest's throwaway PostgreSQL: Fatalf and
// Skipf end the goroutine that called pgtest (see startPostgres).
type benchTB struct {
	testing.TB
	cleanups []func()
	err      error
}

func (b *benchTB) Helper()                   {}
func (b *benchTB) Cleanup(f func())          { b.cleanups = append(b.cleanups, f) }
func (b *benchTB) Logf(string, ...any)       {}
func (b *benchTB) Errorf(f string, a ...any) { b.err = fmt.Errorf(f, a...) }
func (b *benchTB) Fatalf(f string, a ...any) { b.err = fmt.Errorf(f, a...); runtime.Goexit() }
func (b *benchTB) Skipf(f string, a ...any)  { b.err = fmt.Errorf(f, a...); runtime.Goexit() }

// startPostgres starts a throwaway PostgreSQL cluster and returns the DSN
// of an empty database and its stop.
func startPostgres() (dsn string, stop func(), err error) {
	tb := &benchTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		dsn = pgtest.New(tb).DSN
	}()
	<-done
	stop = func() {
		for i := len(tb.cleanups) - 1; i >= 0; i-- {
			tb.cleanups[i]()
		}
	}
	if tb.err != nil {
		stop()
		return "", nil, tb.err
	}
	return dsn, stop, nil
}

// spikeWorker is one client child process.
type spikeWorker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// spikeClients are the client processes of a five-node fan-out, one per
// node.
type spikeClients []*spikeWorker

// startSpikeClients starts one client process per address in addrs, each
// holding per streams to its node at path from since, and returns once
// every stream is subscribed.
func startSpikeClients(addrs []string, path string, per int, since int64, marks []string) (spikeClients, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ws := make(spikeClients, len(addrs))
	for i := range ws {
		c := command(self)
		c.Env = append(os.Environ(), spikeClientEnv+"=1", "NODES="+strings.Join(addrs, ","), "HOME_NODE="+strconv.Itoa(i), "EVENTS="+path,
			"FROM="+strconv.Itoa(i*per), "COUNT="+strconv.Itoa(per), "SINCE="+strconv.FormatInt(since, 10), "MARKERS="+strings.Join(marks, ","))
		c.Stderr = os.Stderr
		in, _ := c.StdinPipe()
		out, _ := c.StdoutPipe()
		if err := c.Start(); err != nil {
			ws.stop()
			return nil, err
		}
		track(c)
		ws[i] = &spikeWorker{cmd: c, stdin: in, out: bufio.NewReaderSize(out, 1<<20)}
	}
	for i, w := range ws {
		if line, err := w.out.ReadString('\n'); strings.TrimSpace(line) != "ready" {
			ws.stop()
			return nil, fmt.Errorf("client process %d: %q, %v", i, line, err)
		}
	}
	return ws, nil
}

// cpu is the CPU time the client processes have used.
func (ws spikeClients) cpu() (d time.Duration) {
	for _, w := range ws {
		if w != nil {
			d += cpuTime(w.cmd.Process.Pid)
		}
	}
	return d
}

// finish ends the client processes and returns their summaries.
func (ws spikeClients) finish() ([]spikeClientSummary, error) {
	defer ws.stop()
	sums := make([]spikeClientSummary, len(ws))
	for i, w := range ws {
		w.stdin.Close()
		if err := json.NewDecoder(w.out).Decode(&sums[i]); err != nil {
			return nil, fmt.Errorf("client process %d: %w", i, err)
		}
		w.cmd.Wait()
		untrack(w.cmd)
		ws[i] = nil
	}
	return sums, nil
}

// stop ends the client processes still running.
func (ws spikeClients) stop() {
	for i, w := range ws {
		if w != nil {
			w.stdin.Close()
			stopProcess(w.cmd, syscall.SIGTERM, 5*time.Second)
			ws[i] = nil
		}
	}
}

// measureNodeSpike reports the five-node rows of figure 14.
func measureNodeSpike(ctx context.Context, rep *Report, env *benchEnv, total int) {
	label := fmt.Sprintf("%s streams over %d nodes", num(float64(total)), spikeNodes)
	ids := []string{"14f", "14g", "14h"}
	fail := func(err error) {
		for _, id := range ids {
			rep.fail(id, "spike, "+label, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 8*time.Minute)
	defer cancel()
	per := total / spikeNodes
	floor, ferr := anchorNodeSpike(ctx, per)
	dsn, stopPG, err := startPostgres()
	if err != nil {
		fail(fmt.Errorf("PostgreSQL: %w", err))
		return
	}
	defer stopPG()
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	nodes := make([]*widgetServer, spikeNodes)
	addrs := make([]string, spikeNodes)
	defer func() {
		for _, n := range nodes {
			if n != nil {
				n.Stop()
			}
		}
	}()
	for i := range nodes {
		n, err := startSpikeNode(ctx, env, int(lim.Cur)-spikeFDReserve, "-postgres", dsn)
		if err != nil {
			fail(fmt.Errorf("node %d: %w", i, err))
			return
		}
		nodes[i], addrs[i] = n, n.Addr
	}
	seq, err := healthSeq(nodes[0].URL)
	if err != nil {
		fail(err)
		return
	}
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	marks := make([]string, spikeNodeMarks)
	for m := range marks {
		marks[m] = "spike5-" + stamp + "-" + strconv.Itoa(m)
	}
	start := time.Now()
	workers, err := startSpikeClients(addrs, "/api/events", per, seq, marks)
	if err != nil {
		fail(err)
		return
	}
	defer workers.stop()
	connectTook := time.Since(start)
	time.Sleep(3 * time.Second)
	rssBefore := make([]int64, spikeNodes)
	for i, n := range nodes {
		rssBefore[i], _ = rssBytes(n.Pid())
	}
	cl := clientFrom(nil, 10*time.Second)
	publishOn := func(node, m int) (time.Time, error) {
		t := time.Now()
		err := publishArticle(ctx, cl, nodes[node].URL, map[string]any{"title": "Spike " + marks[m], "flash": true, "source": "bench"})
		if err != nil { // what the node was doing: its goroutines, in a copy of its log
			nodes[node].cmd.Process.Signal(syscall.SIGQUIT)
			time.Sleep(2 * time.Second)
			dump := filepath.Join(os.TempDir(), fmt.Sprintf("nwbench-spike-node%d.log", node))
			if b, rerr := os.ReadFile(nodes[node].log.Name()); rerr == nil && os.WriteFile(dump, b, 0o644) == nil {
				err = fmt.Errorf("publish %d on node %d after %.1f s: %w (its goroutines: %s)", m+1, node, time.Since(t).Seconds(), err, dump)
			}
		}
		return t, err
	}
	// the CPU each side uses over the first fan-out: the nodes' against
	// the clients', which stand in for readers on other machines
	cpu := func() (nodesCPU, clientsCPU time.Duration) {
		for _, n := range nodes {
			nodesCPU += cpuTime(n.Pid())
		}
		return nodesCPU, workers.cpu()
	}
	n0, c0 := cpu()
	if out := os.Getenv("NWBENCH_PERF"); out != "" { // a profile of the whole machine over the first fan-out
		p := command("perf", "record", "-a", "-g", "-F", "499", "-o", out, "--", "sleep", "3")
		if err := p.Start(); err == nil {
			defer p.Wait()
			time.Sleep(300 * time.Millisecond) // perf's own start
		}
	}
	t0, err := publishOn(1, 0)
	if err != nil {
		fail(err)
		return
	}
	time.Sleep(5 * time.Second)
	n1, c1 := cpu()
	fanNodes, fanClients := (n1 - n0).Seconds(), (c1 - c0).Seconds()
	if _, err := publishOn(3, 1); err != nil {
		fail(err)
		return
	}
	time.Sleep(50 * time.Millisecond) // mid-fan-out
	nodes[spikeKilledNode].cmd.Process.Kill()
	nodes[spikeKilledNode].cmd.Wait()
	untrack(nodes[spikeKilledNode].cmd)
	nodes[spikeKilledNode] = nil
	time.Sleep(15 * time.Second) // its readers come back within 2 s, to the others, and catch up
	t2, err := publishOn(4, 2)
	if err != nil {
		fail(err)
		return
	}
	// the nodes left are slow (near their cap): their readers poll within
	// the slow ceiling, as widgets do
	time.Sleep(news.SlowRetry + 10*time.Second)
	var lat []float64
	lost, dup, recon, connected, refused := 0, 0, 0, 0, 0
	lostBy := make([]int, spikeNodeMarks) // per publish: before the kill, mid-kill, after
	short := map[string]int{}             // where the readers short of one were at the end
	var shortLast []float64               // and when last answered, s after the third publish
	firstErr := ""
	sums, err := workers.finish()
	if err != nil {
		fail(err)
		return
	}
	for _, sum := range sums {
		connected += sum.Connected
		dup += sum.Dup
		recon += sum.Reconnects
		refused += sum.Refused
		for k, v := range sum.Short {
			short[k] += v
		}
		for _, at := range sum.ShortLast {
			shortLast = append(shortLast, float64(at-t2.UnixNano())/1e9)
		}
		if firstErr == "" {
			firstErr = sum.FirstErr
		}
		for m := range sum.Arrived {
			for _, at := range sum.Arrived[m] {
				if at == 0 {
					lost++
					lostBy[m]++
				} else if m == 0 {
					lat = append(lat, float64(at-t0.UnixNano())/1e6)
				}
			}
		}
	}
	sort.Float64s(lat)
	var rss int64
	for i, n := range nodes {
		if n != nil {
			r, _ := rssBytes(n.Pid())
			rss += r - rssBefore[i]
		}
	}
	rep.detail("streams_nodes", map[string]any{"total": total, "connected": connected, "connect_seconds": connectTook.Seconds(),
		"lost": lost, "lost_by_publish": lostBy, "short_readers_were": short, "short_last_answered_s": summarize(shortLast), "duplicated": dup, "reconnects": recon, "refused": refused, "first_error": firstErr,
		"fanout_cpu_seconds": map[string]float64{"nodes": fanNodes, "clients": fanClients, "window": 5},
		"latency_ms":         map[string]float64{"p50": percentile(lat, 50), "p90": percentile(lat, 90), "p99": percentile(lat, 99), "max": percentile(lat, 100)}})
	rep.add(&Row{ID: "14f", Figure: "spike, " + label + ": streams subscribed", Unit: "streams", Value: float64(connected),
		AnchorName: "(all)", Kind: ValueMin, Limit: float64(per * spikeNodes),
		Note: fmt.Sprintf("connected in %.1f s by %d client processes, one per node", connectTook.Seconds(), spikeNodes)})
	g := &Row{ID: "14g", Figure: "spike, " + label + ": publish on one node to every stream, p99", Unit: "ms", Value: percentile(lat, 99),
		AnchorName: "five minimal net/http SSE servers, no store, one write each (this machine's floor)", Kind: ValueMax, Limit: spikeNodesP99,
		Note: fmt.Sprintf("p50 %.0f, p90 %.0f, max %.0f ms, %d of %d streams; CPU in the 5 s from the publish: the nodes %.2f s, the client processes %.2f s (of 10 s on 2 cores)",
			percentile(lat, 50), percentile(lat, 90), percentile(lat, 100), len(lat), per*spikeNodes, fanNodes, fanClients)}
	if ferr != nil {
		g.Note += "; the anchor: " + ferr.Error()
	} else {
		g.Anchor, g.HasAnchor = percentile(floor.lat, 99), true
		g.Note += fmt.Sprintf("; the anchor: p50 %.0f, max %.0f ms, %d of %d streams, CPU: its servers %.2f s, the clients %.2f s",
			percentile(floor.lat, 50), percentile(floor.lat, 100), len(floor.lat), per*spikeNodes, floor.servers, floor.clients)
	}
	rep.add(g)
	rep.add(&Row{ID: "14h", Figure: "spike, " + label + ": a node killed mid-fan-out, articles lost or duplicated", Unit: "articles", Value: float64(lost + dup),
		AnchorName: "(none)", Kind: ValueMax, Limit: 0,
		Note: fmt.Sprintf("%d lost (%v by publish: before the kill, during it, after it), %d duplicated of %d deliveries; %d reconnects to the other nodes, %d of them refused (the nodes left at their cap)",
			lost, lostBy, dup, spikeNodeMarks*per*spikeNodes, recon, refused)})
}

// spikeFloor is the anchor's fan-out: each stream's latency (ms) and the
// CPU each side used in the 5 s from the publish.
type spikeFloor struct {
	lat              []float64
	servers, clients float64
}

// anchorNodeSpike is 14g's anchor: the same streams from the same client
// processes, held by five of the minimal net/http SSE servers
// (startSSEAnchor) instead of the nodes, and one message published to all
// five at once. No store, no notification between nodes, a frame of a few
// bytes: what fanning out to that many streams costs on this machine.
func anchorNodeSpike(ctx context.Context, per int) (spikeFloor, error) {
	var f spikeFloor
	anchors := make([]*streamTarget, spikeNodes)
	addrs := make([]string, spikeNodes)
	defer func() {
		for _, a := range anchors {
			if a != nil {
				a.stop()
			}
		}
	}()
	for i := range anchors {
		a, err := startSSEAnchor(ctx)
		if err != nil {
			return f, err
		}
		anchors[i], addrs[i] = a, a.addr
	}
	mark := "anchor5-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ws, err := startSpikeClients(addrs, "/events", per, 0, []string{mark})
	if err != nil {
		return f, err
	}
	defer ws.stop()
	time.Sleep(3 * time.Second) // as the nodes are left to settle
	servers := func() (d time.Duration) {
		for _, a := range anchors {
			d += cpuTime(a.pid)
		}
		return d
	}
	s0, c0 := servers(), ws.cpu()
	t0 := time.Now()
	errs := make(chan error, len(anchors))
	for _, a := range anchors {
		go func() { errs <- a.publish(ctx, mark) }()
	}
	for range anchors {
		if err := <-errs; err != nil {
			return f, err
		}
	}
	time.Sleep(5 * time.Second)
	f.servers, f.clients = (servers() - s0).Seconds(), (ws.cpu() - c0).Seconds()
	sums, err := ws.finish()
	if err != nil {
		return f, err
	}
	for _, sum := range sums {
		for _, at := range sum.Arrived[0] {
			if at != 0 {
				f.lat = append(f.lat, float64(at-t0.UnixNano())/1e6)
			}
		}
	}
	sort.Float64s(f.lat)
	if len(f.lat) < per*spikeNodes {
		return f, fmt.Errorf("%d of %d streams got the message", len(f.lat), per*spikeNodes)
	}
	return f, nil
}

// summarize is the quartiles of xs.
func summarize(xs []float64) []float64 {
	if len(xs) == 0 {
		return nil
	}
	sort.Float64s(xs)
	return []float64{xs[0], percentile(xs, 25), percentile(xs, 50), percentile(xs, 75), xs[len(xs)-1]}
}
