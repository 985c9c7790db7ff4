package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"

	"newswidget/app/news"
)

// entry is one feed item with what ingestion derives from it.
type entry struct {
	it                 *gofeed.Item
	id                 string // the article id (see entryKey)
	legacy             string // the id earlier versions gave it, to keep articles stored by them
	link               string // the web link: the item's link, else a GUID or Atom id that is a web URL
	published, updated time.Time
}

// hashID is "f" and 20 hex digits of the SHA-256 of key.
func hashID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "f" + hex.EncodeToString(sum[:])[:20]
}

// legacyID is the id of an entry before cross-feed identity: the feed URL
// and the GUID, else link, else title.
func legacyID(feedURL string, it *gofeed.Item) string {
	key := strings.TrimSpace(it.GUID)
	if key == "" {
		key = strings.TrimSpace(it.Link)
	}
	if key == "" {
		key = strings.TrimSpace(it.Title)
	}
	return hashID(feedURL + "\n" + key)
}

// entryKey is what identifies an entry, hashed into its article id:
//   - its canonical link (canonicalLink), whichever feed carries it, when no
//     other entry of the document shares that link: the same story from two
//     feeds is one article, and a GUID that changes does not make a new one;
//   - else its GUID: as is when it is an absolute URI (globally unique by
//     design), else within its feed;
//   - else, within its feed, its link and title (entries sharing a link but
//     titled apart are distinct), else a hash of its text.
func entryKey(feedURL string, e *entry, shared map[string]bool) string {
	canon := canonicalLink(e.link)
	if canon != "" && !shared[canon] {
		return "link\n" + canon
	}
	if g := strings.TrimSpace(e.it.GUID); g != "" {
		if u, err := url.Parse(g); err == nil && u.Scheme != "" && len(g) > len(u.Scheme)+1 {
			return "guid\n" + g
		}
		return feedURL + "\nguid\n" + g
	}
	title := plainText(e.it.Title)
	if canon != "" {
		return feedURL + "\nlink\n" + canon + "\n" + title
	}
	if title != "" {
		return feedURL + "\ntitle\n" + title
	}
	return feedURL + "\ntext\n" + plainText(e.it.Description+"\n"+e.it.Content)
}

