package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// nginx serves the API's bytes as a static file, the anchor of the
// throughput figures.
type nginx struct {
	cmd    *exec.Cmd
	prefix string
	URL    string // http://127.0.0.1:port
}

// startNginx runs nginx in the foreground with its own configuration under
// a temporary prefix, on a free 127.0.0.1 port, serving body at
// /api/articles with the same headers the server sends.
func startNginx(ctx context.Context, bin, tmp string, body []byte, headers http.Header) (*nginx, error) {
	prefix, err := os.MkdirTemp(tmp, "nginx-")
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"html", "logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(prefix, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(prefix, "html", "articles.json"), body, 0o644); err != nil {
		return nil, err
	}
	port, err := freePort("127.0.0.1")
	if err != nil {
		return nil, err
	}
	// the same response headers as the Go server's, so both send as many bytes
	var add strings.Builder
	for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "X-Content-Type-Options",
		"Content-Security-Policy", "Referrer-Policy", "Cache-Control", "Vary"} {
		if v := headers.Get(k); v != "" {
			fmt.Fprintf(&add, "      add_header %s %q always;\n", k, v)
		}
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	conf := fmt.Sprintf(`%s
worker_processes 2;  # one per core, as "auto" gives here
daemon off;
master_process on;
pid %[2]s/nginx.pid;
error_log %[2]s/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  server_tokens off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;  # Go's server has no per-connection limit
  client_body_temp_path %[2]s/tmp/body;
  proxy_temp_path %[2]s/tmp/proxy;
  fastcgi_temp_path %[2]s/tmp/fastcgi;
  uwsgi_temp_path %[2]s/tmp/uwsgi;
  scgi_temp_path %[2]s/tmp/scgi;
  server {
    listen 127.0.0.1:%[3]d;
    root %[2]s/html;
    location = /api/articles {
      types { }
      default_type "application/json; charset=utf-8";
%[4]s      try_files /articles.json =404;
    }
  }
}
`, user, prefix, port, add.String())
	confPath := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	logf, _ := os.Create(filepath.Join(prefix, "logs", "stderr.log"))
	c := command(bin, "-p", prefix, "-e", filepath.Join(prefix, "logs", "error.log"), "-c", confPath)
	c.Stdout, c.Stderr = logf, logf
	if err := c.Start(); err != nil {
		return nil, err
	}
	track(c)
	n := &nginx{cmd: c, prefix: prefix, URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
	if err := waitHTTP(ctx, n.URL+"/api/articles", 10*time.Second); err != nil {
		n.Stop()
		log, _ := os.ReadFile(filepath.Join(prefix, "logs", "error.log"))
		return nil, fmt.Errorf("nginx did not start: %w\n%s", err, log)
	}
	return n, nil
}

// Stop ends nginx (SIGQUIT: graceful) and checks that it is gone.
func (n *nginx) Stop() { stopProcess(n.cmd, syscall.SIGQUIT, 5*time.Second) }

// wrkResult is one wrk run.
type wrkResult struct {
	RPS     float64 `json:"rps"`              // requests per second
	Latency string  `json:"latency_avg"`      // as wrk prints it
	Errors  string  `json:"errors,omitempty"` // non-2xx/3xx answers and socket errors
}

var (
	reRPS      = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	reLatency  = regexp.MustCompile(`Latency\s+(\S+)`)
	reNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	reSockErr  = regexp.MustCompile(`Socket errors: .*`)
	reRequests = regexp.MustCompile(`(\d+) requests in`)
)

// startBare runs minhttp serving body with the server's headers and ETag:
// net/http's own ceiling, beside which the server's handler cost shows.
func startBare(env *benchEnv, body []byte, h http.Header) (string, func(), error) {
	f := filepath.Join(env.tmp, "bare-body.json")
	if err := os.WriteFile(f, body, 0o644); err != nil {
		return "", nil, err
	}
	port, err := freePort("127.0.0.1")
	if err != nil {
		return "", nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"-addr", addr, "-body", f, "-etag", h.Get("ETag"), "-type", h.Get("Content-Type")}
	for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "X-Content-Type-Options",
		"Content-Security-Policy", "Referrer-Policy", "Cache-Control", "Vary"} {
		if v := h.Get(k); v != "" {
			args = append(args, "-header", k+": "+v)
		}
	}
	c := command(env.anchorBin, args...)
	// its heap is tiny, so at GOGC=100 it would collect thousands of times a
	// second; without GC (bounded by a memory limit) it is net/http's ceiling
	c.Env = append(os.Environ(), "GOGC=off", "GOMEMLIMIT=1GiB")
	if err := c.Start(); err != nil {
		return "", nil, err
	}
	track(c)
	stop := func() { stopProcess(c, syscall.SIGTERM, 5*time.Second) }
	url := "http://" + addr + "/api/articles"
	if err := waitHTTP(context.Background(), url, 10*time.Second); err != nil {
		stop()
		return "", nil, err
	}
	return url, stop, nil
}

