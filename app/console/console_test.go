package console

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
)

func render(t *testing.T, c app.UI) string {
	t.Helper()
	d := app.NewServerTester(c)
	defer d.Close()
	var b bytes.Buffer
	app.PrintHTML(&b, c)
	return b.String()
}

// The form carries the visible labels and buttons the browser tests and
// editors rely on, for a new article and for one being edited.
func TestEditorLabels(t *testing.T) {
	labels := []string{"Title", "Summary", "Link", "Source", "Category", "Image", "Flash", "Urgent", "Pinned", "Expires", "Correction"}
	for _, tc := range []struct {
		name    string
		draft   draft
		buttons []string
		absent  []string
	}{
		{"new", draft{}, []string{"Publish", "New article", "Sign out"}, []string{">Save<", ">Delete<"}},
		{"editing", draftOf(news.Article{ID: "a1", Title: "T"}), []string{"Save", "Delete"}, []string{">Publish<"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Console{user: User{Name: "ann", Role: news.RoleEditor}, draft: tc.draft, now: time.Now()}
			html := render(t, c)
			for _, l := range labels {
				if !strings.Contains(html, ">"+l+"</label>") {
					t.Errorf("no visible label %q", l)
				}
			}
			for _, b := range tc.buttons {
				if !strings.Contains(html, ">"+b+"</button>") {
					t.Errorf("no button %q", b)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(html, a) {
					t.Errorf("has %s", a)
				}
			}
		})
	}
}

// Signed out, the console is the sign-in form, disabled until the browser
// side runs.
func TestSignInShell(t *testing.T) {
	html := render(t, &Console{})
	for _, want := range []string{">Name</label>", ">Password</label>", `type="password"`, ">Sign in</button>", "disabled"} {
		if !strings.Contains(html, want) {
			t.Errorf("sign-in shell lacks %s", want)
		}
	}
	if strings.Contains(html, ">Publish<") {
		t.Error("the signed-out shell shows the form")
	}
}

// An API error lands next to the field it names, else on the form.
func TestErrorsNextToTheirField(t *testing.T) {
	for _, tc := range []struct {
		body      string
		status    int
		wantField string
		wantID    string
	}{
		{`{"error":{"code":"invalid","message":"must be an http(s) URL","field":"url"}}`, 400, "url", "nr-url-error"},
		{`{"error":{"code":"invalid","message":"must be after published_at","field":"expires_at"}}`, 400, "expires_at", "nr-expires-error"},
		{`{"error":{"code":"invalid","message":"odd","field":"nonsense"}}`, 400, "", "nr-form-error"},
		{`not json`, 502, "", "nr-form-error"},
	} {
		c := &Console{user: User{Name: "ann"}, now: time.Now()}
		c.handleFailure(tc.status, []byte(tc.body), nil)
		if _, ok := c.errs[tc.wantField]; !ok || len(c.errs) != 1 {
			t.Errorf("%s: errors %v, want one for %q", tc.body, c.errs, tc.wantField)
		}
		if html := render(t, c); !strings.Contains(html, `id="`+tc.wantID+`"`) {
			t.Errorf("%s: no element %s", tc.body, tc.wantID)
		}
	}
	c := &Console{user: User{Name: "ann"}}
	c.handleFailure(401, []byte(`{"error":{"code":"unauthorized","message":"x"}}`), nil)
	if c.user.Name != "" || c.signError == "" {
		t.Errorf("a 401 keeps the editor signed in: %+v", c.user)
	}
}

// The draft's expiry is read in the browser's zone and sent in UTC; the
// body a PUT sends carries every field, so nothing cleared survives.
func TestDraftBody(t *testing.T) {
	local := time.FixedZone("X", 2*3600)
	saved := time.Local
	time.Local = local
	defer func() { time.Local = saved }()
	for _, tc := range []struct {
		expires string
		want    any // the expires_at sent; nil: none
		ok      bool
	}{
		{"", nil, true},
		{"2026-12-06T16:30:15", "2026-12-06T14:30:15Z", true},
		{"2026-12-06T16:30", "2026-12-06T14:30:00Z", true},
		{"tomorrow", nil, false},
	} {
		d := draft{Title: "T", Expires: tc.expires, Body: "One.\n\n\n Two. \r\n\r\nThree.", Flash: true}
		if _, ok := d.expiry(); ok != tc.ok {
			t.Errorf("%q: ok %v, want %v", tc.expires, ok, tc.ok)
		}
		b := d.body()
		if got := b["expires_at"]; got != tc.want {
			t.Errorf("%q: expires_at %v, want %v", tc.expires, got, tc.want)
		}
		for _, k := range []string{"title", "summary", "body", "url", "source", "category", "image", "flash", "urgent", "pinned", "correction"} {
			if _, ok := b[k]; !ok {
				t.Errorf("the body lacks %s", k)
			}
		}
		if got := strings.Join(b["body"].([]string), "|"); got != "One.|Two.|Three." {
			t.Errorf("paragraphs: got %q", got)
		}
	}
	a := news.Article{ID: "x", Title: "T", ExpiresAt: time.Date(2026, 12, 6, 14, 30, 15, 0, time.UTC)}
	if got := draftOf(a).Expires; got != "2026-12-06T16:30:15" {
		t.Errorf("draftOf: Expires %q, want the local time", got)
	}
}

// The preview draws the unsaved draft with the widget's components, pinned
// first and marked breaking, among the published articles.
func TestPreviewShowsTheDraft(t *testing.T) {
	now := time.Now()
	old := news.Article{ID: "old", Title: "Older news", Flash: true, PublishedAt: now.Add(-time.Hour)}
	c := &Console{user: User{Name: "ann"}, now: now, articles: []news.Article{old},
		draft: draft{Title: "Unsaved flash", Flash: true, Urgent: true, Pinned: true, PublishedAt: now.Add(-2 * time.Hour)}}
	html := render(t, c)
	preview := html[strings.Index(html, `class="nr-preview"`):]
	first := strings.Index(preview, "Unsaved flash")
	if first < 0 || first > strings.Index(preview, "Older news") {
		t.Errorf("the pinned draft is not first in the preview")
	}
	if !strings.Contains(preview, `class="nw-breaking"`) {
		t.Errorf("the urgent draft has no breaking mark in the preview")
	}
}

// streamAPI counts the event streams the console opens and closes.
type streamAPI struct {
	fakeAPI
	opened, closed int
}

func (f *streamAPI) Subscribe(func(string)) func() {
	f.opened++
	return func() { f.closed++ }
}

// The console holds the event stream only while someone is signed in, and
// opens it after the sign-in, so that it carries the session (the server
// spares such streams the back-off switch); signing out closes it.
func TestFollowWhileSignedIn(t *testing.T) {
	api := &streamAPI{}
	c := &Console{api: api}
	steps := []struct {
		name           string
		user           string
		opened, closed int
	}{
		{"signed out", "", 0, 0},
		{"signed in", "ann", 1, 0},
		{"a reload", "ann", 1, 0},
		{"signed out again", "", 1, 1},
		{"back", "bob", 2, 1},
	}
	for _, s := range steps {
		c.user = User{Name: s.user}
		c.follow()
		if api.opened != s.opened || api.closed != s.closed {
			t.Errorf("%s: got %d streams opened and %d closed, want %d and %d", s.name, api.opened, api.closed, s.opened, s.closed)
		}
	}
}
