package chart_test

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
	"golang.org/x/net/html"

	"newswidget/app/chart"
	"newswidget/app/news"
)

var base = time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)

func hour(n int) time.Time { return base.Add(time.Duration(n) * time.Hour) }

// render mounts a component as the server's prerender does and prints it.
func render(t *testing.T, c app.UI) string {
	t.Helper()
	d := app.NewServerTester(c)
	defer d.Close()
	var b bytes.Buffer
	app.PrintHTML(&b, c)
	return b.String()
}

// parse parses rendered HTML and returns the elements by tag.
func parse(t *testing.T, s string) map[string][]*html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*html.Node{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			out[n.Data] = append(out[n.Data], n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	return strings.TrimSpace(rawText(n))
}

func rawText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// checkImage checks that a chart is one accessible image: an svg with
// role="img" labelled by its title and described by its desc.
func checkImage(t *testing.T, els map[string][]*html.Node, wantTitle string) *html.Node {
	t.Helper()
	if len(els["svg"]) != 1 {
		t.Fatalf("got %d svg elements, want 1", len(els["svg"]))
	}
	s := els["svg"][0]
	if attr(s, "role") != "img" || !strings.HasPrefix(attr(s, "viewBox"), "0 0 360 ") {
		t.Errorf("svg: role %q viewBox %q; want img, 360 wide", attr(s, "role"), attr(s, "viewBox"))
	}
	ids := map[string]*html.Node{}
	for _, tag := range []string{"title", "desc"} {
		for _, n := range els[tag] {
			if id := attr(n, "id"); id != "" {
				ids[id] = n
			}
		}
	}
	label, desc := ids[attr(s, "aria-labelledby")], ids[attr(s, "aria-describedby")]
	if label == nil || textOf(label) != wantTitle {
		t.Errorf("the svg is labelled by %q, want a title %q", attr(s, "aria-labelledby"), wantTitle)
	}
	if desc == nil || len(textOf(desc)) < 20 {
		t.Errorf("the svg is described by %q, want a desc in words", attr(s, "aria-describedby"))
	}
	return desc
}

func TestTimeline(t *testing.T) {
	tl := &chart.Timeline{Title: "Impressions per hour", Unit: "impressions", Bucket: time.Hour, From: hour(0), To: hour(6),
		Series: []chart.Series{
			{Name: "gazette", Points: []chart.Point{{hour(1), 3}, {hour(1).Add(20 * time.Minute), 2}, {hour(4), 40}}},
			{Name: `<script>alert(1)</script>`, Points: []chart.Point{{hour(2), 7}, {hour(9), 1000}}}, // out of the span: left out
		}}
	out := render(t, tl)
	els := parse(t, out)
	desc := checkImage(t, els, "Impressions per hour")
	if got, want := textOf(desc), "gazette 45 impressions (most in one hour: 40, Dec 6 04:00)"; !strings.Contains(got, want) {
		t.Errorf("desc: got %q, want it to say %q", got, want)
	}
	lines := els["polyline"]
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want one per series", len(lines))
	}
	for i, l := range lines {
		if got := len(strings.Fields(attr(l, "points"))); got != 6 {
			t.Errorf("line %d: %d points, want one per hour (6)", i, got)
		}
		if style := attr(l, "style"); !strings.Contains(style, "var(--chart-"+strconv.Itoa(i+1)+")") {
			t.Errorf("line %d: style %q, want its colour from a CSS variable", i, style)
		}
		// In the browser go-app gives an SVG element no class (it sets
		// className, which SVG does not take): a line is styled inline,
		// else it is drawn filled, black.
		if style := attr(l, "style"); !strings.Contains(style, "fill:none") || !strings.Contains(style, "stroke-width:2") {
			t.Errorf("line %d: style %q, want fill:none and stroke-width:2 inline", i, style)
		}
	}
	for _, g := range els["line"] {
		if style := attr(g, "style"); !strings.Contains(style, "stroke:var(--chart-grid)") {
			t.Errorf("grid line: style %q, want its stroke inline", style)
		}
	}
	if attr(lines[1], "stroke-dasharray") == "" {
		t.Error("the second line is not dashed: lines differ by colour alone")
	}
	// the value axis rounds up past the peak (40) with four steps
	var labels []string
	for _, n := range els["text"] {
		labels = append(labels, textOf(n))
	}
	if got := strings.Join(labels, " "); !strings.HasPrefix(got, "0 10 20 30 40 00:00") {
		t.Errorf("axis labels: got %q", got)
	}
	// the table: the hours with a count, a column per series
	var rows []string
	for _, tr := range els["tr"] {
		var cells []string
		for c := tr.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode {
				cells = append(cells, strings.TrimSpace(textOf(c)))
			}
		}
		rows = append(rows, strings.Join(cells, "|"))
	}
	want := []string{"UTC|gazette|<script>alert(1)</script>", "Dec 6 01:00|5|0", "Dec 6 02:00|0|7", "Dec 6 04:00|40|0"}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("table rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(out, "<script>") {
		t.Error("a series name reached the page unescaped")
	}
	if regexp.MustCompile(`(fill|stroke)="#`).MatchString(out) {
		t.Error("a colour is fixed in the drawing: light and dark need CSS variables")
	}
}

