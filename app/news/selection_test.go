package news_test

import (
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
)

func article(id string, minutes int, flash bool) news.Article {
	t := time.Date(2023, 11, 27, 12, 0, 0, 0, time.UTC).Add(time.Duration(minutes) * time.Minute)
	return news.Article{ID: id, Title: "Title " + id, Category: "World", Flash: flash, PublishedAt: t, UpdatedAt: t}
}

func TestSelect(t *testing.T) {
	all := []news.Article{article("a", 5, true), article("b", 4, false), article("c", 3, true), article("d", 2, false)}
	all[3].Category = "Sport"
	cfg := news.DefaultConfig()
	cfg.Limit = 2
	ticker, list := news.Select(all, cfg, time.Time{})
	if got := ids(ticker); got != "a,c" {
		t.Errorf("ticker: got %s, want a,c", got)
	}
	if got := ids(list); got != "a,b" {
		t.Errorf("list: got %s, want a,b", got)
	}
	cfg.Category = "sport"
	if _, list := news.Select(all, cfg, time.Time{}); ids(list) != "d" {
		t.Errorf("category list: got %s, want d", ids(list))
	}
}

func TestApply(t *testing.T) {
	list := []news.Article{article("a", 2, true), article("b", 1, false)}
	list = news.Apply(list, news.Event{Seq: 3, Type: news.EventArticle, Article: article("c", 3, true)})
	if got := ids(list); got != "c,a,b" {
		t.Fatalf("after create: %s, want c,a,b", got)
	}
	changed := article("a", 2, true)
	changed.Title = "Changed"
	list = news.Apply(list, news.Event{Seq: 4, Type: news.EventArticle, Article: changed})
	if got := ids(list); got != "c,a,b" || list[1].Title != "Changed" {
		t.Fatalf("after update: %s %q, want c,a,b with a changed in place", got, list[1].Title)
	}
	list = news.Apply(list, news.Event{Seq: 5, Type: news.EventDelete, Article: news.Article{ID: "c"}})
	if got := ids(list); got != "a,b" {
		t.Fatalf("after delete: %s, want a,b", got)
	}
	for i := 0; i < news.MaxKept+20; i++ {
		list = news.Apply(list, news.Event{Type: news.EventArticle, Article: article("n"+string(rune('a'+i%26))+string(rune('a'+i/26)), 10+i, false)})
	}
	if len(list) != news.MaxKept {
		t.Errorf("kept %d articles, want the bound %d", len(list), news.MaxKept)
	}
}

func TestKeep(t *testing.T) {
	all := []news.Article{article("a", 5, false), article("b", 4, true), article("c", 3, false), article("d", 2, true)}
	cfg := news.DefaultConfig()
	cfg.Limit = 1
	if got := ids(news.Keep(all, cfg, time.Time{})); got != "a,b,d" {
		t.Errorf("kept %s, want the list's a and the ticker's b,d, newest first", got)
	}
}

func ids(l []news.Article) string {
	var s []string
	for _, a := range l {
		s = append(s, a.ID)
	}
	return strings.Join(s, ",")
}
