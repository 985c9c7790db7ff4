package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"newswidget/app/news"
)

// TestPublishTextHygiene publishes hostile text through the API (issue
// #12, item 8): a title that shows nothing is refused, controls and bidi
// overrides are stripped from what is stored and served, RTL text and
// emoji are kept, and the article's page isolates the publisher's text.
func TestPublishTextHygiene(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		name  string
		in    obj
		field string       // the 400's field; "" when accepted
		want  news.Article // text fields of the stored article
	}{
		{name: "zero-width title", in: obj{"title": "\u200b\u200c\u200d\u2060\ufeff"}, field: "title"},
		{name: "title of marks and controls", in: obj{"title": " \u0301\u200f\x1b\x07\x7f\u202e "}, field: "title"},
		{name: "NUL in a paragraph", in: obj{"title": "T", "body": []string{"a\x00b"}}, field: "body"},
		{
			name: "override in source",
			in:   obj{"title": "Talks resume", "source": "\u202eREL", "category": "\u2067World\u2069"},
			want: news.Article{Title: "Talks resume", Source: "REL", Category: "World"},
		},
		{
			name: "ESC BEL DEL and C1",
			in:   obj{"title": "\x1bAlert\x07 now\x7f\u0085", "source": "R\u009bEL", "summary": "one\r\ntwo\x1b\tthree", "body": []string{"p\x07\nq", "\u202e"}},
			want: news.Article{Title: "Alert now", Source: "REL", Summary: "one\ntwo\tthree", Body: []string{"p\nq"}},
		},
		{
			name: "rtl and emoji intact",
			in:   obj{"title": "عاجل: اتفاق 👩\u200d👩\u200d👧", "source": "\u200fקול ישראל", "summary": "ראש הממשלה\nאמר"},
			want: news.Article{Title: "عاجل: اتفاق 👩\u200d👩\u200d👧", Source: "\u200fקול ישראל", Summary: "ראש הממשלה\nאמר"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, http.MethodPost, "/api/articles", mustJSON(t, tc.in), auth)
			if tc.field != "" {
				wantError(t, r, http.StatusBadRequest, news.EInvalid, tc.field)
				return
			}
			wantStatus(t, r, http.StatusCreated)
			created := decode[news.Article](t, r.Body)
			stored := decode[news.Article](t, ts.get(t, "/api/articles/"+created.ID, nil).Body)
			for name, got := range map[string]news.Article{"created": created, "stored": stored} {
				if got.Title != tc.want.Title || got.Source != tc.want.Source || got.Category != tc.want.Category ||
					got.Summary != tc.want.Summary || !slices.Equal(got.Body, tc.want.Body) && len(got.Body)+len(tc.want.Body) > 0 {
					t.Errorf("%s: got %+q %+q %+q %+q %+q, want %+q %+q %+q %+q %+q", name,
						got.Title, got.Source, got.Category, got.Summary, got.Body,
						tc.want.Title, tc.want.Source, tc.want.Category, tc.want.Summary, tc.want.Body)
				}
			}

			// The same rules hold for a replacement.
			r = ts.do(t, http.MethodPut, "/api/articles/"+created.ID, mustJSON(t, tc.in), auth)
			wantStatus(t, r, http.StatusOK)
			if got := decode[news.Article](t, r.Body); got.Title != tc.want.Title || got.Source != tc.want.Source {
				t.Errorf("replaced: got %+q %+q, want %+q %+q", got.Title, got.Source, tc.want.Title, tc.want.Source)
			}

			page := ts.get(t, "/articles/"+created.ID, nil)
			wantStatus(t, page, http.StatusOK)
			html := string(page.Body)
			if i := strings.IndexAny(html, "\x1b\x07\x7f\u0085\u009b\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"); i >= 0 {
				t.Errorf("the page holds %+q", html[i:i+3])
			}
			for _, want := range []string{"<bdi>" + tc.want.Source + "</bdi>", "<bdi>/" + tc.want.Source + "</bdi>"} {
				if !strings.Contains(html, want) { // the source in the meta line and in the credit
					t.Errorf("the page lacks the isolated source %+q", want)
				}
			}
		})
	}
}