func TestTimelineEdges(t *testing.T) {
	for _, tc := range []struct {
		name string
		tl   *chart.Timeline
		want string
	}{
		{"no series", &chart.Timeline{Title: "Clicks per day", Unit: "clicks", Bucket: 24 * time.Hour, From: base, To: base.Add(72 * time.Hour)}, "No clicks in this period."},
		{"an empty span", &chart.Timeline{Title: "Clicks", Unit: "clicks", Bucket: time.Hour, From: base, To: base, Series: []chart.Series{{Name: "a"}}}, "No clicks in this period."},
		{"too many buckets", &chart.Timeline{Title: "Clicks", Unit: "clicks", Bucket: time.Hour, From: base, To: base.Add(chart.MaxBuckets*time.Hour + time.Hour), Series: []chart.Series{{Name: "a"}}}, "No clicks in this period."},
		{"one bucket", &chart.Timeline{Title: "Clicks", Unit: "clicks", Bucket: 24 * time.Hour, From: base, To: base.Add(24 * time.Hour), Series: []chart.Series{{Name: "a", Points: []chart.Point{{base, 1}}}}}, `<circle`},
		{"by day", &chart.Timeline{Title: "Clicks", Unit: "clicks", Bucket: 24 * time.Hour, From: base, To: base.Add(30 * 24 * time.Hour), Series: []chart.Series{{Name: "a", Points: []chart.Point{{base.Add(49 * time.Hour), 1}}}}}, "Tue Dec 8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if out := render(t, tc.tl); !strings.Contains(out, tc.want) {
				t.Errorf("got %s, want it to hold %q", out, tc.want)
			}
		})
	}
}

func TestTopArticles(t *testing.T) {
	long := strings.Repeat("A long title of an article ", 4)
	c := &chart.TopArticles{Title: "Most clicked articles", Unit: "clicks", Bars: []chart.Bar{{long, 1200}, {"Short", 300}, {"One", 1}}}
	out := render(t, c)
	els := parse(t, out)
	desc := checkImage(t, els, "Most clicked articles")
	if !strings.Contains(textOf(desc), `"Short" 300 clicks; "One" 1 click`) {
		t.Errorf("desc: %q", textOf(desc))
	}
	rects := els["rect"]
	if len(rects) != 3 {
		t.Fatalf("got %d bars, want 3", len(rects))
	}
	w0, _ := strconv.ParseFloat(attr(rects[0], "width"), 64)
	w1, _ := strconv.ParseFloat(attr(rects[1], "width"), 64)
	if w0 < 300 || w0 > 360 || w1 < w0/4-1 || w1 > w0/4+1 {
		t.Errorf("bar widths %v, %v: want the longest near the full width and the second a quarter of it", w0, w1)
	}
	var drawn []string
	for _, n := range els["text"] {
		drawn = append(drawn, textOf(n))
	}
	if drawn[0] == long || !strings.HasSuffix(drawn[0], "…") || drawn[1] != "1.2k" {
		t.Errorf("labels: got %q; want the long title clipped and the count short", drawn)
	}
	if !strings.Contains(out, strings.TrimSpace(long)) {
		t.Error("the whole title is neither in the bar's tooltip nor in the table")
	}
	if out := render(t, &chart.TopArticles{Title: "Most clicked", Unit: "clicks"}); !strings.Contains(out, "No clicks in this period.") {
		t.Errorf("no bars: got %s", out)
	}
}

func TestFromReport(t *testing.T) {
	r := news.StatsReport{By: "day", From: base, To: base.Add(48 * time.Hour),
		Series:   []news.StatsSeries{{Partner: "direct", Points: []news.StatsPoint{{At: base, Impressions: 4, Clicks: 1}}}},
		Articles: []news.StatsArticle{{ID: "a1", Title: "First", Clicks: 1}, {ID: "gone", Clicks: 1}}}
	imp, clicks, top := chart.Impressions(r), chart.Clicks(r), chart.Top(r)
	if imp.Title != "Impressions per day" || imp.Bucket != 24*time.Hour || imp.Series[0].Points[0].Value != 4 || clicks.Series[0].Points[0].Value != 1 {
		t.Errorf("timelines: %+v %+v", imp, clicks)
	}
	if len(top.Bars) != 2 || top.Bars[0].Label != "First" || top.Bars[1].Label != "gone" {
		t.Errorf("top: %+v", top.Bars)
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1k"}, {1260, "1.3k"}, {12_400, "12k"}, {999_400, "999k"}, {3_400_000, "3.4M"}} {
		if got := chart.Count(tc.n); got != tc.want {
			t.Errorf("Count(%d): got %q, want %q", tc.n, got, tc.want)
		}
	}
}

// TestReadableOnAPhone: a chart is drawn 360 units wide and fills its
// container, so on a 390 px phone its 11-unit text is at least 11 px.
func TestReadableOnAPhone(t *testing.T) {
	m := regexp.MustCompile(`\.nw-chart text\{[^}]*font-size:(\d+)px`).FindStringSubmatch(chart.CSS)
	if m == nil {
		t.Fatal("chart.CSS sets no font size for the drawing's text")
	}
	size, _ := strconv.Atoi(m[1])
	if px := float64(size) * 390 / 360; px < 11 {
		t.Errorf("text at 390 px: %.1f px, want at least 11", px)
	}
	for _, want := range []string{"prefers-color-scheme:dark", "[data-theme=dark]", "currentColor", "width:100%"} {
		if !strings.Contains(chart.CSS, want) {
			t.Errorf("chart.CSS lacks %q", want)
		}
	}
}