// runWrk loads url with wrk for d, with the header if given.
func runWrk(ctx context.Context, bin, url, header string, d time.Duration) (wrkResult, error) {
	var extra []string
	if header != "" {
		extra = []string{"-H", header}
	}
	r, _, err := wrk(ctx, bin, url, d, extra...)
	return r, err
}

// wrk runs wrk -t2 -c50 on url for d with the extra arguments and reads
// its report: the result, and how many requests completed.
func wrk(ctx context.Context, bin, url string, d time.Duration, extra ...string) (wrkResult, int64, error) {
	args := append([]string{"-t2", "-c50", "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--timeout", "2s"}, extra...)
	args = append(args, url)
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return wrkResult{}, 0, fmt.Errorf("wrk: %w: %s", err, out)
	}
	m := reRPS.FindSubmatch(out)
	if m == nil {
		return wrkResult{}, 0, fmt.Errorf("wrk printed no Requests/sec: %s", out)
	}
	var r wrkResult
	r.RPS, _ = strconv.ParseFloat(string(m[1]), 64)
	if l := reLatency.FindSubmatch(out); l != nil {
		r.Latency = string(l[1])
	}
	var bad []string
	if e := reNon2xx.FindSubmatch(out); e != nil && string(e[1]) != "0" {
		bad = append(bad, "non-2xx/3xx: "+string(e[1]))
	}
	if e := reSockErr.Find(out); e != nil {
		bad = append(bad, string(e))
	}
	r.Errors = strings.Join(bad, "; ")
	var n int64
	if m := reRequests.FindSubmatch(out); m != nil {
		n, _ = strconv.ParseInt(string(m[1]), 10, 64)
	}
	return r, n, nil
}

// get fetches url, with If-None-Match when etag is set, returning the
// status, body and headers.
func get(url, etag string) (int, []byte, http.Header, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header, err
}

