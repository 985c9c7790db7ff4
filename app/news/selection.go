package news

import (
	"strings"
	"time"
)

// Bounds on what a widget keeps, because Go wasm never returns memory to
// the browser.
const (
	// MaxTickerItems is the most flash articles a ticker shows.
	MaxTickerItems = 20
	// MaxKept is the most articles Apply keeps.
	MaxKept = 100
)

// Select picks, from articles sorted newest first, the ticker's flash items
// and the list's items for a configuration at the instant now: the pinned
// ones first (newest first among them), then the others, leaving out those
// expired at now.
func Select(all []Article, cfg Config, now time.Time) (ticker, list []Article) {
	for _, pinned := range [2]bool{true, false} {
		for _, a := range all {
			if a.Pinned != pinned || a.Expired(now) || cfg.Category != "" && !strings.EqualFold(a.Category, cfg.Category) {
				continue
			}
			if a.Flash && len(ticker) < MaxTickerItems {
				ticker = append(ticker, a)
			}
			if len(list) < cfg.Limit {
				list = append(list, a)
			}
		}
	}
	return ticker, list
}

// NextExpiry returns the earliest expiry after now among articles, zero if
// none: when what Select picks changes next by itself.
func NextExpiry(all []Article, now time.Time) time.Time {
	var next time.Time
	for _, a := range all {
		if e := a.ExpiresAt; e.After(now) && (next.IsZero() || e.Before(next)) {
			next = e
		}
	}
	return next
}

// Keep returns the union of what Select picks at now, newest first: what a
// page embeds for its widget and what the widget holds in memory.
func Keep(all []Article, cfg Config, now time.Time) []Article {
	ticker, list := Select(all, cfg, now)
	seen := make(map[string]bool, len(ticker)+len(list))
	out := make([]Article, 0, len(ticker)+len(list))
	for _, l := range [][]Article{list, ticker} {
		for _, a := range l {
			if !seen[a.ID] {
				seen[a.ID] = true
				out = append(out, a)
			}
		}
	}
	SortNewest(out)
	return out
}

// Apply returns articles changed by one event, sorted newest first and
// bounded to MaxKept, pinned ones kept before older ones are.
func Apply(articles []Article, ev Event) []Article {
	out := make([]Article, 0, len(articles)+1)
	for _, a := range articles {
		if a.ID != ev.Article.ID {
			out = append(out, a)
		}
	}
	if ev.Type == EventArticle {
		out = append(out, ev.Article)
	}
	SortNewest(out)
	if len(out) > MaxKept {
		// the pinned first, each part still newest first, then cut
		kept := make([]Article, 0, len(out))
		for _, pinned := range [2]bool{true, false} {
			for _, a := range out {
				if a.Pinned == pinned {
					kept = append(kept, a)
				}
			}
		}
		out = kept[:MaxKept]
		SortNewest(out)
	}
	return out
}

// SortNewest sorts articles newest first in place, by insertion, since the
// lists are short and mostly sorted and package sort would grow the wasm.
func SortNewest(l []Article) {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && Before(l[j], l[j-1]); j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
}
