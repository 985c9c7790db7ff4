package server

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"newswidget/app/news"
)

func TestDecodeAndValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	for _, tc := range []struct {
		name, json string
		field      string // "" when valid
		code       string
	}{
		{"minimal", `{"title":"Hello"}`, "", ""},
		{"full", `{"id":"a-1","title":"T","summary":"S","body":["p"],"url":"https://x.example/a","source":"REL","category":"World","image":"http://x.example/i.jpg","flash":true,"published_at":"2023-11-27T12:00:00Z","updated_at":"2023-11-27T13:00:00+01:00"}`, "", ""},
		{"no title", `{"summary":"S"}`, "title", news.EInvalid},
		{"blank title", `{"title":"   "}`, "title", news.EInvalid},
		{"zero-width title", `{"title":"\u200b\ufeff\u2060"}`, "title", news.EInvalid},
		{"escaped controls", `{"title":"\u001b\u0007T\u007f","source":"\u202eREL"}`, "", ""},
		{"title 300", `{"title":"` + long(300) + `"}`, "", ""},
		{"title 301", `{"title":"` + long(301) + `"}`, "title", news.EInvalid},
		{"summary 1001", `{"title":"T","summary":"` + long(1001) + `"}`, "summary", news.EInvalid},
		{"paragraph too long", `{"title":"T","body":["` + long(10001) + `"]}`, "body", news.EInvalid},
		{"javascript url", `{"title":"T","url":"javascript:alert(1)"}`, "url", news.EInvalid},
		{"relative url", `{"title":"T","url":"/a"}`, "url", news.EInvalid},
		{"ftp url", `{"title":"T","url":"ftp://x.example/a"}`, "url", news.EInvalid},
		{"data image", `{"title":"T","image":"data:image/png;base64,AAAA"}`, "image", news.EInvalid},
		{"bad id", `{"id":"../etc","title":"T"}`, "id", news.EInvalid},
		{"bad date", `{"title":"T","published_at":"27/11/2023"}`, "published_at", news.EInvalid},
		{"wrong type", `{"title":42}`, "title", news.EInvalid},
		{"body not array", `{"title":"T","body":"text"}`, "body", news.EInvalid},
		{"unknown field", `{"title":"T","author":"me"}`, "author", news.EInvalid},
		{"malformed", `{"title":`, "", news.EInvalid},
		{"two objects", `{"title":"T"}{"title":"U"}`, "", news.EInvalid},
		{"empty", ``, "", news.EInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := decodeArticle([]byte(tc.json))
			if err == nil {
				a.Normalize(time.Now())
				err = a.Validate()
			}
			if tc.code == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				if !news.ValidID(a.ID) || a.PublishedAt.IsZero() || a.UpdatedAt.IsZero() {
					t.Errorf("normalized article %+v lacks id or dates", a)
				}
				return
			}
			e, ok := err.(*news.Error)
			if !ok {
				t.Fatalf("got %v (%T), want a *news.Error", err, err)
			}
			if e.Code != tc.code || e.Field != tc.field {
				t.Errorf("got code %q field %q (%s), want %q %q", e.Code, e.Field, e.Message, tc.code, tc.field)
			}
		})
	}
}

