package console

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
)

// pagedAPI answers GET /api/newsroom from its articles (newest first) in
// pages of news.MaxListLimit, as the server does, at once.
type pagedAPI struct {
	fakeAPI
	articles []news.Article
}

func (f *pagedAPI) Do(method, path string, body any, done func(int, []byte, error)) {
	f.paths = append(f.paths, path)
	u, _ := url.Parse(path)
	before, err := news.ParseCursor(u.Query().Get("before"))
	if u.Path != "/api/newsroom" || err != nil {
		done(400, []byte(`{"error":{"code":"invalid","message":"no","field":"before"}}`), nil)
		return
	}
	l := Listing{User: User{Name: "ann", Role: news.RoleEditor}, Editors: map[string]string{}}
	for _, a := range f.articles {
		if !before.IsZero() && !news.Before(news.Article{ID: before.ID, PublishedAt: before.PublishedAt}, a) {
			continue
		}
		if len(l.Articles) == news.MaxListLimit {
			last := l.Articles[len(l.Articles)-1]
			l.Next = news.Cursor{PublishedAt: last.PublishedAt, ID: last.ID}.String()
			break
		}
		l.Articles = append(l.Articles, a)
		l.Editors[a.ID] = "bob"
	}
	b, _ := json.Marshal(l)
	done(200, b, nil)
}

// add files an article published at minute i.
func (f *pagedAPI) add(i int) {
	a := news.Article{ID: fmt.Sprintf("a%03d", i), Title: fmt.Sprintf("Filed %d", i), PublishedAt: time.Date(2026, 12, 6, 0, i, 0, 0, time.UTC)}
	f.articles = append([]news.Article{a}, f.articles...)
}

// lists reports whether the console lists the article with id, once.
func lists(c *Console, id string) bool {
	n := 0
	for _, a := range c.articles {
		if a.ID == id {
			n++
		}
	}
	return n == 1
}

// The list offers "Show older articles" while there is a next page (up to
// the pages the console may hold), and not at the end.
func TestOlderButton(t *testing.T) {
	for _, tc := range []struct {
		name  string
		next  string
		pages int
		want  bool
	}{
		{"first page, more", "1.a", 1, true},
		{"older pages, more", "1.a", 3, true},
		{"the end", "", 1, false},
		{"all the console holds", "1.a", maxPages, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Console{user: User{Name: "ann"}, now: time.Now(), next: tc.next, pages: tc.pages,
				articles: []news.Article{{ID: "a1", Title: "One", PublishedAt: time.Now()}}}
			html := render(t, c)
			if got := strings.Contains(html, ">Show older articles</button>"); got != tc.want {
				t.Errorf("button shown: %v, want %v", got, tc.want)
			}
		})
	}
}

// Pressing the button appends the next page, announced; a reload (another
// editor's change) keeps the older articles shown, without duplicates,
// fresh: a new article comes in on top, a retracted old one goes.
func TestOlderAppendsAndReloadKeeps(t *testing.T) {
	api := &pagedAPI{}
	for i := range 55 {
		api.add(i)
	}
	c := &Console{api: api, now: time.Now()}
	c.reload(nil)
	if len(c.articles) != 50 || c.next == "" || lists(c, "a000") {
		t.Fatalf("first load: %d articles, next %q, oldest listed %v", len(c.articles), c.next, lists(c, "a000"))
	}
	if !strings.Contains(render(t, c), ">Show older articles</button>") {
		t.Fatal("no button with a next page")
	}
	c.older()
	if len(c.articles) != 55 || !lists(c, "a000") || c.next != "" {
		t.Fatalf("after Show older: %d articles, oldest listed %v, next %q", len(c.articles), lists(c, "a000"), c.next)
	}
	if !strings.Contains(c.status, "5 older articles shown") {
		t.Errorf("status %q", c.status)
	}
	if html := render(t, c); strings.Contains(html, "Show older articles") || !strings.Contains(html, `id="nr-open-a000"`) {
		t.Error("the button stays at the end, or the oldest is not drawn")
	}

	// Another editor files three and retracts an old one: the reload
	// reaches back as far as the editor had opened.
	for i := 55; i < 58; i++ {
		api.add(i)
	}
	api.articles = remove(api.articles, "a002")
	c.reload(nil)
	if len(c.articles) != 57 || !lists(c, "a000") || !lists(c, "a057") || lists(c, "a002") || c.pages != 2 {
		t.Fatalf("after a reload: %d articles (want 57), a000 %v, a057 %v, a002 %v, pages %d",
			len(c.articles), lists(c, "a000"), lists(c, "a057"), lists(c, "a002"), c.pages)
	}
	if c.editors["a000"] != "bob" {
		t.Errorf("the older page's editors are lost: %v", c.editors["a000"])
	}

	// The filters work over all that is loaded.
	c.filter.Editor = "bob"
	if n := len(c.filtered()); n != 57 {
		t.Errorf("filtered by editor: %d, want 57", n)
	}
}

// A press while a reload runs waits for it, then runs, once.
func TestOlderWaitsForTheReload(t *testing.T) {
	api := &fakeAPI{}
	c := &Console{api: api, next: "1.a", pages: 1, fetching: true}
	c.older()
	c.older()
	if len(api.paths) != 0 || !c.olderAgain {
		t.Fatalf("asked %v while a reload ran", api.paths)
	}
	c.fetched(nil)
	if len(api.paths) != 1 || api.paths[0] != "/api/newsroom?before=1.a" {
		t.Errorf("requests %v", api.paths)
	}
}

// merge keeps each article once, in order, the editors of both.
func TestMerge(t *testing.T) {
	a := Listing{Articles: []news.Article{{ID: "x"}, {ID: "y"}}, Editors: map[string]string{"x": "ann"}}
	b := Listing{Articles: []news.Article{{ID: "y"}, {ID: "z"}}, Editors: map[string]string{"z": "bob"}, Next: "n"}
	m := merge(a, b)
	var ids []string
	for _, x := range m.Articles {
		ids = append(ids, x.ID)
	}
	if strings.Join(ids, ",") != "x,y,z" || m.Editors["x"] != "ann" || m.Editors["z"] != "bob" || m.Next != "n" {
		t.Errorf("merge: %v %v %q", ids, m.Editors, m.Next)
	}
	if len(a.Articles) != 2 {
		t.Error("merge changed its first listing")
	}
}
