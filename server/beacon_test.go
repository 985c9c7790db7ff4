package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/internal/testserver"
)

// browserUA is a reader's browser.
const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"

// beaconFrom is the header of a beacon the widget's frame sends.
var beaconFrom = hdr{"User-Agent": browserUA, "Content-Type": "text/plain;charset=UTF-8", "Sec-Fetch-Site": "same-origin"}

// beaconResult returns newswidget_beacons_total of a result.
func (ts *testServer) beaconResult(t *testing.T, result string) float64 {
	t.Helper()
	r := ts.get(t, "/metrics", nil)
	prefix := `newswidget_beacons_total{result="` + result + `"} `
	for _, l := range strings.Split(string(r.Body), "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return 0
}

// totals returns the impressions and clicks GET /api/stats reports to the
// admin for a query.
func (ts *testServer) totals(t *testing.T, query string) (impressions, clicks int64) {
	t.Helper()
	r := ts.get(t, "/api/stats?"+query, auth)
	wantStatus(t, r, http.StatusOK)
	rep := decode[struct{ Impressions, Clicks int64 }](t, r.Body)
	return rep.Impressions, rep.Clicks
}

func (ts *testServer) flush(t *testing.T) {
	t.Helper()
	if err := ts.Srv.FlushStats(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestBeacon sends every kind of beacon and checks what it counted.
func TestBeacon(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	p, err := server.AddPartner(ctx, ts.Store, ts.Store, "gazette", []string{"https://gazette.example"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	gone, err := server.AddPartner(ctx, ts.Store, ts.Store, "gone", []string{"https://gone.example"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	// revoked over the API: the server knows at once
	wantStatus(t, ts.do(t, "DELETE", "/api/partners/gone", nil, auth), http.StatusNoContent)
	article := seedNewest()
	for _, tc := range []struct {
		name    string
		body    string
		h       hdr
		status  int
		result  string
		partner string // where it counts, if accepted
		imp     int64
		clicks  int64
	}{
		{"direct impression", `{"p":"","i":1,"c":[]}`, beaconFrom, 204, "accepted", "direct", 1, 0},
		{"partner impression and click", `{"p":"` + p.Key + `","i":1,"c":["` + article + `"]}`, beaconFrom, 204, "accepted", "gazette", 1, 1},
		{"partner click", `{"p":"` + p.Key + `","i":0,"c":["` + article + `"]}`, beaconFrom, 204, "accepted", "gazette", 0, 1},
		{"no Sec-Fetch-Site", `{"i":1}`, hdr{"User-Agent": browserUA}, 204, "accepted", "direct", 1, 0},
		{"an unknown article with an impression", `{"i":1,"c":["no-such-article"]}`, beaconFrom, 204, "accepted", "direct", 1, 0},
		{"unknown articles only", `{"i":0,"c":["no-such-article","../etc"]}`, beaconFrom, 204, "article", "", 0, 0},
		{"unknown partner", `{"p":"nwp_AAAAAAAAAAAAAAAAAAAAAAAAAA","i":1}`, beaconFrom, 204, "partner", "", 0, 0},
		{"revoked partner", `{"p":"` + gone.Key + `","i":1}`, beaconFrom, 204, "partner", "", 0, 0},
		{"another site's page", `{"i":1}`, hdr{"User-Agent": browserUA, "Sec-Fetch-Site": "cross-site"}, 204, "foreign", "", 0, 0},
		{"headless Chrome", `{"i":1}`, hdr{"User-Agent": strings.Replace(browserUA, "Chrome/", "HeadlessChrome/", 1)}, 204, "bot", "", 0, 0},
		{"no user agent", `{"i":1}`, hdr{"User-Agent": ""}, 204, "bot", "", 0, 0},
		{"nothing in it", `{"i":0,"c":[]}`, beaconFrom, 400, "invalid", "", 0, 0},
		{"two impressions", `{"i":2}`, beaconFrom, 400, "invalid", "", 0, 0},
		{"not JSON", `i=1`, beaconFrom, 400, "invalid", "", 0, 0},
		{"too many clicks", `{"c":["a","b","c","d","e","f","g","h","i","j","k"]}`, beaconFrom, 400, "invalid", "", 0, 0},
		{"too large", `{"i":1,"p":"` + strings.Repeat("x", 2000) + `"}`, beaconFrom, 413, "invalid", "", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.beaconResult(t, tc.result)
			impBefore, clicksBefore := ts.totals(t, "partner="+tc.partner)
			r := ts.do(t, http.MethodPost, "/api/beacon", []byte(tc.body), tc.h)
			wantStatus(t, r, tc.status)
			if c := r.Header.Values("Set-Cookie"); len(c) != 0 {
				t.Errorf("a beacon's answer sets a cookie: %q", c)
			}
			if got := ts.beaconResult(t, tc.result) - before; got != 1 {
				t.Errorf("newswidget_beacons_total{result=%q} went up by %v, want 1", tc.result, got)
			}
			ts.flush(t)
			if tc.partner == "" {
				return
			}
			imp, clicks := ts.totals(t, "partner="+tc.partner)
			if imp-impBefore != tc.imp || clicks-clicksBefore != tc.clicks {
				t.Errorf("counted %d impressions and %d clicks for %s, want %d and %d", imp-impBefore, clicks-clicksBefore, tc.partner, tc.imp, tc.clicks)
			}
		})
	}
}

// TestBeaconBots: the bot filter drops clear bots' user agents and keeps
// browsers'; CountBots turns it off (browser tests drive headless ones).
func TestBeaconBots(t *testing.T) {
	for _, tc := range []struct {
		ua  string
		bot bool
	}{
		{browserUA, false},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1", false},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", false},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36", true},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true},
		{"Mozilla/5.0 (compatible; bingbot/2.0)", true},
		{"Mozilla/5.0 AppleWebKit/537.36 Chrome-Lighthouse", true},
		{"curl/8.5.0", true},
		{"python-requests/2.32", true},
		{"Go-http-client/1.1", true},
		{"", true},
	} {
		t.Run(tc.ua, func(t *testing.T) {
			for _, countBots := range []bool{false, true} {
				ts := newTestServer(t, func(o *server.Options) { o.CountBots = countBots })
				wantStatus(t, ts.do(t, http.MethodPost, "/api/beacon", []byte(`{"i":1}`), hdr{"User-Agent": tc.ua}), http.StatusNoContent)
				ts.flush(t)
				imp, _ := ts.totals(t, "")
				if want := map[bool]int64{true: 0, false: 1}[tc.bot && !countBots]; imp != want {
					t.Errorf("CountBots %v: %d impressions counted, want %d", countBots, imp, want)
				}
			}
		})
	}
}

// TestBeaconFlush: counts reach the store on every flush interval and when
// the server closes, and nodes on one store add theirs up.
func TestBeaconFlush(t *testing.T) {
	dir := t.TempDir()
	a := testserver.Start(t, testserver.Config{Dir: dir, Options: testOptions}, func(o *server.Options) { o.StatsFlush = 50 * time.Millisecond })
	ta := wrapServer(t, a)
	wantStatus(t, ta.do(t, http.MethodPost, "/api/beacon", []byte(`{"i":1}`), beaconFrom), http.StatusNoContent)
	eventually(t, 5*time.Second, "the flush interval's write", func() bool {
		imp, _ := ta.totals(t, "")
		return imp == 1
	})

	// a second node on the same store, flushing only when it closes
	b := testserver.Start(t, testserver.Config{Dir: dir, Options: testOptions}, func(o *server.Options) { o.StatsFlush = time.Hour })
	tb := wrapServer(t, b)
	for range 2 {
		wantStatus(t, tb.do(t, http.MethodPost, "/api/beacon", []byte(`{"i":1}`), beaconFrom), http.StatusNoContent)
	}
	if imp, _ := ta.totals(t, ""); imp != 1 {
		t.Fatalf("before the second node closes: %d impressions, want 1", imp)
	}
	b.Srv.Close()
	if imp, _ := ta.totals(t, ""); imp != 3 {
		t.Errorf("after the second node closed: %d impressions, want 1 + 2", imp)
	}
	counts, err := a.Store.Series(context.Background(), news.StatsQuery{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
	if err != nil || len(counts) != 1 || counts[0].Impressions != 3 || counts[0].Partner != news.DirectPartner {
		t.Errorf("stored: got %+v, %v; want one hour of 3 direct impressions", counts, err)
	}
}
