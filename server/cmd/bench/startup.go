package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"newswidget/server/assets"
)

// firstByte starts bin with args (given the address to listen on) and
// times exec to the first byte of the answer to GET path, which must be a
// 200. It polls the port every half millisecond.
func firstByte(ctx context.Context, bin string, args func(addr string) []string, path string) (time.Duration, error) {
	port, err := freePort("127.0.0.1")
	if err != nil {
		return 0, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	c := command(bin, args(addr)...)
	c.Stdout, c.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := c.Start(); err != nil {
		return 0, err
	}
	track(c)
	defer stopProcess(c, syscall.SIGTERM, 5*time.Second)
	deadline := start.Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			time.Sleep(500 * time.Microsecond)
			continue
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, addr)
		br := bufio.NewReader(conn)
		if _, err := br.Peek(1); err != nil {
			conn.Close()
			continue // accepted before the server was ready to answer
		}
		took := time.Since(start)
		status, _ := br.ReadString('\n')
		conn.Close()
		if !strings.Contains(status, " 200 ") {
			return took, fmt.Errorf("GET %s answered %q", path, strings.TrimSpace(status))
		}
		return took, nil
	}
	return 0, fmt.Errorf("no answer from %s within 10 s", bin)
}

// measureStartup reports figure 10: exec to first byte of /healthz with a
// fresh -data directory and with an existing seeded one, beside the
// smallest Go HTTP server.
func measureStartup(ctx context.Context, rep *Report, env *benchEnv) {
	const fig = "server start to first byte"
	seeded, err := os.MkdirTemp(env.tmp, "seeded-")
	if err != nil {
		rep.fail("10", fig, err)
		return
	}
	serve := func(data string) func(string) []string {
		return func(addr string) []string { return []string{"-addr", addr, "-data", data} }
	}
	anchorArgs := func(addr string) []string { return []string{"-addr", addr} }
	// warm-up, not counted: seeds the existing store and pulls both
	// binaries into the page cache
	if _, err := firstByte(ctx, env.serverBin, serve(seeded), "/healthz"); err != nil {
		rep.fail("10", fig, err)
		return
	}
	firstByte(ctx, env.anchorBin, anchorArgs, "/")
	var fresh, existing, anchor []float64
	var errs []string
	for i := 0; i < env.runs && ctx.Err() == nil; i++ {
		dir, _ := os.MkdirTemp(env.tmp, "fresh-")
		if d, err := firstByte(ctx, env.serverBin, serve(dir), "/healthz"); err == nil {
			fresh = append(fresh, ms(d))
		} else {
			errs = append(errs, err.Error())
		}
		os.RemoveAll(dir)
		if d, err := firstByte(ctx, env.serverBin, serve(seeded), "/healthz"); err == nil {
			existing = append(existing, ms(d))
		} else {
			errs = append(errs, err.Error())
		}
		if d, err := firstByte(ctx, env.anchorBin, anchorArgs, "/"); err == nil {
			anchor = append(anchor, ms(d))
		} else {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		rep.detail("startup_errors", errs)
	}
	// where the time goes: the server builds its static assets at start-up
	// (minify, brotli 11, gzip 9); assets.BundleSizes does the same work
	var static []float64
	for i := 0; i < 3; i++ {
		t := time.Now()
		if _, err := assets.BundleSizes(); err == nil {
			static = append(static, ms(time.Since(t)))
		}
	}
	rep.detail("startup_static_assets_ms", static)
	note := fmt.Sprintf("of which building the static assets at start (minify + brotli 11 + gzip 9, timed in-process through assets.BundleSizes): %.0f ms", median(static))
	for _, v := range []struct {
		id, what string
		runs     []float64
	}{{"10a", "fresh -data dir (creates + seeds the store)", fresh}, {"10b", "existing seeded -data dir", existing}} {
		if len(v.runs) == 0 {
			rep.fail(v.id, fig+", "+v.what, fmt.Errorf("no run succeeded: %s", strings.Join(errs, "; ")))
			continue
		}
		rep.add(&Row{ID: v.id, Figure: fig + ", " + v.what, Unit: "ms",
			Value: median(v.runs), Runs: v.runs, Anchor: median(anchor), AnchorRuns: anchor, HasAnchor: len(anchor) > 0,
			AnchorName: "minimal Go net/http server", Kind: ValueMax, Limit: 200, Note: note})
	}
}

// ms is a duration in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
