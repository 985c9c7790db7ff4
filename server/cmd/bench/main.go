// Command bench is newswidget's performance harness, a development tool that
// is not part of the server: run by `make bench`, it measures every budgeted
// figure (below) beside its anchor in one run, prints a table (figure,
// value, anchor, ratio or difference, budget, and by how much a missed
// budget is missed) and writes it as JSON to bin/bench.json.
//
//	go run ./server/cmd/bench [-out FILE] [-quick] [-runs N] [-only 1,2,9] [-soak 2m]
//
// Run directly, it needs web/dist/app.wasm.br (`make wasm`; `make bench`
// builds it and bin/hello.wasm.br first). It builds the server and its
// anchors itself, installs chromium, wrk and nginx-light with apt-get when
// they are missing and it runs as root, and stops after 20 minutes at most.
//
// The figures: the wasm and the loader on the wire (1, 2); the widget in a
// headless Chromium on a host page of another origin, cold and warm (3–5);
// a frame's memory after 1,000 live updates (6); GET /api/articles and its
// revalidation under wrk beside nginx (7, 8); 10,000 event-stream
// subscribers (9); the server's start to its first byte (10); a soak of the
// API and 10,000 subscribers under steady publishing (11); the widget as a
// light guest of the publisher's page, its frame in the page's renderer
// process at 4× CPU slowdown (12). Every load
// goes to loopback addresses only, and every loop is bounded in count and
// time. Timed figures are medians of several runs: the machine is noisy.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"newswidget/server/internal/chromium"
)

// benchEnv is what every measurement shares.
type benchEnv struct {
	root      string // the repository
	tmp       string // scratch space, removed at the end
	serverBin string // the real server, built by the bench
	anchorBin string // the minimal Go HTTP server
	chromium  string
	runs      int           // repetitions of the browser and start-up figures
	memRuns   int           // repetitions of the memory figure
	wrkRuns   int           // wrk runs per server and request
	wrkDur    time.Duration // each wrk run's length
	soakDur   time.Duration // the soak's length (figure 11)
}

