package server

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"newswidget/app/news"
	"newswidget/server/assets"
)

// catalog caches what readers ask for most, tied to the store's event
// sequence: the articles a widget shows, and API responses encoded once
// with their strong ETags. Every event clears it; between events every read
// is served from memory, and it keeps serving if the store stops answering.
type catalog struct {
	store news.Store

	mu        sync.Mutex
	seq       int64
	latest    map[string][]news.Article // by lower-cased category, "" for all
	responses map[string]*encoded       // by canonical query
}

// encoded is a response body with its ETag.
type encoded = assets.Entity

// maxCached bounds each map, whose keys come from readers' queries.
const maxCached = 1024

func newCatalog(store news.Store) *catalog {
	return &catalog{store: store, latest: map[string][]news.Article{}, responses: map[string]*encoded{}}
}

// setSeq moves the catalog forward to a newer sequence, dropping what it
// cached; an older one (the pump catching up with a write that a handler
// already reported) changes nothing.
func (c *catalog) setSeq(seq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq > c.seq {
		c.seq = seq
		clear(c.latest)
		clear(c.responses)
	}
}

func (c *catalog) currentSeq() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq
}

// get returns the cached value of key, or computes and caches it unless the
// sequence moved meanwhile.
func cached[V any](c *catalog, m map[string]V, key string, compute func() (V, error)) (V, int64, error) {
	c.mu.Lock()
	v, ok := m[key]
	seq := c.seq
	c.mu.Unlock()
	if ok {
		return v, seq, nil
	}
	v, err := compute()
	if err != nil {
		return v, seq, err
	}
	c.mu.Lock()
	if c.seq == seq {
		if len(m) >= maxCached {
			clear(m)
		}
		m[key] = v
	}
	c.mu.Unlock()
	return v, seq, nil
}

// Latest returns the newest articles a widget of the category may show:
// the newest list items and the newest flash items.
func (c *catalog) Latest(category string) ([]news.Article, int64, error) {
	return cached(c, c.latest, strings.ToLower(category), func() ([]news.Article, error) {
		ctx := context.Background()
		list, _, err := c.store.Articles(ctx, news.ArticleFilter{Limit: news.MaxListLimit, Category: category})
		if err != nil {
			return nil, err
		}
		flash := true
		ticker, _, err := c.store.Articles(ctx, news.ArticleFilter{Limit: news.MaxTickerItems, Category: category, Flash: &flash})
		if err != nil {
			return nil, err
		}
		// the pinned, however old, come first in both (news.Select)
		pinned, _, err := c.store.Articles(ctx, news.ArticleFilter{Limit: news.MaxListLimit, Category: category, Pinned: new(true)})
		if err != nil {
			return nil, err
		}
		kept := news.Keep(slices.Concat(list, ticker, pinned), news.Config{Limit: news.MaxListLimit, Category: category}, time.Now())
		// The ticker and the list show no bodies: without them the pages
		// embed less and the wasm decodes less before its first render.
		for i := range kept {
			kept[i].Body = nil
		}
		return kept, nil
	})
}

// list returns the encoded API response for a listing.
func (c *catalog) list(ctx context.Context, f news.ArticleFilter) (*encoded, error) {
	key := strconv.Itoa(f.Limit) + "|" + f.Category + "|" + f.Before.String() + "|"
	if f.Flash != nil {
		key += strconv.FormatBool(*f.Flash)
	}
	e, _, err := cached(c, c.responses, key, func() (*encoded, error) {
		list, next, err := c.store.Articles(ctx, f)
		if err != nil {
			return nil, err
		}
		return encode(struct {
			Articles []news.Article `json:"articles"`
			Next     string         `json:"next"`
		}{nonNil(list), next.String()})
	})
	return e, err
}

// article returns the encoded API response for one article.
func (c *catalog) article(ctx context.Context, id string) (*encoded, error) {
	e, _, err := cached(c, c.responses, "id|"+id, func() (*encoded, error) {
		a, err := c.store.Article(ctx, id)
		if err == nil && a.Expired(time.Now()) {
			err = expiredError(id)
		}
		if err != nil {
			return nil, err
		}
		return encode(news.NonNilBody(a))
	})
	return e, err
}

func encode(v any) (*encoded, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	return &encoded{Body: b, ETag: assets.ETagOf(b)}, nil
}

func nonNil(l []news.Article) []news.Article {
	if l == nil {
		return []news.Article{}
	}
	for i := range l {
		l[i] = news.NonNilBody(l[i])
	}
	return l
}

// source adapts the catalog to the UI's Source for the prerender.
type source struct{ c *catalog }

func (s source) Latest(category string) ([]news.Article, int64) {
	l, seq, err := s.c.Latest(category)
	if err != nil {
		return nil, seq
	}
	return l, seq
}

func (s source) Article(id string) (news.Article, bool) {
	a, err := s.c.store.Article(context.Background(), id)
	return a, err == nil && !a.Expired(time.Now())
}

// current is the server whose catalog go-app's global routes read.
var current atomic.Pointer[Server]

// serverSource is the UI's Source on the server.
type serverSource struct{}

func (serverSource) Latest(category string) ([]news.Article, int64) {
	return source{current.Load().catalog}.Latest(category)
}

func (serverSource) Article(id string) (news.Article, bool) {
	return source{current.Load().catalog}.Article(id)
}