func FuzzDecodeArticle(f *testing.F) {
	for _, s := range []string{
		`{"title":"t"}`, `{}`, `null`, `[]`, `{"title":5}`, `{"title":"t","extra":1}`, `{"title":"t"} x`,
		`{"id":"a-1","title":"  T  ","summary":"s","body":["p", " ", "q"],"url":"https://n.example/a?b#c","source":"REL",` +
			`"category":"World","image":"http://i.example/i.png","flash":true,"published_at":"2023-11-27T10:00:00+01:00","updated_at":""}`,
		`{"title":"t","url":"javascript:alert(1)"}`, `{"title":"t","url":" https://n.example/ "}`, `{"title":"t","url":"https://n.example/\"x"}`,
		`{"title":"t","image":"//cdn.example/i"}`, `{"title":"\u0000"}`, `{"title":"\ud800"}`, "{\"title\":\"\xff\"}",
		`{"title":"t","published_at":"0000-01-01T00:00:00Z"}`, `{"title":"t","published_at":"9999-12-31T23:59:59.999999999-23:59"}`,
		`{"title":"t","body":null,"flash":null}`, `{"id":"` + strings.Repeat("i", 65) + `","title":"t"}`,
		`{"title":"t","body":[` + strings.TrimSuffix(strings.Repeat(`"p",`, 201), ",") + `]}`,
		`{"title":"\u200b\u200d\ufeff"}`, `{"title":"\u0301"}`, `{"title":"\u3164"}`, `{"title":" \u202e "}`,
		`{"title":"\u001b[1mT\u0007\u007f\u0085","source":"\u202eREL\u202c","category":"\u2066W\u2069"}`,
		`{"title":"a\r\nb","summary":"one\r\ntwo\u2028\u009b","body":["p\u0000","\u200b","x\ty\u000b"]}`,
		`{"title":"عاجل\u200f","source":"\u200eקול","summary":"👩\u200d👩\u200d👧 \u061c١"}`,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := decodeArticle(data)
		if err != nil {
			var e *news.Error
			if !errors.As(err, &e) || e.Code != news.EInvalid || e.Message == "" {
				t.Fatalf("decodeArticle(%q): %v, want an invalid *news.Error", data, err)
			}
			return
		}
		a.Normalize(now)
		if err := a.Validate(); err != nil {
			var e *news.Error
			if !errors.As(err, &e) || e.Code != news.EInvalid || e.Field == "" {
				t.Fatalf("Validate: %v, want an invalid *news.Error naming a field", err)
			}
			return
		}
		checkArticle(t, a)
		// What the API would send back decodes to the same article.
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("encoding a valid article: %v", err)
		}
		again, err := decodeArticle(b)
		if err != nil {
			t.Fatalf("decoding %s: %v", b, err)
		}
		again.Normalize(now)
		if !a.Equal(again) {
			t.Fatalf("round trip: %+v, want %+v", again, a)
		}
	})
}

// checkArticle fails unless a validated article keeps every bound: a valid
// id, bounded text that is valid UTF-8, only web URLs.
func checkArticle(t *testing.T, a news.Article) {
	t.Helper()
	runes := utf8.RuneCountInString
	switch {
	case !news.ValidID(a.ID):
		t.Fatalf("id %q", a.ID)
	case a.Title == "" || runes(a.Title) > news.MaxTitleLen || runes(a.Summary) > news.MaxSummaryLen ||
		runes(a.Source) > news.MaxSourceLen || runes(a.Category) > news.MaxCategoryLen || len(a.Body) > news.MaxParagraphs:
		t.Fatalf("a field out of bounds: %+v", a)
	case a.PublishedAt.IsZero() || a.UpdatedAt.IsZero():
		t.Fatalf("dates not filled: %+v", a)
	}
	for i, s := range append([]string{a.Title, a.Summary, a.Source, a.Category}, a.Body...) {
		if !utf8.ValidString(s) || s != strings.TrimSpace(s) {
			t.Fatalf("text %q is not trimmed valid UTF-8", s)
		}
		if s != "" && !news.Visible(s) {
			t.Fatalf("text %+q shows nothing", s)
		}
		multiline := i == 1 || i > 3
		for _, r := range s {
			// controls but a multi-line field's breaks and tabs, and bidi
			// embeddings, overrides and isolates, are stripped
			if r < 0x20 && !(multiline && (r == '\n' || r == '\t')) || r >= 0x7f && r <= 0x9f ||
				r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x2028 || r == 0x2029 {
				t.Fatalf("text %+q holds %U", s, r)
			}
		}
	}
	for _, p := range a.Body {
		if p == "" || runes(p) > news.MaxParagraphLen {
			t.Fatalf("paragraph of %d runes", runes(p))
		}
	}
	for _, s := range []string{a.URL, a.Image} {
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil ||
			len(s) > news.MaxURLLen || strings.ContainsAny(s, " \"'<>`\\") {
			t.Fatalf("URL %q is not a web URL", s)
		}
		for _, r := range s {
			if !strconv.IsPrint(r) {
				t.Fatalf("URL %q holds %U", s, r)
			}
		}
	}
}
