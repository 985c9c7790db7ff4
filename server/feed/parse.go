package feed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
)

// parseFeed parses a fetched document after repairing what real feeds get
// wrong and a reference reader (Python feedparser) tolerates: the bytes are
// decoded to UTF-8 (see decodeXML), anything before the feed's root element
// and after its end is cut (a PHP warning, a stray script, an XHTML page
// around an Atom feed), and a JSON Feed field of the wrong type is coerced or
// dropped instead of failing the whole feed.
func parseFeed(body []byte, contentType string) (*gofeed.Feed, error) {
	p := gofeed.NewParser()
	if isJSON(body) {
		fixed, err := fixJSONFeed(body)
		if err != nil {
			return nil, err
		}
		return p.Parse(bytes.NewReader(fixed))
	}
	doc := extractRoot(decodeXML(body, contentType))
	return p.Parse(strings.NewReader(doc))
}

// isJSON reports whether the document's first significant byte opens a JSON object.
func isJSON(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// xmlDecl matches an XML declaration, capturing its encoding label.
var xmlDecl = regexp.MustCompile(`(?s)^\s*<\?xml[^>]*?\?>`)
var declEncoding = regexp.MustCompile(`encoding\s*=\s*["']([^"']*)["']`)

// decodeXML returns the document as UTF-8 text with no XML declaration. The
// encoding is, in order: a byte order mark; UTF-16 by its zero bytes; UTF-8
// when the bytes are valid UTF-8 (whatever the label says, since a declared
// ISO-8859-1 or UTF-16 over UTF-8 bytes is the commonest mislabelling); the
// XML declaration's label, else the Content-Type charset, when it names a
// known single- or multi-byte encoding (spelling variants such as ISO8859_1
// accepted); else windows-1252, the encoding of most undeclared non-UTF-8
// feeds (and what browsers read ISO-8859-1 as).
func decodeXML(b []byte, contentType string) string {
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")):
		b = b[3:]
	case bytes.HasPrefix(b, []byte("\xFF\xFE")), len(b) > 1 && b[0] == '<' && b[1] == 0:
		enc = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	case bytes.HasPrefix(b, []byte("\xFE\xFF")), len(b) > 1 && b[0] == 0 && b[1] == '<':
		enc = unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	}
	var s string
	if enc != nil {
		out, err := enc.NewDecoder().Bytes(b)
		if err == nil {
			s = string(out)
		}
	}
	if s == "" {
		if utf8.Valid(b) {
			s = string(b)
		} else {
			enc = lookupEncoding(declaredLabel(b), contentType)
			out, err := enc.NewDecoder().Bytes(b)
			if err != nil {
				out = bytes.ToValidUTF8(b, []byte("\uFFFD"))
			}
			s = string(out)
		}
	}
	return xmlDecl.ReplaceAllString(s, "")
}

// declaredLabel is the encoding label of the document's XML declaration, if any.
func declaredLabel(b []byte) string {
	if d := xmlDecl.Find(b[:min(len(b), 512)]); d != nil {
		if m := declEncoding.FindSubmatch(d); m != nil {
			return string(m[1])
		}
	}
	return ""
}

// lookupEncoding is the first usable of the declared label and the
// Content-Type charset for bytes that are not UTF-8, else windows-1252.
func lookupEncoding(declared, contentType string) encoding.Encoding {
	labels := []string{declared}
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		labels = append(labels, params["charset"])
	}
	for _, l := range labels {
		if e := lookupLabel(l); e != nil {
			return e
		}
	}
	e, _ := charset.Lookup("windows-1252")
	return e
}

// lookupLabel finds an encoding by a WHATWG label or a common variant of one
// (ISO8859_1, ISO_8859-15, cp1251); UTF-8 and UTF-16 labels give nil, since
// the bytes have already been found not to be in them.
func lookupLabel(l string) encoding.Encoding {
	l = strings.ToLower(strings.TrimSpace(l))
	if l == "" {
		return nil
	}
	cands := []string{l, strings.ReplaceAll(l, "_", "-")}
	if rest, ok := strings.CutPrefix(cands[1], "iso"); ok {
		cands = append(cands, "iso-"+strings.TrimPrefix(rest, "-"))
	}
	if rest, ok := strings.CutPrefix(l, "cp"); ok {
		cands = append(cands, "windows-"+rest)
	}
	for _, c := range cands {
		if e, name := charset.Lookup(c); e != nil {
			if name == "utf-8" || strings.HasPrefix(name, "utf-16") {
				return nil
			}
			return e
		}
	}
	return nil
}

