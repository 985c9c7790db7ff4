package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"newswidget/app/news"
)

// articleID is the id of a feed entry: "f" and 20 hex digits of a hash of
// the feed URL and the entry's GUID, else link, else title, so the same
// entry keeps its id across polls and feeds cannot collide.
func articleID(feedURL string, it *gofeed.Item) string {
	key := strings.TrimSpace(it.GUID)
	if key == "" {
		key = strings.TrimSpace(it.Link)
	}
	if key == "" {
		key = strings.TrimSpace(it.Title)
	}
	sum := sha256.Sum256([]byte(feedURL + "\n" + key))
	return "f" + hex.EncodeToString(sum[:])[:20]
}

// itemTime is when the entry says it was published, else updated; zero if
// it says neither.
func itemTime(it *gofeed.Item) time.Time {
	switch {
	case it.PublishedParsed != nil:
		return *it.PublishedParsed
	case it.UpdatedParsed != nil:
		return *it.UpdatedParsed
	}
	return time.Time{}
}

// newest orders entries newest first, dedups them by id (the first, newest,
// wins) and keeps at most max. Undated entries count as newest, since they
// are dated by when they are first seen.
func newest(feedURL string, items []*gofeed.Item, max int) ([]*gofeed.Item, []string) {
	items = slices.DeleteFunc(slices.Clone(items), func(it *gofeed.Item) bool { return it == nil })
	slices.SortStableFunc(items, func(a, b *gofeed.Item) int {
		ta, tb := itemTime(a), itemTime(b)
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
	seen := make(map[string]bool, len(items))
	var out []*gofeed.Item
	var ids []string
	for _, it := range items {
		id := articleID(feedURL, it)
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, it)
		ids = append(ids, id)
		if len(out) == max {
			break
		}
	}
	return out, ids
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

// itemImage is the entry's image or its first image enclosure that is a web URL.
func itemImage(base *url.URL, it *gofeed.Item) string {
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

// toArticle maps one entry to an article at the time now. firstSeen, when
// set, dates an entry that is undated, or dated later than firstSeen (in the
// future when it was first seen); an update date in the future is ignored.
// The caller normalises and validates the article.
func toArticle(id, source string, base *url.URL, it *gofeed.Item, firstSeen, now time.Time) news.Article {
	a := news.Article{
		ID:     id,
		Title:  truncate(plainText(it.Title), news.MaxTitleLen),
		URL:    webURL(base, it.Link),
		Image:  itemImage(base, it),
		Source: source,
		Flash:  true,
	}
	summary := it.Description
	if strings.TrimSpace(summary) == "" {
		summary = it.Content
	}
	a.Summary = truncate(plainText(summary), news.MaxSummaryLen)
	a.Body = paragraphs(it.Content, news.MaxParagraphs, news.MaxParagraphLen)
	for _, c := range it.Categories {
		if c = truncate(plainText(c), news.MaxCategoryLen); c != "" {
			a.Category = c
			break
		}
	}
	// Whole seconds in UTC, so a store that keeps seconds sees an unchanged
	// entry as equal.
	published := itemTime(it)
	if !firstSeen.IsZero() && (published.IsZero() || published.After(firstSeen)) {
		published = firstSeen
	}
	a.PublishedAt = published.UTC().Truncate(time.Second)
	a.UpdatedAt = a.PublishedAt
	if u := it.UpdatedParsed; u != nil && u.After(a.PublishedAt) && !u.After(now) {
		a.UpdatedAt = u.UTC().Truncate(time.Second)
	}
	return a
}