func main() {
	out := flag.String("out", "", "write the JSON report to `FILE` (default bin/bench.json)")
	quick := flag.Bool("quick", false, "fewer and shorter runs, for working on the harness")
	runs := flag.Int("runs", 0, "repeat the browser and start-up measurements `N` times (default 7; 3 with -quick)")
	only := flag.String("only", "", "measure only these figures, comma-separated `LIST` of 1–12")
	soak := flag.Duration("soak", 0, "hold the soak (figure 11) for `DURATION` (default 3m; 30s with -quick; at most 15m)")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), `Usage: go run ./server/cmd/bench [flags]   (or: make bench BENCH_FLAGS="...")

Measures every budgeted figure of newswidget beside its anchor, prints a
table and writes it as JSON. Needs web/dist/app.wasm.br (make wasm).

Flags:
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	os.Exit(bench(*out, *quick, *runs, *only, *soak))
}

// tmpDir is the run's scratch directory, for the interrupt handler.
var tmpDir atomic.Pointer[string]

func bench(out string, quick bool, runs int, only string, soak time.Duration) int {
	start := time.Now()
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if err := os.Chdir(root); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if out == "" {
		out = filepath.Join(root, "bin", "bench.json")
	}
	want := map[int]bool{}
	for _, f := range strings.Split(only, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			want[n] = true
		}
	}
	wants := func(figs ...int) bool {
		if len(want) == 0 {
			return true
		}
		for _, f := range figs {
			if want[f] {
				return true
			}
		}
		return false
	}

	env := &benchEnv{root: root, runs: 7, memRuns: 3, wrkRuns: 5, wrkDur: 4 * time.Second, soakDur: 3 * time.Minute}
	if quick {
		env.runs, env.memRuns, env.wrkRuns, env.wrkDur, env.soakDur = 3, 1, 1, 2*time.Second, 30*time.Second
	}
	if runs > 0 {
		env.runs = runs
	}
	if soak > 0 {
		env.soakDur = soak
	}
	// a hard cap on the whole run; each phase has its own as well
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "bench: interrupted; stopping what it started")
		cancel()
		killChildren()
		if tmp := tmpDir.Load(); tmp != nil {
			os.RemoveAll(*tmp)
		}
		os.Exit(130)
	}()
	defer killChildren()

	rep := &Report{Started: start.UTC(), Quick: quick, Runs: env.runs, Go: goruntime.Version(), Tools: map[string]string{}, Details: map[string]any{}}
	rep.Machine = fmt.Sprintf("%s/%s, %d cores, %s", goruntime.GOOS, goruntime.GOARCH, goruntime.NumCPU(), output("uname", "-r"))
	if n, err := raiseFileLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "bench: raising the open-file limit:", err)
	} else {
		rep.detail("open_file_limit", n)
	}
	if env.tmp, err = os.MkdirTemp("", "newswidget-bench-"); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	defer os.RemoveAll(env.tmp)
	tmpDir.Store(&env.tmp)

	// the real server binary and the start-up anchor, built as `make build` does
	fmt.Fprintln(os.Stderr, "bench: building the server and the anchors")
	buildErr := func() error {
		if _, err := os.Stat(filepath.Join(root, "web", "dist", "app.wasm.br")); err != nil {
			return fmt.Errorf("web/dist/app.wasm.br is missing: run `make wasm` (make bench does)")
		}
		env.serverBin = filepath.Join(env.tmp, "newswidget")
		if err := run(ctx, root, nil, "go", "build", "-trimpath", "-o", env.serverBin, "./server/cmd/newswidget"); err != nil {
			return err
		}
		env.anchorBin = filepath.Join(env.tmp, "minhttp")
		return run(ctx, root, nil, "go", "build", "-trimpath", "-o", env.anchorBin, "./server/cmd/bench/minhttp")
	}()
	hello, helloErr := loadHello(ctx, root, env.tmp)
	if helloErr != nil {
		fmt.Fprintln(os.Stderr, "bench: go-app's hello world:", helloErr)
	}

	phase := func(name string, figs []int, ids []string, needServer bool, f func()) {
		if !wants(figs...) || ctx.Err() != nil {
			return
		}
		if needServer && buildErr != nil {
			for _, id := range ids {
				rep.fail(id, name, fmt.Errorf("the server binary could not be built: %w", buildErr))
			}
			return
		}
		fmt.Fprintf(os.Stderr, "bench: %s\n", name)
		t, load := time.Now(), loadAvg()
		defer func() {
			if v := recover(); v != nil {
				for _, id := range ids {
					rep.fail(id, name, fmt.Errorf("the harness panicked: %v", v))
				}
			}
			rep.detail("seconds_"+name, time.Since(t).Seconds())
			rep.Load = append(rep.Load, PhaseLoad{Phase: name, Start: load, End: loadAvg()})
		}()
		f()
	}

	phase("sizes", []int{1, 2}, []string{"1", "2"}, false, func() { measureSizes(rep, hello) })
	phase("startup", []int{10}, []string{"10a", "10b"}, true, func() { measureStartup(ctx, rep, env) })
	phase("throughput", []int{7, 8}, []string{"7", "8"}, true, func() { measureThroughput(ctx, rep, env) })
	phase("sse", []int{9}, []string{"9a", "9b", "9c"}, true, func() { measureSSE(ctx, rep, env) })
	phase("beacons", []int{13}, []string{"13"}, true, func() { measureBeacons(ctx, rep, env) })
	phase("streams", []int{14}, spikeIDs(), true, func() { measureStreams(ctx, rep, env) }) // streams.go
	if wants(3, 4, 5, 6, 12) {
		browserIDs := []string{"3", "4a", "4b", "5a", "5b", "5c"}
		guestIDs := []string{"12a", "12b", "12c", "12d", "12e", "12f", "12g", "12h"}
		chromium, chromeErr := chromiumPath(ctx)
		env.chromium = chromium
		rep.Tools["chromium"] = output(chromium, "--version")
		var anchorURL, hostURL string
		var stopAnchor, stopHost func()
		setupErr := chromeErr
		if setupErr == nil && helloErr != nil {
			setupErr = fmt.Errorf("go-app's hello world: %w", helloErr)
		}
		if setupErr == nil {
			anchorURL, stopAnchor, setupErr = startAnchorServer(hello, root)
		}
		if setupErr == nil {
			hostURL, stopHost, setupErr = listen("127.0.0.2", hostHandler())
		}
		if setupErr != nil {
			for _, id := range browserIDs {
				if wants(3, 4, 5) {
					rep.fail(id, "browser figures", setupErr)
				}
			}
			if wants(6) {
				rep.fail("6", "widget frame memory after 1,000 live updates", chromeErr)
			}
			if wants(12) {
				for _, id := range guestIDs {
					rep.fail(id, "light guest figures", setupErr)
				}
			}
		} else {
			phase("browser", []int{3, 4, 5}, browserIDs, true, func() { measureBrowser(ctx, rep, env, anchorURL, hostURL) })
			phase("memory", []int{6}, []string{"6"}, true, func() { measureMemory(ctx, rep, env, hostURL) })
			phase("guest", []int{12}, guestIDs, true, func() { measureGuest(ctx, rep, env, anchorURL, hostURL) })
			stopAnchor()
			stopHost()
		}
	}
	phase("soak", []int{11}, []string{"11a", "11b", "11c"}, true, func() { measureSoak(ctx, rep, env) })
	rep.Tools["go"] = output("go", "version")
	rep.Tools["wrk"] = firstLine(outputAll("wrk", "-v"))
	rep.Tools["nginx"] = outputAll("nginx", "-v")
	if ctx.Err() != nil {
		rep.detail("stopped", "the run hit its 20-minute cap: "+ctx.Err().Error())
	}

	sortRows(rep.Rows)
	rep.finish(start)
	fmt.Println()
	rep.print(os.Stdout)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err == nil {
		err = rep.write(out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: writing the report:", err)
			return 1
		}
		fmt.Printf("\nreport written to %s\n", out)
	}
	return 0
}

// chromiumPath finds Chromium as the browser tests do, installing Debian's
// package when it is missing.
func chromiumPath(ctx context.Context) (string, error) {
	if p, ok := chromium.Find(); ok {
		return p, nil
	}
	return ensureTool(ctx, "chromium", "chromium")
}

// outputAll is a command's standard output and error together.
func outputAll(name string, args ...string) string {
	c := command(name, args...)
	out, _ := c.CombinedOutput()
	return strings.TrimSpace(string(out))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// sortRows orders rows by figure number, then by letter.
func sortRows(rows []*Row) {
	key := func(id string) (int, string) {
		i := 0
		for i < len(id) && id[i] >= '0' && id[i] <= '9' {
			i++
		}
		n, _ := strconv.Atoi(id[:i])
		return n, id[i:]
	}
	sort.SliceStable(rows, func(a, b int) bool {
		na, sa := key(rows[a].ID)
		nb, sb := key(rows[b].ID)
		if na != nb {
			return na < nb
		}
		return sa < sb
	})
}