// canonicalLink is a link reduced to what names the page: scheme, fragment,
// default port, a trailing slash and utm_* tracking parameters dropped, host
// lower-cased. "" for no link.
func canonicalLink(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && p != "80" && p != "443" {
		host += ":" + p
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(strings.ToLower(k), "utm_") {
			q.Del(k)
		}
	}
	s := host + strings.TrimSuffix(u.EscapedPath(), "/")
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// itemLink is the entry's web link: its link, else another of its links,
// else its GUID or Atom id when that is a web URL (a permalink).
func itemLink(base *url.URL, it *gofeed.Item) string {
	for _, l := range append([]string{it.Link}, it.Links...) {
		if u := webURL(base, l); u != "" {
			return u
		}
	}
	if g := strings.TrimSpace(it.GUID); strings.HasPrefix(strings.ToLower(g), "http") {
		return webURL(nil, g)
	}
	return ""
}

// itemDates are when the entry says it was published and updated, each
// zero if it does not say. The text is read leniently (parseDate) before
// gofeed's reading is taken, since gofeed gives an RSS date it cannot read
// the item's dc:date instead, and a date without a year the year 0.
func itemDates(it *gofeed.Item, now time.Time) (published, updated time.Time) {
	read := func(text string, parsed *time.Time) time.Time {
		if t, ok := parseDate(text, now); ok {
			return t
		}
		if parsed != nil && parsed.Year() > 1 {
			return *parsed
		}
		return time.Time{}
	}
	published, updated = read(it.Published, it.PublishedParsed), read(it.Updated, it.UpdatedParsed)
	if published.IsZero() {
		published = updated
	}
	return published, updated
}

// entries maps a document's items to entries, newest first, one per id
// (the first, newest, wins), at most max. Undated entries count as newest,
// since they are dated by when they are first seen.
func entries(feedURL string, base *url.URL, items []*gofeed.Item, max int, now time.Time) []*entry {
	var list []*entry
	links := map[string]int{}
	for _, it := range items {
		if it == nil {
			continue
		}
		e := &entry{it: it, link: itemLink(base, it)}
		e.published, e.updated = itemDates(it, now)
		e.legacy = legacyID(feedURL, it)
		list = append(list, e)
		if c := canonicalLink(e.link); c != "" {
			links[c]++
		}
	}
	shared := map[string]bool{}
	for l, n := range links {
		shared[l] = n > 1
	}
	slices.SortStableFunc(list, func(a, b *entry) int {
		ta, tb := a.published, b.published
		switch {
		case ta.IsZero() && tb.IsZero():
			return 0
		case ta.IsZero():
			return -1
		case tb.IsZero():
			return 1
		}
		return tb.Compare(ta)
	})
	seen := make(map[string]bool, len(list))
	var out []*entry
	for _, e := range list {
		e.id = hashID(entryKey(feedURL, e, shared))
		if seen[e.id] {
			continue
		}
		seen[e.id] = true
		out = append(out, e)
		if len(out) == max {
			break
		}
	}
	return out
}

// webURL resolves raw against base and returns it if it is an http(s) URL,
// else "": javascript:, data: and other schemes never become links.
func webURL(base *url.URL, raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if !u.IsAbs() && base != nil {
		u = base.ResolveReference(u)
	}
	if s := u.String(); news.IsWebURL(s) {
		return s
	}
	return ""
}

// itemImage is the entry's first image that is a web URL: gofeed's pick
// (itunes:image, a media:content image, an image enclosure, an <img> in RSS
// content), an image enclosure, a media:thumbnail or media:content image
// (also inside media:group), then the first <img> of the content or
// description (Atom and JSON Feed too), resolved against the entry's link,
// the page the content comes from, when it has one.
func itemImage(base *url.URL, link string, it *gofeed.Item) string {
	if it.Image != nil {
		if u := webURL(base, it.Image.URL); u != "" {
			return u
		}
	}
	for _, e := range it.Enclosures {
		if e != nil && strings.HasPrefix(strings.ToLower(strings.TrimSpace(e.Type)), "image/") {
			if u := webURL(base, e.URL); u != "" {
				return u
			}
		}
	}
	media := it.Extensions["media"]
	var groups []map[string][]ext.Extension
	if media != nil {
		groups = append(groups, media)
		for _, g := range media["group"] {
			groups = append(groups, g.Children)
		}
	}
	for _, m := range groups {
		for _, t := range m["thumbnail"] {
			if u := webURL(base, t.Attrs["url"]); u != "" {
				return u
			}
		}
		for _, c := range m["content"] {
			if strings.Contains(c.Attrs["type"], "image") || c.Attrs["medium"] == "image" {
				if u := webURL(base, c.Attrs["url"]); u != "" {
					return u
				}
			}
		}
	}
	page := base
	if u, err := url.Parse(link); err == nil && link != "" {
		page = u
	}
	for _, h := range []string{it.Content, it.Description} {
		if u := webURL(page, firstImg(h)); u != "" {
			return u
		}
	}
	return ""
}

// mediaDescription is the entry's media:description (or that of its
// media:group or media:content), "" if none.
func mediaDescription(it *gofeed.Item) string {
	media := it.Extensions["media"]
	if media == nil {
		return ""
	}
	for _, d := range media["description"] {
		if strings.TrimSpace(d.Value) != "" {
			return d.Value
		}
	}
	for _, key := range []string{"group", "content"} {
		for _, g := range media[key] {
			for _, d := range g.Children["description"] {
				if strings.TrimSpace(d.Value) != "" {
					return d.Value
				}
			}
		}
	}
	return ""
}

// feedSource is the feed's title as plain text, else the feed's host.
func feedSource(f *gofeed.Feed, base *url.URL) string {
	if s := truncate(plainText(f.Title), news.MaxSourceLen); s != "" {
		return s
	}
	if base != nil {
		return truncate(base.Hostname(), news.MaxSourceLen)
	}
	return ""
}

// untitledLen is the most runes of an untitled entry's text that become its title.
const untitledLen = 120

// toArticle maps one entry to an article at the time now. firstSeen, when
// set, dates an entry that is undated, or dated later than firstSeen (in the
// future when it was first seen); an update date in the future is ignored.
// An untitled entry is titled by the start of its text (its first sentence,
// or its first words). The caller normalises and validates the article.
func toArticle(e *entry, source string, base *url.URL, firstSeen, now time.Time) news.Article {
	it := e.it
	a := news.Article{
		ID:     e.id,
		Title:  truncate(plainText(it.Title), news.MaxTitleLen),
		URL:    e.link,
		Image:  itemImage(base, e.link, it),
		Source: source,
		Flash:  true,
	}
	summary := plainText(it.Description)
	if summary == "" {
		summary = plainText(it.Content)
	}
	if summary == "" {
		summary = plainText(mediaDescription(it))
	}
	if a.Title == "" {
		a.Title = firstSentence(summary, untitledLen)
	}
	a.Summary = truncate(summary, news.MaxSummaryLen)
	a.Body = paragraphs(it.Content, news.MaxParagraphs, news.MaxParagraphLen)
	for _, c := range it.Categories {
		if c = truncate(plainText(c), news.MaxCategoryLen); c != "" {
			a.Category = c
			break
		}
	}
	// Whole seconds in UTC, so a store that keeps seconds sees an unchanged
	// entry as equal.
	published := e.published
	if !firstSeen.IsZero() && (published.IsZero() || published.After(firstSeen)) {
		published = firstSeen
	}
	a.PublishedAt = published.UTC().Truncate(time.Second)
	a.UpdatedAt = a.PublishedAt
	if u := e.updated; !u.IsZero() && u.After(a.PublishedAt) && !u.After(now) {
		a.UpdatedAt = u.UTC().Truncate(time.Second)
	}
	return a
}
