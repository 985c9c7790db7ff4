// Package seed is the embedded default content: the real article in
// flash-news-article.txt (a "Flash News" page with its headline, paragraphs,
// source and a "Latest news" section) and flash headlines written from that
// article's own facts, so a fresh server shows a working widget at once.
package seed

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"newswidget/app/news"
)

//go:embed flash-news-article.txt
var articleText string

//go:embed flash.json
var flashJSON []byte

// ArticleID is the id of the seed article.
const ArticleID = "nato-western-balkans-stability"

// Published is when the seed article appeared.
var Published = time.Date(2023, 11, 27, 12, 0, 0, 0, time.UTC)

// Articles returns the seed article and the flash headlines, each valid.
func Articles() ([]news.Article, error) {
	main, err := Parse(articleText)
	if err != nil {
		return nil, err
	}
	main.ID, main.Category, main.PublishedAt, main.UpdatedAt = ArticleID, "World", Published, Published
	var flashes []news.Article
	if err := json.Unmarshal(flashJSON, &flashes); err != nil {
		return nil, fmt.Errorf("seed flash.json: %w", err)
	}
	out := append([]news.Article{main}, flashes...)
	for i := range out {
		out[i].Normalize(Published)
		if err := out[i].Validate(); err != nil {
			return nil, fmt.Errorf("seed article %q: %w", out[i].ID, err)
		}
	}
	return out, nil
}

// Parse reads a page in the seed's shape: a "Flash News" header, the
// headline, a truncated repeat of it, the paragraphs (the last ending in
// "/SOURCE"), and a trailing "Latest news" heading.
func Parse(text string) (news.Article, error) {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > 0 && strings.EqualFold(lines[0], "Flash News") {
		lines = lines[1:]
	}
	if len(lines) > 0 {
		last := lines[len(lines)-1]
		if strings.EqualFold(last, "Latest news") {
			lines = lines[:len(lines)-1]
		} else if p, ok := strings.CutSuffix(last, "Latest news"); ok { // heading run into the last line
			lines[len(lines)-1] = strings.TrimSpace(p)
		}
	}
	if len(lines) < 2 {
		return news.Article{}, fmt.Errorf("seed: no headline and body")
	}
	a := news.Article{Title: lines[0]}
	body := lines[1:]
	if strings.HasPrefix(a.Title, body[0]) { // the page repeats the headline, cut short
		body = body[1:]
	}
	if n := len(body); n > 0 {
		if i := strings.LastIndex(body[n-1], "/"); i >= 0 && i > len(body[n-1])-12 {
			src := body[n-1][i+1:]
			if src != "" && strings.ToUpper(src) == src {
				a.Source = src
				body[n-1] = strings.TrimSpace(body[n-1][:i])
			}
		}
	}
	a.Body = body
	if len(body) > 0 {
		a.Summary = body[0]
	}
	return a, nil
}

// IfEmpty fills a store that has never had an event with the seed content.
// A store whose articles were all deleted has events, and stays empty. So
// does a store that cannot take writes (read-only, full): it serves what it
// has rather than stop the server from starting.
func IfEmpty(ctx context.Context, store news.Store) error {
	seq, err := store.LastSeq(ctx)
	if err != nil || seq > 0 {
		return err
	}
	articles, err := Articles()
	if err != nil {
		return err
	}
	for _, a := range articles {
		_, err := store.CreateArticle(ctx, a)
		switch news.ErrorCode(err) {
		case "", news.EConflict: // a conflict is another node seeding the same shared store at once
		case news.EUnavailable:
			return nil
		default:
			return fmt.Errorf("seeding: %w", err)
		}
	}
	return nil
}
