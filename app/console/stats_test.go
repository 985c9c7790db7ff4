package console

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
)

// Signed in, the navigation offers the articles and the statistics, the
// current one marked; the statistics hide the articles without dropping
// them (a draft being typed survives).
func TestNavigation(t *testing.T) {
	c := &Console{user: User{Name: "root", Role: news.RoleAdmin}, now: time.Now()}
	html := render(t, c)
	for _, want := range []string{">Articles</button>", ">Statistics</button>"} {
		if !strings.Contains(html, want) {
			t.Errorf("articles view lacks %s", want)
		}
	}
	if !current("Articles").MatchString(html) || current("Statistics").MatchString(html) {
		t.Error("the articles view is not the current one")
	}
	if strings.Contains(html, `id="nr-stats"`) {
		t.Error("the articles view shows the statistics")
	}
	c = &Console{user: c.user, now: c.now}
	c.show(viewStats)
	html = render(t, c)
	if !current("Statistics").MatchString(html) || current("Articles").MatchString(html) {
		t.Error("the statistics view is not the current one")
	}
	for _, want := range []string{`id="nr-stats"`, `>Counts per</label>`, "hidden", `id="nr-form"`} {
		if !strings.Contains(html, want) {
			t.Errorf("statistics view lacks %s", want)
		}
	}
	if html := render(t, &Console{}); strings.Contains(html, ">Statistics<") {
		t.Error("signed out, the navigation is shown")
	}
}

// current matches the navigation's button of a view, marked current (the
// attributes come in any order).
func current(label string) *regexp.Regexp {
	return regexp.MustCompile(`<button[^>]*aria-current="page"[^>]*>` + label + `<`)
}

var statsReport = `{"by":"hour","from":"2026-12-06T00:00:00Z","to":"2026-12-06T03:00:00Z","impressions":5,"clicks":3,
 "series":[{"partner":"direct","impressions":3,"clicks":1,"points":[{"at":"2026-12-06T01:00:00Z","impressions":3,"clicks":1}]},
           {"partner":"gazette","impressions":2,"clicks":2,"points":[{"at":"2026-12-06T02:00:00Z","impressions":2,"clicks":2}]}],
 "articles":[{"id":"a1","title":"Dam breach","clicks":2},{"id":"a2","title":"","clicks":1}]}`

// The statistics view: charts from a report, the empty state, errors.
func TestStatsStates(t *testing.T) {
	for _, tc := range []struct {
		name   string
		admin  bool
		status int
		body   string
		err    error
		want   []string
		absent []string
	}{
		{"report", true, 200, statsReport, nil,
			[]string{"Impressions per hour", "Clicks per hour", "Most clicked articles", "<svg", "gazette: 2 impressions", "direct: 3 impressions", "Dam breach", ">a2<", "<strong>5</strong>"},
			[]string{"No impressions or clicks yet", `role="alert"`}},
		{"editor", false, 200, statsReport, nil,
			[]string{"Clicks per hour", "Most clicked articles", "You see the clicks on the articles you published"},
			[]string{"Impressions per hour", "<strong>5</strong>"}},
		{"empty", true, 200, `{"by":"day","from":"2026-11-06T00:00:00Z","to":"2026-12-06T00:00:00Z","impressions":0,"clicks":0,"series":[],"articles":[]}`, nil,
			[]string{`id="nr-stats-empty"`, "No impressions or clicks yet"},
			[]string{"<svg", "Most clicked articles"}},
		{"api error", true, 503, `{"error":{"code":"unavailable","message":"this server's store keeps no statistics"}}`, nil,
			[]string{`id="nr-stats-error"`, `role="alert"`, "this server&#39;s store keeps no statistics"},
			[]string{"<svg"}},
		{"not a report", true, 200, `<html>`, nil, []string{`id="nr-stats-error"`}, []string{"<svg"}},
		{"unreachable", true, 0, "", errorString("TypeError: Failed to fetch"), []string{"The server cannot be reached: TypeError: Failed to fetch"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStats(nil, tc.admin, nil)
			s.received(tc.status, []byte(tc.body), tc.err)
			html := render(t, s)
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("lacks %q", w)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(html, a) {
					t.Errorf("has %q", a)
				}
			}
		})
	}
	ended := false
	s := newStats(nil, true, func() { ended = true })
	s.received(401, []byte(`{"error":{"code":"unauthorized","message":"x"}}`), nil)
	if !ended {
		t.Error("a 401 keeps the editor in the statistics")
	}
}

// The choice of buckets asks for the report again, and an answer to an
// older request is dropped.
func TestStatsFetch(t *testing.T) {
	api := &fakeAPI{}
	s := newStats(api, true, nil)
	s.fetch()
	s.by = "day"
	s.fetch()
	if len(api.paths) != 2 || api.paths[0] != "/api/stats?by=hour" || api.paths[1] != "/api/stats?by=day" {
		t.Fatalf("requests %v", api.paths)
	}
	if !s.loading || s.seq != 2 {
		t.Errorf("loading %v seq %d", s.loading, s.seq)
	}
}

type fakeAPI struct{ paths []string }

func (f *fakeAPI) Do(method, path string, body any, done func(int, []byte, error)) {
	f.paths = append(f.paths, path)
}

func (f *fakeAPI) Subscribe(func(string)) func() { return func() {} }
