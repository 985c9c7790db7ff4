package ui_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
	"golang.org/x/net/html"

	"newswidget/app/news"
	"newswidget/app/ui"
)

var base = time.Date(2023, 11, 27, 12, 0, 0, 0, time.UTC)

func article(id string, minutes int, flash bool) news.Article {
	t := base.Add(time.Duration(minutes) * time.Minute)
	return news.Article{ID: id, Title: "Title " + id, Summary: "Summary " + id, Source: "REL", Category: "World", Flash: flash, PublishedAt: t, UpdatedAt: t}
}

// render mounts a component as the server's prerender does and prints it.
func render(t *testing.T, c app.UI) string {
	t.Helper()
	d := app.NewServerTester(c)
	defer d.Close()
	var b bytes.Buffer
	app.PrintHTML(&b, c)
	return b.String()
}

func TestTickerRender(t *testing.T) {
	items := []news.Article{article("a", 2, true), article("b", 1, true)}
	items[1].Title = `<script>alert("x")</script>`
	items[1].URL = "javascript:alert(1)"
	items[0].URL = "https://example.com/a"
	html := render(t, &ui.Ticker{Label: "Flash News", Items: items, Speed: 60, Target: "_top", Locale: "en"})

	for _, want := range []string{
		`Flash News`,
		`aria-hidden`,
		` inert`,
		`tabindex="-1"`,
		`href="https://example.com/a"`,
		`href="/articles/b"`, // a javascript: URL never becomes a link
		`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`,
		`aria-pressed="false"`,
		`animation-duration:`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("ticker HTML lacks %s:\n%s", want, html)
		}
	}
	for _, bad := range []string{"<script>", "javascript:"} {
		if strings.Contains(html, bad) {
			t.Errorf("ticker HTML contains %q", bad)
		}
	}
	if got := strings.Count(html, `class="nw-copy"`); got != 2 {
		t.Errorf("got %d copies of the loop, want 2", got)
	}
	if got := strings.Count(html, `target="_top"`); got != 4 {
		t.Errorf("got %d links with target _top, want 4", got)
	}
}

func TestLinkTargets(t *testing.T) {
	for _, tc := range []struct{ target, want string }{
		{"_top", `target="_top"`}, {"_blank", `rel="noopener"`}, {"_self", `target="_self"`}, {"", `target="_top"`},
	} {
		t.Run(tc.target, func(t *testing.T) {
			html := render(t, &ui.LatestList{Label: "Latest news", Items: []news.Article{article("a", 0, false)}, Target: tc.target, Locale: "en", Now: base})
			if !strings.Contains(html, tc.want) {
				t.Errorf("got %s, want %s", html, tc.want)
			}
		})
	}
}

