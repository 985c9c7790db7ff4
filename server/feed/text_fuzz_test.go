package feed

import (
	"bytes"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"

	"newswidget/app/news"
)

// checkPlain fails unless out is what the feed's text must be. The text is
// what a reader would see of the HTML, so a '<' may be part of it (written
// as "&lt;", or before a tag that is dropped: "<<b>b" shows "<b"); what
// must hold is:
//   - one line of valid UTF-8: no control characters, whitespace collapsed
//     to single spaces;
//   - a fixed point: escaped as HTML and sanitised again, out is unchanged,
//     so nothing in it is still markup or an entity to decode;
//   - no markup survives or is made up: when no text of the input holds a
//     '<' (attributes, tags and comments do not count), out holds none.
func checkPlain(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("plainText(%q) = %q: not valid UTF-8", in, out)
	}
	if out != strings.TrimSpace(out) || strings.Contains(out, "  ") {
		t.Fatalf("plainText(%q) = %q: whitespace not collapsed", in, out)
	}
	for _, r := range out {
		if unicode.IsControl(r) || unicode.IsSpace(r) && r != ' ' {
			t.Fatalf("plainText(%q) = %q: holds %U", in, out, r)
		}
	}
	if again := plainText(html.EscapeString(out)); again != out {
		t.Fatalf("plainText(%q) = %q, but as HTML again it becomes %q", in, out, again)
	}
	if strings.Contains(out, "<") && !textHasLT(in) {
		t.Fatalf("plainText(%q) = %q: a '<' that no text of the input has", in, out)
	}
}

// textHasLT reports whether any text of the HTML s, entities decoded, holds '<'.
func textHasLT(s string) bool {
	z := xhtml.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return false
		case xhtml.TextToken:
			if bytes.IndexByte(z.Text(), '<') >= 0 {
				return true
			}
		}
	}
}

func FuzzPlainText(f *testing.F) {
	for _, s := range []string{
		"", "plain words", "  many\n\n spaces\t", "Breaking <b>news</b><script>alert(1)</script>",
		`<p onclick="x()">Body</p><style>p{}</style> end`, "Fish &amp;amp; Chips &lt;3",
		"&lt;script&gt;alert(1)&lt;/script&gt;", "<<script></script>b", "<scr<script>ipt>alert(1)</script>",
		"<!-- <script>x</script> -->after", "<textarea><b>x</b></textarea>", "<xmp><b>x</b></xmp>",
		"<plaintext><b>x</b>", "\xff\xfe bad utf-8", "a\x00b\x1bc\u200bd\u2028e", "<a href=\"javascript:alert(1)\">link</a>",
		"<svg><script>alert(1)</script></svg>", "<title>t</title><noscript>n</noscript>ok", "caf&eacute; &#8212; &#x1F4F0; &#0;",
		"<img src=x onerror=alert(1)>", "<iframe srcdoc=\"<script>x</script>\">f</iframe>", "< b>not a tag", "a<b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkPlain(t, s, plainText(s))
		ps := paragraphs(s, 5, 40)
		if len(ps) > 5 {
			t.Fatalf("paragraphs(%q, 5, 40) has %d paragraphs", s, len(ps))
		}
		for _, p := range ps {
			if p == "" || utf8.RuneCountInString(p) > 40 {
				t.Fatalf("paragraphs(%q, 5, 40) has %q", s, p)
			}
			if strings.HasSuffix(p, "…") { // cut: the cut text is still plain
				continue
			}
			checkPlain(t, s, p)
		}
	})
}

// opensElement reports whether HTML ending in "<el>" opens el there, rather
// than the tag being swallowed by what came before (a comment, an attribute
// value, raw text such as a <textarea>'s).
func opensElement(before, el string) bool {
	z := xhtml.NewTokenizer(strings.NewReader(before + "<" + el + ">"))
	var last xhtml.Token
	for z.Next() != xhtml.ErrorToken {
		last = z.Token()
	}
	return last.Type == xhtml.StartTagToken && last.Data == el && len(last.Attr) == 0
}