// measureThroughput reports figures 7 and 8: GET /api/articles and its
// If-None-Match revalidation, requests per second under wrk, beside nginx
// serving the same bytes as a static file.
func measureThroughput(ctx context.Context, rep *Report, env *benchEnv) {
	const fig7, fig8 = "GET /api/articles throughput (wrk -t2 -c50)", "If-None-Match revalidation (304) throughput"
	failBoth := func(err error) { rep.fail("7", fig7, err); rep.fail("8", fig8, err) }
	wrkBin, err := ensureTool(ctx, "wrk", "wrk")
	if err != nil {
		failBoth(err)
		return
	}
	nginxBin, err := ensureTool(ctx, "nginx", "nginx-light")
	if err != nil {
		failBoth(err)
		return
	}
	data, _ := os.MkdirTemp(env.tmp, "wrk-data-")
	ws, err := startWidget(ctx, env.serverBin, data, env.tmp)
	if err != nil {
		failBoth(err)
		return
	}
	defer ws.Stop()
	apiURL := ws.URL + "/api/articles"
	status, body, h, err := get(apiURL, "")
	if err != nil || status != http.StatusOK {
		failBoth(fmt.Errorf("GET /api/articles: %d %v", status, err))
		return
	}
	etag := h.Get("ETag")
	if st, _, _, _ := get(apiURL, etag); st != http.StatusNotModified {
		failBoth(fmt.Errorf("the server answers If-None-Match %s with %d, not 304", etag, st))
		return
	}
	ng, err := startNginx(ctx, nginxBin, env.tmp, body, h)
	if err != nil {
		failBoth(err)
		return
	}
	defer ng.Stop()
	ngURL := ng.URL + "/api/articles"
	st, ngBody, ngH, err := get(ngURL, "")
	if err != nil || st != http.StatusOK || string(ngBody) != string(body) {
		failBoth(fmt.Errorf("nginx does not serve the same bytes: %d %v", st, err))
		return
	}
	ngETag := ngH.Get("ETag")
	if st, _, _, _ := get(ngURL, ngETag); st != http.StatusNotModified {
		failBoth(fmt.Errorf("nginx answers If-None-Match %s with %d, not 304", ngETag, st))
		return
	}
	// net/http's own ceiling: a bare handler sending the same bytes and headers
	bareURL, stopBare, err := startBare(env, body, h)
	if err != nil {
		failBoth(err)
		return
	}
	defer stopBare()
	rep.detail("throughput_setup", map[string]any{"body_bytes": len(body), "server_etag": etag, "nginx_etag": ngETag,
		"server_pid": ws.Pid(), "nginx": outputAll(nginxBin, "-v"), "duration_s": env.wrkDur.Seconds(), "runs": env.wrkRuns,
		"note": "wrk, the server (GOMAXPROCS=2) and nginx (2 workers) share the machine's 2 cores; runs alternate server and nginx"})

	type series struct{ srv, ng, bare []float64 }
	var full, reval series
	var raw []map[string]any
	var errs []string
	warm := 1 * time.Second
	for _, u := range []string{apiURL, ngURL, bareURL} { // warm-up: connections, caches, the page cache
		runWrk(ctx, wrkBin, u, "", warm)
	}
	for i := 0; i < env.wrkRuns && ctx.Err() == nil; i++ {
		type load struct {
			url, header string
			into        *[]float64
			name        string
		}
		loads := []load{
			{apiURL, "", &full.srv, "server 200"},
			{ngURL, "", &full.ng, "nginx 200"},
			{apiURL, "If-None-Match: " + etag, &reval.srv, "server 304"},
			{ngURL, "If-None-Match: " + ngETag, &reval.ng, "nginx 304"},
		}
		if i < 3 { // the bare handler is context, not the budget: fewer runs
			loads = append(loads, load{bareURL, "", &full.bare, "bare net/http 200"}, load{bareURL, "If-None-Match: " + etag, &reval.bare, "bare net/http 304"})
		}
		for _, c := range loads {
			r, err := runWrk(ctx, wrkBin, c.url, c.header, env.wrkDur)
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			if r.Errors != "" {
				errs = append(errs, c.name+": "+r.Errors)
			}
			*c.into = append(*c.into, r.RPS)
			raw = append(raw, map[string]any{"run": i, "what": c.name, "rps": r.RPS, "latency_avg": r.Latency, "errors": r.Errors})
		}
	}
	rep.detail("throughput_runs", raw)
	if len(errs) > 0 {
		rep.detail("throughput_errors", errs)
	}
	if rss, err := rssBytes(ws.Pid()); err == nil {
		rep.detail("throughput_server_rss_after", rss)
	}
	add := func(id, fig string, s series) {
		if len(s.srv) == 0 || len(s.ng) == 0 {
			rep.fail(id, fig, errors.New(strings.Join(errs, "; ")))
			return
		}
		note := fmt.Sprintf("a bare net/http handler sending the same bytes and headers (GC off): %.0f req/s (the server reaches %.0f%% of it)", median(s.bare), 100*median(s.srv)/median(s.bare))
		if len(errs) > 0 {
			note += "; wrk reported: " + strings.Join(errs, "; ")
		}
		rep.add(&Row{ID: id, Figure: fig, Unit: "req/s", Value: median(s.srv), Runs: s.srv,
			Anchor: median(s.ng), AnchorRuns: s.ng, HasAnchor: true, AnchorName: "nginx, same bytes, static file",
			Kind: RatioMin, Limit: 0.9, Note: note})
	}
	add("7", fig7, full)
	add("8", fig8, reval)
}