func TestLatestListRender(t *testing.T) {
	a := article("a", 0, false)
	a.Image = "https://example.com/i.jpg"
	b := article("b", -90, false)
	b.Image = "data:image/png;base64,AAAA"
	html := render(t, &ui.LatestList{Label: "Latest news", Items: []news.Article{a, b}, Target: "_top", Locale: "en", Now: base.Add(2 * time.Hour)})
	for _, want := range []string{
		"Latest news", "Title a", "Summary a", "REL",
		`datetime="2023-11-27T12:00:00Z"`, `title="27 November 2023, 12:00 UTC"`,
		"2 hours ago", "3 hours ago", `src="https://example.com/i.jpg"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("list HTML lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "data:image") {
		t.Error("a data: image became an <img>")
	}
}

func TestLocales(t *testing.T) {
	now := base
	for _, tc := range []struct {
		tag, dir, ticker string
		ago              time.Duration
		want             string
	}{
		{"en", "ltr", "Flash News", 2 * time.Hour, "2 hours ago"},
		{"en", "ltr", "Flash News", time.Minute, "1 minute ago"},
		{"en", "ltr", "Flash News", 10 * time.Second, "just now"},
		{"en-GB", "ltr", "Flash News", 3 * 24 * time.Hour, "3 days ago"},
		{"sq", "ltr", "Lajme flash", 2 * time.Hour, "para 2 orësh"},
		{"sq", "ltr", "Lajme flash", 5 * time.Minute, "para 5 minutash"},
		{"sr", "ltr", "Флеш вести", 2 * time.Hour, "пре 2 сата"},
		{"sr", "ltr", "Флеш вести", 21 * time.Hour, "пре 21 сат"},
		{"sr-Latn", "ltr", "Fleš vesti", 5 * time.Hour, "pre 5 sati"},
		{"ar", "rtl", "أخبار عاجلة", 2 * time.Hour, "منذ ساعتين"},
		{"ar", "rtl", "أخبار عاجلة", 5 * time.Hour, "منذ 5 ساعات"},
		{"he", "rtl", "Flash News", time.Hour, "1 hour ago"},
		{"fa-IR", "rtl", "Flash News", 365 * 24 * time.Hour * 3, "3 years ago"},
	} {
		t.Run(tc.tag+"/"+tc.want, func(t *testing.T) {
			s := ui.Locale(tc.tag)
			if s.Dir != tc.dir || s.TickerLabel != tc.ticker {
				t.Errorf("dir %s label %q, want %s %q", s.Dir, s.TickerLabel, tc.dir, tc.ticker)
			}
			if got := s.Ago(now.Add(-tc.ago), now); got != tc.want {
				t.Errorf("Ago: got %q, want %q", got, tc.want)
			}
		})
	}
	if got := ui.Locale("sq").Date(base); got != "27 nëntor 2023, 12:00 UTC" {
		t.Errorf("Albanian date: got %q", got)
	}
	if got := ui.Locale("en").NewArticles(1); got != "1 new article" {
		t.Errorf("announcement: got %q", got)
	}
	if got := ui.Locale("en").NewArticles(3); got != "3 new articles" {
		t.Errorf("announcement: got %q", got)
	}
}

func TestEmbeddedRoundTrip(t *testing.T) {
	a := article("a", 0, true)
	a.Title = `</script><script>alert(1)</script> & "quotes"`
	html := render(t, ui.Frame(news.DefaultConfig(), ui.Labels(news.DefaultConfig()), ui.EmbedData([]news.Article{a}, 7)))
	if strings.Contains(html, "</script><script>") {
		t.Fatalf("embedded data can end its element: %s", html)
	}
	start := strings.Index(html, `id="nw-data"`)
	text := html[strings.Index(html[start:], ">")+start+1:]
	text = text[:strings.Index(text, "</script>")]
	got, err := ui.ParseEmbedded(text)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seq != 7 || len(got.Articles) != 1 || got.Articles[0].Title != a.Title {
		t.Errorf("got %+v, want seq 7 and the article back", got)
	}
}

func TestHostileTextStaysInert(t *testing.T) {
	evil := `"><img src=x onerror=alert(1)>`
	a := article("a", 0, true)
	a.Title = evil
	html := render(t, &ui.Ticker{Label: evil, Items: []news.Article{a}, Speed: 60, Locale: "en"})
	html += render(t, &ui.LatestList{Label: evil, Items: []news.Article{a}, Locale: "en", Now: base})
	if strings.Contains(html, "<img src=x") {
		t.Errorf("publisher text became markup:\n%s", html)
	}
	if got := ui.AttrText(`Stoltenberg: "NATO will do it"`); got != "Stoltenberg: “NATO will do it”" {
		t.Errorf("AttrText: got %q", got)
	}
}

// TestPublisherTextIsolated checks that every piece of publisher text is
// alone in a bidi isolate (<bdi>, or an element with dir="auto") and that
// the widget's own text is in none, so neither an RTL source nor an
// override left in a stored article can turn "2 minutes ago" around.
func TestPublisherTextIsolated(t *testing.T) {
	a := article("a", 0, true)
	a.Title = "\u202eعاجل: Breaking"
	a.Source = "\u202eREL"
	a.Summary = "ראש הממשלה \u2067אמר"
	label := "\u202bחדשות"
	now := base.Add(2 * time.Minute)
	for _, tc := range []struct {
		name      string
		c         app.UI
		publisher []string // each must be isolated
		own       []string // each must be outside every isolate
	}{
		{"ticker", &ui.Ticker{Label: label, Items: []news.Article{a}, Speed: 60, Locale: "en"}, []string{label, a.Title}, nil},
		{"list", &ui.LatestList{Label: label, Items: []news.Article{a}, Locale: "en", Now: now}, []string{label, a.Title, a.Source, a.Summary}, []string{"2 minutes ago"}},
		{"meta", ui.Meta(a, ui.Locale("ar"), now), []string{a.Source}, []string{"منذ دقيقتين"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader(render(t, tc.c)))
			if err != nil {
				t.Fatal(err)
			}
			texts := map[string][]*html.Node{}
			var walk func(*html.Node)
			walk = func(n *html.Node) {
				if n.Type == html.TextNode {
					texts[n.Data] = append(texts[n.Data], n)
				}
				// the source's span holds the widget's " · " (its ::after):
				// only the <bdi> inside it may isolate
				if isolates(n) && slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return a.Key == "class" && strings.Contains(a.Val, "nw-source") }) {
					t.Errorf("got the isolate <%s %v>, want the widget's separator outside it", n.Data, n.Attr)
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
			}
			walk(doc)
			for _, s := range tc.publisher {
				if len(texts[s]) == 0 {
					t.Errorf("%+q: got no text node, want one", s)
				}
				for _, n := range texts[s] {
					if p := n.Parent; !isolates(p) || p.FirstChild != n || n.NextSibling != nil {
						t.Errorf("%+q: got it in <%s %v> beside %d other nodes, want it alone in <bdi> or dir=auto", s, p.Data, p.Attr, siblings(n))
					}
				}
			}
			for _, s := range tc.own {
				if len(texts[s]) == 0 {
					t.Errorf("%+q: got no text node, want one", s)
				}
				for _, n := range texts[s] {
					for p := n.Parent; p != nil; p = p.Parent {
						if isolates(p) {
							t.Errorf("%+q: got it inside the isolate <%s %v>, want it outside", s, p.Data, p.Attr)
						}
					}
				}
			}
		})
	}
}

