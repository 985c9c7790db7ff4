package news_test

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"newswidget/app/news"
)

// checkConfig fails unless c keeps every rule of the embed attributes.
func checkConfig(t *testing.T, c news.Config) {
	t.Helper()
	in := func(v string, set ...string) bool { return slices.Contains(set, v) }
	text := func(s string, max int) bool {
		return utf8.ValidString(s) && utf8.RuneCountInString(s) <= max && s == strings.TrimSpace(s)
	}
	switch {
	case !in(c.Layout, "ticker", "list", "both"):
		t.Fatalf("layout %q", c.Layout)
	case c.Limit < 1 || c.Limit > news.MaxListLimit:
		t.Fatalf("limit %d", c.Limit)
	case !text(c.Category, news.MaxCategoryLen):
		t.Fatalf("category %q", c.Category)
	case !in(c.Theme, "auto", "light", "dark"):
		t.Fatalf("theme %q", c.Theme)
	case c.Speed < news.MinSpeed || c.Speed > news.MaxSpeed:
		t.Fatalf("speed %d", c.Speed)
	case !in(c.Loading, "lazy", "eager"):
		t.Fatalf("loading %q", c.Loading)
	case c.Height != 0 && (c.Height < news.MinHeight || c.Height > news.MaxHeight):
		t.Fatalf("height %d", c.Height)
	case !in(c.LinkTarget, "_top", "_blank", "_self"):
		t.Fatalf("link target %q", c.LinkTarget)
	case !text(c.TickerLabel, news.MaxLabelLen) || !text(c.ListLabel, news.MaxLabelLen):
		t.Fatalf("labels %q %q", c.TickerLabel, c.ListLabel)
	case c.ID != "" && !news.ValidID(c.ID):
		t.Fatalf("id %q", c.ID)
	}
	if c.Accent != "" {
		// It goes into a CSS custom property: it must parse as itself and
		// hold nothing that could end the declaration or the rule.
		if a, ok := news.ParseColor(c.Accent); !ok || a != c.Accent || strings.ContainsAny(c.Accent, ";{}<>\"'\\\n\r\t") {
			t.Fatalf("accent %q", c.Accent)
		}
	}
	if l, ok := news.ParseLocale(c.Locale); !ok || l != c.Locale {
		t.Fatalf("locale %q", c.Locale)
	}
	if c.Parent != "" {
		if o, ok := news.ParseOrigin(c.Parent); !ok || o != c.Parent {
			t.Fatalf("parent %q is not an origin in canonical form (%q %v)", c.Parent, o, ok)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"", "layout=ticker&limit=7&theme=dark", "limit=0", "limit=51", "limit=-1", "limit=1e3", "limit=10px", "limit=%20%205%20",
		"accent=%23c00", "accent=rgb(1,2,3)", "accent=red;color:blue", "accent=url(javascript:x)", "accent=hsl(1e400,0,0)",
		"locale=sr-latn", "locale=en_US", "locale=x-private", "locale=" + strings.Repeat("a-", 30),
		"ticker-label=%20%20Now%0A%20here", "list-label=" + strings.Repeat("é", 61), "category=%FF",
		"speed=9&speed=60", "height=&accent=&ticker-label=", "height=39", "height=4000px", "live=FALSE", "live=",
		"parent=https://Pub.Example:8443/", "parent=javascript:alert(1)", "parent=https://a%2Fb", "parent=http://[::1]:80",
		"id=w1&id=../x", "link-target=_parent", "loading=EAGER", "layout=%00", "theme=dark%00", "a=%zz&layout=list",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, _ := url.ParseQuery(query) // what parses of a broken query still counts
		c, warns := news.ParseConfig(q)
		checkConfig(t, c)
		if len(warns) > len(q) {
			t.Fatalf("%d warnings for %d attributes", len(warns), len(q))
		}
		for _, w := range warns {
			if _, ok := q[strings.TrimPrefix(w.Attr, "data-")]; !ok || !strings.HasPrefix(w.Attr, "data-") {
				t.Fatalf("warning %+v names no attribute given", w)
			}
		}
		// The configuration's own query is valid and gives it back.
		again, warns := news.ParseConfig(c.Query())
		if again != c || len(warns) != 0 {
			t.Fatalf("round trip of %q: %+v (%v), want %+v", query, again, warns, c)
		}
	})
}

// FuzzCursor parses fuzzed `before` values and makes cursors of fuzzed
// positions: a parsed cursor prints as one that parses to itself, and every
// position a page can end at survives the trip through its string.
func FuzzCursor(f *testing.F) {
	for _, s := range []struct {
		s  string
		ns int64
		id string
	}{
		{"", 0, "a"}, {"1700000000000000000.nato-1", 1700000000000000000, "nato-1"}, {"0.x", 0, "x"}, {"+5.a", 5, "A_b-9"},
		{"-1.a", -1, "a"}, {"1.", 1, ""}, {".a", 1, "a.b"}, {"1.a.b", 9223372036854775807, "z"}, {"99999999999999999999.a", 1, "é"},
		{"1.a%2Fb", 1, strings.Repeat("i", 64)}, {" 1.a", 1, strings.Repeat("i", 65)}, {"0x10.a", 16, "a"},
	} {
		f.Add(s.s, s.ns, s.id)
	}
	f.Fuzz(func(t *testing.T, s string, ns int64, id string) {
		c, err := news.ParseCursor(s)
		if err != nil {
			var e *news.Error
			if !errors.As(err, &e) || e.Code != news.EInvalid || e.Field != "" {
				t.Fatalf("ParseCursor(%q): %v, want an invalid *news.Error naming no field", s, err)
			}
		} else {
			if s == "" != c.IsZero() {
				t.Fatalf("ParseCursor(%q) = %+v: zero only for the empty string", s, c)
			}
			again, err := news.ParseCursor(c.String())
			if err != nil || again != c {
				t.Fatalf("ParseCursor(%q) = %+v, prints %q, which parses to %+v, %v", s, c, c.String(), again, err)
			}
		}
		if ns < 0 || !news.ValidID(id) {
			return
		}
		want := news.Cursor{PublishedAt: time.Unix(0, ns).UTC(), ID: id}
		got, err := news.ParseCursor(want.String())
		if err != nil || !got.PublishedAt.Equal(want.PublishedAt) || got.ID != want.ID {
			t.Fatalf("cursor %+v prints %q, which parses to %+v, %v", want, want.String(), got, err)
		}
	})
}

// FuzzParseSeq parses fuzzed Last-Event-ID values: an id parses to a
// non-negative sequence that prints back as a canonical id of itself.
func FuzzParseSeq(f *testing.F) {
	for _, s := range []string{"", "0", "7", " 7 ", "-1", "1e3", "1.5", "0x10", "+5", "007", "99999999999999999999999",
		"9223372036854775807", "9223372036854775808", "٣", "5abc", "\t12\n", strings.Repeat("9", 10<<10)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := news.ParseSeq(s)
		if err != nil {
			var e *news.Error
			if !errors.As(err, &e) || e.Code != news.EInvalid || e.Field != "" {
				t.Fatalf("ParseSeq(%q): %v, want an invalid *news.Error naming no field", s, err)
			}
			return
		}
		if n < 0 || strings.TrimSpace(s) == "" && n != 0 {
			t.Fatalf("ParseSeq(%q) = %d", s, n)
		}
		id := strconv.FormatInt(n, 10)
		if again, err := news.ParseSeq(id); err != nil || again != n {
			t.Fatalf("ParseSeq(%q) = %d, whose id %q parses to %d, %v", s, n, id, again, err)
		}
	})
}
