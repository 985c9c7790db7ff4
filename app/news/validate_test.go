package news_test

import (
	"strings"
	"testing"
	"time"

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
			a, err := news.DecodeArticle([]byte(tc.json))
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

func TestCursorRoundTrip(t *testing.T) {
	c := news.Cursor{PublishedAt: time.Date(2023, 11, 27, 12, 0, 0, 5, time.UTC), ID: "a_b-c"}
	got, err := news.ParseCursor(c.String())
	if err != nil || got != c {
		t.Fatalf("got %+v %v, want %+v", got, err, c)
	}
	for _, bad := range []string{"x", "12", "12.", ".id", "-5.id", "12.bad/id", "1e9.id"} {
		if _, err := news.ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q): got no error", bad)
		}
	}
}

func TestIsWebURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://example.com/a?b=c#d", true},
		{"http://example.com", true},
		{"https://example.com/ž", true},
		{"https://example.com/%22", true},
		{"javascript:alert(1)", false},
		{"data:text/html,x", false},
		{"//example.com/a", false},
		{"/a", false},
		{"https://example.com/\"onmouseover=alert(1)", false},
		{"https://example.com/'x", false},
		{"https://example.com/<x>", false},
		{"https://example.com/a b", false},
		{"https://example.com/\x01", false},
		{"https://user:pw@example.com/", false},
		{"https:///nohost", false},
	} {
		if got := news.IsWebURL(tc.url); got != tc.ok {
			t.Errorf("IsWebURL(%q): got %v, want %v", tc.url, got, tc.ok)
		}
	}
}