// FuzzScriptContent wraps script and style source between fuzzed markup:
// whatever comes before or after, the content of an element that opens
// never reaches the text.
func FuzzScriptContent(f *testing.F) {
	for _, s := range [][2]string{
		{"", ""}, {"<p>", "</p>"}, {"<script>", ""}, {"</script>", "<script>"}, {"<!--", "-->"},
		{"<textarea>", "</textarea>"}, {"<xmp>", "</xmp>"}, {"<plaintext>", ""}, {"<noscript>", ""},
		{"<svg>", "</svg>"}, {`<a title="`, `">x</a>`}, {"<![CDATA[", "]]>"}, {"<math><mi>", ""},
	} {
		f.Add(s[0], s[1])
	}
	const secret = "NWSECRET"
	f.Fuzz(func(t *testing.T, before, after string) {
		if strings.Contains(before+after, "NW") || strings.Contains(before+after, "&") {
			return
		}
		for _, el := range []string{"script", "style", "noscript", "template", "iframe", "textarea", "title", "svg"} {
			if !opensElement(before, el) {
				continue
			}
			in := before + "<" + el + ">" + secret + "</" + el + ">" + after
			if out := plainText(in); strings.Contains(out, secret) {
				t.Fatalf("plainText(%q) = %q: the %s content leaked", in, out, el)
			}
		}
	})
}

// FuzzWebURL checks that a feed's link or image becomes an http(s) URL or
// nothing, whatever it says and wherever it points.
func FuzzWebURL(f *testing.F) {
	for _, s := range []string{
		"", "https://example.com/a", "/relative", "//other.example/x", "javascript:alert(1)", " JavaScript:alert(1)",
		"java\tscript:alert(1)", "data:text/html,<b>", "https://u:p@example.com/", "https://example.com/a b", `https://e.example/"x`,
		"vbscript:x", "http://[::1]:80/", "https:///nohost", "?q=1", "#frag", "%00", "https://example.com/\u202e",
	} {
		f.Add(s)
	}
	base, _ := url.Parse("https://feed.example/dir/feed.xml")
	f.Fuzz(func(t *testing.T, raw string) {
		for _, b := range []*url.URL{base, nil} {
			out := webURL(b, raw)
			if out == "" {
				continue
			}
			u, err := url.Parse(out)
			if !news.IsWebURL(out) || err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
				t.Fatalf("webURL(%v, %q) = %q: not an http(s) URL", b, raw, out)
			}
		}
	})
}

// FuzzFeedDocument parses fuzzed feed documents as a poll would and checks
// every entry that passes validation: plain text, web URLs, bounded fields.
// Neither the parser nor the mapping may panic, since a panic would take
// the whole server down with the poller.
func FuzzFeedDocument(f *testing.F) {
	for _, s := range []string{
		`<?xml version="1.0"?><rss version="2.0"><channel><title>T &amp; <b>co</b></title><item><guid>a</guid><title>A <script>x</script>title</title>` +
			`<link>javascript:alert(1)</link><description><![CDATA[<p>One</p><p>Two</p>]]></description><category>World</category>` +
			`<pubDate>Mon, 04 Mar 2024 10:00:00 GMT</pubDate><enclosure url="/i.png" type="image/png"/></item></channel></rss>`,
		`<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><id>1</id>` +
			`<title type="html">&lt;b&gt;Bold&lt;/b&gt;</title><link href="https://a.example/1"/><updated>2024-03-04T10:00:00Z</updated>` +
			`<content type="html">&lt;p&gt;x&lt;/p&gt;</content></entry></feed>`,
		`{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","title":"<i>J</i>","url":"//j.example/1",` +
			`"content_html":"<p>a</p><script>b</script>","image":"data:image/png;base64,AA","date_published":"2024-03-04T10:00:00Z"}]}`,
		`<rss><channel><item><title>` + strings.Repeat("x", 400) + `</title></item></channel></rss>`,
		`<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><item><title>R</title><link>https://r.example/</link></item></rdf:RDF>`,
	} {
		f.Add([]byte(s))
	}
	base, _ := url.Parse("https://feed.example/feed")
	now := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, doc []byte) {
		feed, err := parseFeed(doc, "")
		if err != nil {
			return
		}
		list := entries(base.String(), base, feed.Items, DefaultMaxItems, now)
		source := feedSource(feed, base)
		for _, e := range list {
			var first time.Time
			if t := e.published; t.IsZero() || t.After(now) {
				first = now
			}
			a := toArticle(e, source, base, first, now)
			a.Normalize(now)
			if a.Validate() != nil {
				continue
			}
			for _, s := range []string{a.Title, a.Summary, a.Source, a.Category} {
				if s != "" && plainText(html.EscapeString(s)) != s {
					t.Fatalf("entry text %q is not plain", s)
				}
			}
			for _, u := range []string{a.URL, a.Image} {
				if u != "" && !news.IsWebURL(u) {
					t.Fatalf("entry URL %q is not a web URL", u)
				}
			}
			if !a.Flash || !news.ValidID(a.ID) || a.PublishedAt.IsZero() || a.UpdatedAt.Before(a.PublishedAt) ||
				a.PublishedAt.After(now) || a.UpdatedAt.After(now) {
				t.Fatalf("entry %+v", a)
			}
		}
	})
}
