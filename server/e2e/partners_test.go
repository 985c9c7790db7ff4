package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"newswidget/app/news"
	"newswidget/server"
)

// partnerSite is a publisher's site on its own origin (127.0.0.2, a port
// of its own) whose page carries the widget with a partner key set later.
type partnerSite struct {
	URL  string
	mu   sync.Mutex
	html string
}

func newPartnerSite(t *testing.T) *partnerSite {
	t.Helper()
	s := &partnerSite{}
	s.URL = hostServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, s.html)
	}))
	return s
}

// carry puts the widget with the key on the site's page: two list items,
// eager, so that the whole widget is in the viewport.
func (s *partnerSite) carry(widgetURL, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.html = hostHTML(widgetURL, `data-partner="`+key+`" data-limit="2" data-loading="eager"`)
}

// partnerServer starts a widget server that counts headless Chromium's
// beacons (the bot filter drops them otherwise) and flushes only when told.
func partnerServer(t *testing.T) *widgetServer {
	t.Helper()
	return startWidgetServer(t, "", "", func(o *server.Options) {
		o.CountBots = true
		o.StatsFlush = time.Hour
	})
}

// addPartner adds a partner for origins and returns its key.
func addPartner(t *testing.T, ws *widgetServer, name string, origins ...string) string {
	t.Helper()
	p, err := server.AddPartner(context.Background(), ws.ts.Store, ws.ts.Store, name, origins, "test")
	if err != nil {
		t.Fatal(err)
	}
	return p.Key
}

// widgetShown reports whether any frame of the page shows the widget.
func widgetShown(b *browser) bool {
	for _, fr := range b.frames() {
		fctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(fr.TargetID))
		var shown bool
		err := chromedp.Run(fctx, chromedp.Evaluate(`!!document.querySelector(".nw-ticker, .nw-list")`, &shown))
		cancel()
		if err == nil && shown {
			return true
		}
	}
	return false
}

// TestPartnerEmbeds: a partner's key shows the widget on the partner's
// origins only; on another origin, and with a revoked or unknown key, there
// is no widget and the loader says why on the publisher's console.
func TestPartnerEmbeds(t *testing.T) {
	ws := partnerServer(t)
	partner, other := newPartnerSite(t), newPartnerSite(t)
	key := addPartner(t, ws, "gazette", partner.URL)
	gone := addPartner(t, ws, "gone", partner.URL)
	if err := server.RevokePartner(context.Background(), ws.ts.Store, ws.ts.Store, "gone", "test"); err != nil {
		t.Fatal(err)
	}

	t.Run("the partner's origin", func(t *testing.T) {
		partner.carry(ws.URL, key)
		b := newBrowser(t)
		open(t, b, partner.URL)
		f := b.frame(t, "/embed")
		waitBoot(t, f)
		waitJS(t, f, `document.querySelector(".nw-list .nw-item a")`, 10*time.Second)
		for _, w := range b.lines("warning: page:") {
			if strings.Contains(w, "partner") {
				t.Errorf("a partner warning on the partner's page: %q", w)
			}
		}
		b.noPageErrors(t)
	})
	for _, tc := range []struct {
		name, key string
		site      *partnerSite
		reason    string
	}{
		{"another origin with the key", key, other, "does not allow " + other.URL},
		{"a revoked key", gone, partner, "was revoked"},
		{"an unknown key", "nwp_AAAAAAAAAAAAAAAAAAAAAAAAAA", partner, "is unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.site.carry(ws.URL, tc.key)
			b := newBrowser(t)
			open(t, b, tc.site.URL)
			if w := b.told(tc.reason, 20*time.Second); len(w) != 1 {
				t.Errorf("console: got %q, want one warning that the key %s", b.lines("warning:"), tc.reason)
			}
			// the loader took the box and its frame away
			waitJS(t, b.ctx, `!document.querySelector(".newswidget")`, 10*time.Second)
			// and its handle, as destroy() does: a later mount starts afresh
			var handles bool
			eval(t, b.ctx, `[...document.querySelectorAll("[data-partner]")].some(e => e.newswidget)`, &handles)
			if handles {
				t.Error("the refused widget's element keeps its handle")
			}
			if widgetShown(b) {
				t.Error("a widget is shown")
			}
		})
	}
	// A page that frames the widget itself, claiming to be the partner,
	// is stopped by the browser: frame-ancestors names the partner only.
	t.Run("a forged parent", func(t *testing.T) {
		other.mu.Lock()
		other.html = `<!DOCTYPE html><iframe src="` + ws.URL + `/embed?partner=` + key + `&parent=` + partner.URL + `"></iframe>`
		other.mu.Unlock()
		b := newBrowser(t)
		open(t, b, other.URL)
		time.Sleep(2 * time.Second)
		if widgetShown(b) {
			t.Error("a forged parent shows the widget")
		}
	})
}

