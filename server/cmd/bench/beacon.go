package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// beaconUA is a reader's browser: the server drops a bot's beacons before
// counting, and wrk sends no User-Agent of its own.
const beaconUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"

// beaconBudget is the least number of beacons one node must take per second.
const beaconBudget = 20_000

// measureBeacons reports figure 13: POST /api/beacon, an impression and a
// click on a real article as the widget's frame sends them, beacons per
// second under wrk (-t2 -c50) -- every one counted, as /metrics confirms --
// beside a bare net/http server answering the same requests on the same
// machine. The budget is absolute: 20,000 a second on one node.
func measureBeacons(ctx context.Context, rep *Report, env *benchEnv) {
	const fig = "POST /api/beacon throughput (wrk -t2 -c50)"
	wrkBin, err := ensureTool(ctx, "wrk", "wrk")
	if err != nil {
		rep.fail("13", fig, err)
		return
	}
	data, _ := os.MkdirTemp(env.tmp, "beacon-data-")
	ws, err := startWidget(ctx, env.serverBin, data, env.tmp)
	if err != nil {
		rep.fail("13", fig, err)
		return
	}
	defer ws.Stop()
	status, body, _, err := get(ws.URL+"/api/articles?limit=1", "")
	var list struct{ Articles []struct{ ID string } }
	if err != nil || status != http.StatusOK || json.Unmarshal(body, &list) != nil || len(list.Articles) == 0 {
		rep.fail("13", fig, fmt.Errorf("no article to click: %d %v", status, err))
		return
	}
	beacon := fmt.Sprintf(`{"p":"","i":1,"c":[%q]}`, list.Articles[0].ID)
	script := filepath.Join(env.tmp, "beacon.lua")
	lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = %q\nwrk.headers[\"Content-Type\"] = \"text/plain;charset=UTF-8\"\n"+
		"wrk.headers[\"User-Agent\"] = %q\nwrk.headers[\"Sec-Fetch-Site\"] = \"same-origin\"\n", beacon, beaconUA)
	if err := os.WriteFile(script, []byte(lua), 0o644); err != nil {
		rep.fail("13", fig, err)
		return
	}
	// the anchor: net/http's ceiling, a bare handler answering any request
	port, err := freePort("127.0.0.1")
	if err != nil {
		rep.fail("13", fig, err)
		return
	}
	anchorAddr := "127.0.0.1:" + strconv.Itoa(port)
	anchor := command(env.anchorBin, "-addr", anchorAddr)
	if err := anchor.Start(); err != nil {
		rep.fail("13", fig, err)
		return
	}
	track(anchor)
	defer stopProcess(anchor, syscall.SIGTERM, 5*time.Second)
	if err := waitHTTP(ctx, "http://"+anchorAddr+"/", 10*time.Second); err != nil {
		rep.fail("13", fig, err)
		return
	}
	srvURL, anchorURL := ws.URL+"/api/beacon", "http://"+anchorAddr+"/api/beacon"
	for _, u := range []string{srvURL, anchorURL} { // warm-up
		runWrkScript(ctx, wrkBin, script, u, time.Second)
	}
	before, err := acceptedBeacons(ws.URL)
	if err != nil {
		rep.fail("13", fig, err)
		return
	}
	var srv, anc []float64
	var sent int64
	var errs []string
	for i := 0; i < env.wrkRuns && ctx.Err() == nil; i++ {
		r, n, err := runWrkScript(ctx, wrkBin, script, srvURL, env.wrkDur)
		if err == nil && r.Errors != "" {
			err = errors.New("server: " + r.Errors)
		}
		if err != nil {
			errs = append(errs, err.Error())
		} else {
			srv, sent = append(srv, r.RPS), sent+n
		}
		if r, _, err := runWrkScript(ctx, wrkBin, script, anchorURL, env.wrkDur); err != nil {
			errs = append(errs, err.Error())
		} else {
			anc = append(anc, r.RPS)
		}
	}
	after, err := acceptedBeacons(ws.URL)
	if err != nil {
		errs = append(errs, err.Error())
	}
	if len(srv) == 0 || len(anc) == 0 {
		rep.fail("13", fig, errors.New(strings.Join(errs, "; ")))
		return
	}
	counted := after - before
	note := fmt.Sprintf("the server counted %.0f of the %d beacons wrk completed (an impression and a click each)", counted, sent)
	if rss, err := rssBytes(ws.Pid()); err == nil {
		note += fmt.Sprintf("; server RSS after: %.0f MB", float64(rss)/(1<<20))
	}
	if len(errs) > 0 {
		note += "; " + strings.Join(errs, "; ")
	}
	rep.detail("beacon_runs", map[string]any{"server_rps": srv, "anchor_rps": anc, "sent": sent, "counted": counted, "body": beacon})
	row := &Row{ID: "13", Figure: fig, Unit: "req/s", Value: median(srv), Runs: srv,
		Anchor: median(anc), AnchorRuns: anc, HasAnchor: true, AnchorName: "bare net/http answering the same POST",
		Kind: ValueMin, Limit: beaconBudget, Note: note}
	if counted < float64(sent) {
		row.Note = "NOT ALL COUNTED: " + note
	}
	rep.add(row)
}

// runWrkScript loads url with wrk and a Lua script for d, returning the
// result and how many requests completed.
func runWrkScript(ctx context.Context, bin, script, url string, d time.Duration) (wrkResult, int64, error) {
	return wrk(ctx, bin, url, d, "-s", script)
}

// acceptedBeacons reads newswidget_beacons_total{result="accepted"}.
func acceptedBeacons(base string) (float64, error) {
	status, body, _, err := get(base+"/metrics", "")
	if err != nil || status != http.StatusOK {
		return 0, fmt.Errorf("/metrics: %d %v", status, err)
	}
	for _, l := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(l, `newswidget_beacons_total{result="accepted"} `); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, nil
}