// rootStart finds the start of a feed's root element; rootEnd its end tag.
var (
	rootStart = regexp.MustCompile(`<(?:[A-Za-z][\w.-]*:)?(?:rss|feed|RDF)[\s>/]`)
	rootName  = regexp.MustCompile(`^<((?:[A-Za-z][\w.-]*:)?(?:rss|feed|RDF))`)
)

// extractRoot cuts what precedes the feed's root element (a PHP warning, a
// script, an XHTML page holding an Atom feed, a DOCTYPE) and what follows
// its end tag. A document with no recognisable root is returned unchanged
// for the parser to judge.
func extractRoot(s string) string {
	loc := rootStart.FindStringIndex(s)
	if loc == nil {
		return s
	}
	s = s[loc[0]:]
	name := rootName.FindStringSubmatch(s)[1]
	if i := strings.LastIndex(s, "</"+name+">"); i >= 0 {
		s = s[:i+len(name)+3]
	}
	return s
}

// jsonStrings are the JSON Feed fields that must be strings, at the top
// level and in items, authors and attachments.
var (
	jsonFeedStrings   = []string{"version", "title", "home_page_url", "feed_url", "description", "user_comment", "next_url", "icon", "favicon", "language"}
	jsonItemStrings   = []string{"id", "url", "external_url", "title", "content_html", "content_text", "summary", "image", "banner_image", "date_published", "date_modified", "language"}
	jsonAuthorStrings = []string{"name", "url", "avatar"}
	jsonAttachStrings = []string{"url", "mime_type", "title"}
)

// fixJSONFeed coerces the fields of a JSON Feed to the types the format
// gives them, so that one field of the wrong type costs that field, not the
// feed: a number or boolean where a string belongs becomes its text (the
// spec says an id must be coerced), tags given as one string become a list
// of one, and any other misfit is dropped.
func fixJSONFeed(b []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse JSON feed: %w", err)
	}
	fixStrings(doc, jsonFeedStrings)
	fixAuthors(doc)
	items, _ := doc["items"].([]any)
	kept := make([]any, 0, len(items))
	for _, v := range items {
		it, ok := v.(map[string]any)
		if !ok {
			continue
		}
		fixStrings(it, jsonItemStrings)
		fixAuthors(it)
		switch tags := it["tags"].(type) {
		case string:
			it["tags"] = []any{tags}
		case []any:
			it["tags"] = stringsOnly(tags)
		default:
			delete(it, "tags")
		}
		if atts, ok := it["attachments"].([]any); ok {
			var good []any
			for _, a := range atts {
				if m, ok := a.(map[string]any); ok {
					fixStrings(m, jsonAttachStrings)
					for _, k := range []string{"size_in_bytes", "duration_in_seconds"} {
						if f, ok := m[k].(float64); !ok || f != float64(int64(f)) {
							delete(m, k)
						}
					}
					good = append(good, m)
				}
			}
			it["attachments"] = good
		} else {
			delete(it, "attachments")
		}
		kept = append(kept, it)
	}
	doc["items"] = kept
	if _, ok := doc["expired"].(bool); !ok {
		delete(doc, "expired")
	}
	return json.Marshal(doc)
}

// fixStrings makes each of keys in m a string or removes it.
func fixStrings(m map[string]any, keys []string) {
	for _, k := range keys {
		switch v := m[k].(type) {
		case string, nil:
		case float64:
			m[k] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			m[k] = strconv.FormatBool(v)
		default:
			delete(m, k)
		}
	}
}

// fixAuthors repairs author (an object) and authors (a list of objects).
func fixAuthors(m map[string]any) {
	switch a := m["author"].(type) {
	case map[string]any:
		fixStrings(a, jsonAuthorStrings)
	case string:
		m["author"] = map[string]any{"name": a}
	default:
		delete(m, "author")
	}
	if list, ok := m["authors"].([]any); ok {
		var good []any
		for _, v := range list {
			switch a := v.(type) {
			case map[string]any:
				fixStrings(a, jsonAuthorStrings)
				good = append(good, a)
			case string:
				good = append(good, map[string]any{"name": a})
			}
		}
		m["authors"] = good
	} else {
		delete(m, "authors")
	}
}

// stringsOnly keeps the strings of a list.
func stringsOnly(list []any) []any {
	out := make([]any, 0, len(list))
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