// TestPartnerCounts: three page views and one click on the partner's page
// become exactly three impressions and one click in /api/stats, and the
// frame sets no cookie and writes no storage.
func TestPartnerCounts(t *testing.T) {
	ws := partnerServer(t)
	site := newPartnerSite(t)
	key := addPartner(t, ws, "gazette", site.URL)
	site.carry(ws.URL, key)
	b := newBrowser(t)
	var f context.Context
	for view := 1; view <= 3; view++ {
		open(t, b, site.URL)
		f = b.frame(t, "/embed")
		waitBoot(t, f)
		// one impression beacon per view, once the widget was seen for 1 s
		waitAccepted(t, ws, view)
	}
	// Nothing about the reader is kept by the frame.
	var kept string
	eval(t, f, `(() => { try { return document.cookie + "|" + localStorage.length + "|" + sessionStorage.length } catch (e) { return "|0|0" } })()`, &kept)
	if kept != "|0|0" {
		t.Errorf("the frame keeps cookie|localStorage|sessionStorage %q, want none", kept)
	}
	var cookies []*network.Cookie
	if err := chromedp.Run(b.ctx, chromedp.ActionFunc(func(ctx context.Context) (err error) {
		cookies, err = network.GetCookies().WithURLs([]string{ws.URL, site.URL}).Do(ctx)
		return err
	})); err != nil {
		t.Fatal(err)
	}
	if len(cookies) != 0 {
		t.Errorf("the browser holds cookies: %+v", cookies)
	}

	var article string
	eval(t, f, `document.querySelector(".nw-list .nw-item a[href]").closest("[data-id]").dataset.id`, &article)
	eval(t, f, `document.querySelector(".nw-list .nw-item a[href]").click(), 1`, nil)
	waitAccepted(t, ws, 4)
	time.Sleep(1500 * time.Millisecond) // nothing more may come: one impression per view

	rep := readStats(t, ws, "?partner=gazette")
	if rep.Impressions != 3 || rep.Clicks != 1 || len(rep.Articles) != 1 || rep.Articles[0].ID != article {
		t.Errorf("/api/stats: got %+v, want 3 impressions and 1 click on %s", rep, article)
	}
	if !news.ValidID(article) {
		t.Errorf("the clicked item's id %q is not an article id", article)
	}
}

// statsReport is what the tests read of GET /api/stats.
type statsReport struct {
	Impressions, Clicks int64
	Articles            []struct {
		ID     string
		Clicks int64
	}
}

// readStats writes the server's counts to the store and reads them back
// through GET /api/stats with the query (from "?" on), as the admin.
func readStats(t *testing.T, ws *widgetServer, query string) statsReport {
	t.Helper()
	if err := ws.srv.FlushStats(context.Background()); err != nil {
		t.Fatal(err)
	}
	var rep statsReport
	adminDo(t, ws, http.MethodGet, "/api/stats"+query, nil, http.StatusOK, &rep)
	return rep
}

