package news_test

import (
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
)

// TestTextHygiene holds the rules of publisher text (issue #12, item 8):
// invisible characters that act are stripped, a title must show something,
// and legitimate scripts, marks and emoji are left alone.
func TestTextHygiene(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    news.Article
		field string // "" when valid
		want  news.Article
	}{
		{name: "zero-width title", in: news.Article{Title: "\u200b\u200c\u200d\u2060\ufeff"}, field: "title"},
		{name: "zero-width and spaces title", in: news.Article{Title: " \u200b \u00a0\u3000\u200b "}, field: "title"},
		{name: "combining marks alone", in: news.Article{Title: "\u0301\u0308\u064e"}, field: "title"},
		{name: "bidi marks alone", in: news.Article{Title: "\u200e\u200f\u061c"}, field: "title"},
		{name: "hangul filler title", in: news.Article{Title: "\u3164\u115f"}, field: "title"},
		{name: "controls only title", in: news.Article{Title: "\x1b\x07\x7f\u0085"}, field: "title"},
		{name: "override only title", in: news.Article{Title: "\u202e\u2066"}, field: "title"},
		{name: "NUL title", in: news.Article{Title: "a\x00b"}, field: "title"},
		{name: "NUL in a paragraph", in: news.Article{Title: "T", Body: []string{"a\x00b"}}, field: "body"},
		{
			name: "override in source stripped",
			in:   news.Article{Title: "T", Source: "\u202eLER"},
			want: news.Article{Title: "T", Source: "LER"},
		},
		{
			name: "every embedding, override and isolate stripped",
			in:   news.Article{Title: "\u202aa\u202bb\u202cc\u202dd\u202ee\u2066f\u2067g\u2068h\u2069", Category: "\u2067World\u2069"},
			want: news.Article{Title: "abcdefgh", Category: "World"},
		},
		{
			name: "ESC BEL DEL stripped",
			in:   news.Article{Title: "\x1b[31mRed\x07 alert\x7f", Source: "\x1bREL\x07"},
			want: news.Article{Title: "[31mRed alert", Source: "REL"},
		},
		{
			name: "C1 stripped",
			in:   news.Article{Title: "a\u0080b\u009bc\u009fd", Summary: "s\u0090t"},
			want: news.Article{Title: "abcd", Summary: "st"},
		},
		{
			name: "line breaks in a title become one space",
			in:   news.Article{Title: "Breaking\r\nnews\tnow\u2028here\u0085too", Category: "A\n\nB"},
			want: news.Article{Title: "Breaking news now here too", Category: "A B"},
		},
		{
			name: "summary and paragraphs keep lines and tabs",
			in:   news.Article{Title: "T", Summary: "one\ntwo\r\nthree\rfour\tfive\u2029six\x1b", Body: []string{"a\nb\x07", "\u202e\u200b", "c\r\n\r\nd"}},
			want: news.Article{Title: "T", Summary: "one\ntwo\nthree\nfour\tfive\nsix", Body: []string{"a\nb", "c\n\nd"}},
		},
		{
			name: "invisible source and category become empty",
			in:   news.Article{Title: "T", Source: "\u200b\u202e", Category: "\u200f"},
			want: news.Article{Title: "T"},
		},
		{
			name: "arabic and hebrew intact",
			in:   news.Article{Title: "عاجل: اتفاق وزراء الخارجية", Summary: "ראש הממשלה: \u200f\"נגיע להסכם\"\u200f", Source: "الجزيرة", Category: "חדשות"},
			want: news.Article{Title: "عاجل: اتفاق وزراء الخارجية", Summary: "ראש הממשלה: \u200f\"נגיע להסכם\"\u200f", Source: "الجزيرة", Category: "חדשות"},
		},
		{
			name: "marks and joiners intact",
			in:   news.Article{Title: "\u200fiPhone 16 יוצא", Summary: "می\u200cخواهم \u061c١٢٣", Source: "a\u00adb"},
			want: news.Article{Title: "\u200fiPhone 16 יוצא", Summary: "می\u200cخواهم \u061c١٢٣", Source: "a\u00adb"},
		},
		{
			name: "emoji sequences intact",
			in:   news.Article{Title: "👩\u200d👩\u200d👧 family 🏳\ufe0f\u200d🌈 👍🏽 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f 1\ufe0f\u20e3"},
			want: news.Article{Title: "👩\u200d👩\u200d👧 family 🏳\ufe0f\u200d🌈 👍🏽 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f 1\ufe0f\u20e3"},
		},
		{
			name: "emoji alone is a title",
			in:   news.Article{Title: "🔥"},
			want: news.Article{Title: "🔥"},
		},
		{
			name: "accents intact",
			in:   news.Article{Title: "Cafe\u0301 Ženeva", Source: "Radio Evropa e Lirë"},
			want: news.Article{Title: "Cafe\u0301 Ženeva", Source: "Radio Evropa e Lirë"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.in
			a.Normalize(base)
			err := a.Validate()
			if tc.field != "" {
				e, ok := err.(*news.Error)
				if !ok || e.Code != news.EInvalid || e.Field != tc.field {
					t.Fatalf("got %v, want an invalid %s", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want valid", err)
			}
			got := []string{a.Title, a.Summary, a.Source, a.Category, strings.Join(a.Body, "|")}
			want := []string{tc.want.Title, tc.want.Summary, tc.want.Source, tc.want.Category, strings.Join(tc.want.Body, "|")}
			for i, name := range []string{"title", "summary", "source", "category", "body"} {
				if got[i] != want[i] {
					t.Errorf("%s: got %+q, want %+q", name, got[i], want[i])
				}
			}
		})
	}
}

var base = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

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