// isolates reports whether n isolates its content's direction as
// publisher text needs: <bdi>, or dir="auto".
func isolates(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	for _, a := range n.Attr {
		if a.Key == "dir" && a.Val == "auto" {
			return true
		}
	}
	return n.Data == "bdi"
}

func siblings(n *html.Node) int {
	c := 0
	for s := n.Parent.FirstChild; s != nil; s = s.NextSibling {
		if s != n {
			c++
		}
	}
	return c
}

// TestListUpdatesInClient mounts the list in go-app's client tester, then
// gives it a new article, as a live event does: the new one renders first.
func TestListUpdatesInClient(t *testing.T) {
	l := &ui.LatestList{Label: "Latest news", Items: []news.Article{article("a", 0, false)}, Locale: "en", Now: base}
	d := app.NewClientTester(l)
	defer d.Close()
	l.Items = news.Apply(l.Items, news.Event{Seq: 2, Type: news.EventArticle, Article: article("b", 5, false)})
	d.Dispatch(app.Dispatch{Mode: app.Update, Source: l, Function: func(app.Context) {}})
	d.Consume()
	var b bytes.Buffer
	app.PrintHTML(&b, l)
	html := b.String()
	if i, j := strings.Index(html, "Title b"), strings.Index(html, "Title a"); i < 0 || j < 0 || i > j {
		t.Errorf("after the event the list is:\n%s\nwant b before a", html)
	}
	if err := app.TestMatch(l, app.TestUIDescriptor{Path: app.TestPath(0, 0, 0), Expected: app.Text("Latest news")}); err != nil {
		t.Error(err)
	}
}