// waitAccepted waits until the server has accepted n beacons.
func waitAccepted(t *testing.T, ws *widgetServer, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	got := 0
	for time.Now().Before(deadline) {
		got = 0
		for _, l := range strings.Split(httpGet(t, ws.URL+"/metrics"), "\n") {
			if v, ok := strings.CutPrefix(l, `newswidget_beacons_total{result="accepted"} `); ok {
				fmt.Sscan(v, &got)
			}
		}
		if got >= n {
			if got > n {
				t.Fatalf("%d beacons accepted, want %d", got, n)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	var results []string
	for _, l := range strings.Split(httpGet(t, ws.URL+"/metrics"), "\n") {
		if strings.HasPrefix(l, "newswidget_beacons_total") {
			results = append(results, l)
		}
	}
	t.Fatalf("%d beacons accepted after 15 s, want %d; %q", got, n, results)
}

// TestConfiguratorPartner: the configurator writes a partner's snippet, and
// its preview (on the widget's own site) shows the partner's widget.
func TestConfiguratorPartner(t *testing.T) {
	ws := partnerServer(t)
	key := addPartner(t, ws, "gazette", "https://gazette.example")
	b := newBrowser(t)
	open(t, b, ws.URL+"/")
	waitJS(t, b.ctx, `document.querySelector("#preview iframe")`, 10*time.Second)
	eval(t, b.ctx, `(function(f){f.partner.value="`+key+`";f.dispatchEvent(new Event("input"));return true})(document.getElementById("options"))`, nil)
	waitJS(t, b.ctx, `document.getElementById("tag").textContent.includes('data-partner="`+key+`"')`, 5*time.Second)
	doc := `document.querySelector("#preview iframe").contentDocument`
	waitJS(t, b.ctx, `document.querySelector("#preview iframe").src.includes("partner=`+key+`")&&`+doc+`&&`+doc+`.querySelector(".nw-ticker")`, 20*time.Second)
	b.noPageErrors(t)
}

// TestImpressionNeedsView: a widget below the fold is no impression until
// the reader scrolls it half into view and it stays there a second.
func TestImpressionNeedsView(t *testing.T) {
	ws := partnerServer(t)
	host := hostPage(t, `<!DOCTYPE html><html lang="en"><body style="margin:0"><div style="height:3000px">Above the widget</div>
<script src="`+ws.URL+`/widget.js" async data-layout="ticker" data-loading="eager"></script><div style="height:3000px"></div></body></html>`)
	b := newBrowser(t)
	open(t, b, host)
	waitBoot(t, b.frame(t, "/embed"))
	time.Sleep(2500 * time.Millisecond)
	waitAccepted(t, ws, 0)
	eval(t, b.ctx, `document.querySelector(".newswidget").scrollIntoView({block: "center"}), 1`, nil)
	waitAccepted(t, ws, 1)
	// out of view and back: still one impression for this page view
	eval(t, b.ctx, `scrollTo(0, 0), 1`, nil)
	time.Sleep(500 * time.Millisecond)
	eval(t, b.ctx, `document.querySelector(".newswidget").scrollIntoView({block: "center"}), 1`, nil)
	time.Sleep(2500 * time.Millisecond)
	waitAccepted(t, ws, 1)
}

// TestImpressionTallWidget: a widget taller than the reader's window can
// never be half in view; filling the window, it is seen. Peeking 100 px
// above the fold it is no impression; scrolled to fill the window for a
// second, it is one.
func TestImpressionTallWidget(t *testing.T) {
	ws := partnerServer(t)
	for i := range 20 { // 30 rows: 3,598 px
		publish(t, ws, map[string]any{"title": fmt.Sprintf("Tall widget row %d", i), "summary": "A row."})
	}
	host := hostPage(t, `<!DOCTYPE html><html lang="en"><body style="margin:0"><div id="above" style="height:800px">Above the widget</div>
<script src="`+ws.URL+`/widget.js" async data-limit="30" data-loading="eager"></script><div style="height:3000px"></div></body></html>`)
	b := newBrowser(t)
	open(t, b, host)
	waitBoot(t, b.frame(t, "/embed"))
	var geo struct{ Top, Height, Window, Screen float64 }
	eval(t, b.ctx, `(function () { document.getElementById("above").style.height = (innerHeight - 100) + "px";
  var r = document.querySelector(".newswidget").getBoundingClientRect();
  return {top: r.top, height: r.height, window: innerHeight, screen: screen.availHeight}; })()`, &geo)
	if geo.Height < 2*geo.Window || geo.Window-geo.Top > geo.Screen/2 {
		t.Fatalf("the page does not set the case up: %+v", geo)
	}
	time.Sleep(2500 * time.Millisecond)
	waitAccepted(t, ws, 0) // 100 px in view: neither half the widget nor half a screen
	eval(t, b.ctx, `document.querySelector(".newswidget").scrollIntoView({block: "center"}), 1`, nil)
	waitAccepted(t, ws, 1)
}
