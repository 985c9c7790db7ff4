package feed

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	xhtml "golang.org/x/net/html"
)

// strict removes every tag; a Policy is safe for concurrent use once built.
var strict = bluemonday.StrictPolicy()

// skipContent are elements whose content is never readable text: it is
// dropped with the element so no script or style source leaks into a title.
// xmp and plaintext hold raw markup, which would come out as tags in the text.
var skipContent = set("script", "style", "noscript", "template", "iframe", "frame", "frameset",
	"object", "embed", "noembed", "noframes", "svg", "math", "head", "title", "textarea", "select",
	"xmp", "plaintext")

// blockTags end a paragraph, so words on either side are not glued together.
var blockTags = set("p", "div", "br", "hr", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3",
	"h4", "h5", "h6", "blockquote", "pre", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
	"caption", "section", "article", "header", "footer", "aside", "nav", "main", "figure",
	"figcaption", "address", "details", "summary", "form", "fieldset", "legend", "center", "body", "html")

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// chunks splits an HTML fragment at block boundaries into HTML fragments
// (still to be sanitised), leaving out skipContent elements with their content.
func chunks(s string) []string {
	z := xhtml.NewTokenizer(strings.NewReader(s))
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			flush()
			return out
		case xhtml.StartTagToken, xhtml.EndTagToken, xhtml.SelfClosingTagToken:
			name, _ := z.TagName()
			n := string(name)
			switch {
			case skipContent[n]:
				if tt == xhtml.StartTagToken {
					skip++
				} else if tt == xhtml.EndTagToken && skip > 0 {
					skip--
				}
			case skip > 0:
			case blockTags[n]:
				flush()
			default:
				cur.Write(z.Raw())
			}
		case xhtml.TextToken:
			if skip == 0 {
				cur.Write(z.Raw())
			}
		}
	}
}

// plain turns one HTML fragment into plain text: tags stripped by the
// strict policy, entities decoded exactly once, whitespace collapsed.
func plain(fragment string) string {
	t := html.UnescapeString(strict.Sanitize(fragment))
	t = strings.ToValidUTF8(t, "\uFFFD")
	// A control character becomes a space, not nothing: dropping it could
	// join a '<' to a letter ("<\x01img …") and make a tag of inert text.
	t = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, t)
	return strings.Join(strings.Fields(t), " ")
}

// plainText converts HTML (or text that may hold tags and entities) to one
// line of inert plain text.
func plainText(s string) string {
	parts := chunks(s)
	texts := make([]string, 0, len(parts))
	for _, c := range parts {
		if t := plain(c); t != "" {
			texts = append(texts, t)
		}
	}
	return strings.Join(texts, " ")
}

// paragraphs converts HTML content to at most max plain-text paragraphs of
// at most maxLen runes each.
func paragraphs(s string, max, maxLen int) []string {
	var out []string
	for _, c := range chunks(s) {
		if len(out) == max {
			break
		}
		if t := plain(c); t != "" {
			out = append(out, truncate(t, maxLen))
		}
	}
	return out
}

// truncate shortens s to at most max runes, cutting at a word boundary
// (within the last third; a single longer word is cut where it must be) and
// marking the cut with "…".
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max < 1 {
		return ""
	}
	r := []rune(s)[:max]
	cut := max - 1 // room for the ellipsis
	if !unicode.IsSpace(r[cut]) {
		// Back up to the last space, unless the word is very long.
		for i := cut - 1; i >= max*2/3; i-- {
			if unicode.IsSpace(r[i]) {
				cut = i
				break
			}
		}
	}
	t := strings.TrimRightFunc(string(r[:cut]), func(c rune) bool {
		return unicode.IsSpace(c) || unicode.IsPunct(c) && c != ')' && c != '"' && c != '”' && c != '’'
	})
	return t + "…"
}

// firstSentence is the text's first sentence when it fits in max runes,
// else its first words up to max runes with an ellipsis.
func firstSentence(s string, max int) string {
	for i, r := range s {
		if i > 0 && (r == '.' || r == '!' || r == '?' || r == '。') {
			end := i + utf8.RuneLen(r)
			if end == len(s) || s[end] == ' ' {
				if utf8.RuneCountInString(s[:end]) <= max {
					return s[:end]
				}
				break
			}
		}
	}
	return truncate(s, max)
}

// firstImg is the src of the first <img> in an HTML fragment that is not a
// 1×1 tracking pixel, "" if none.
func firstImg(s string) string {
	if !strings.Contains(s, "<") {
		return ""
	}
	z := xhtml.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return ""
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "img" || !hasAttr {
				continue
			}
			var src, w, h string
			for {
				k, v, more := z.TagAttr()
				switch string(k) {
				case "src":
					src = string(v)
				case "width":
					w = string(v)
				case "height":
					h = string(v)
				}
				if !more {
					break
				}
			}
			if src != "" && !(w == "1" && h == "1") {
				return src
			}
		}
	}
}
