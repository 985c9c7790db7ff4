package hub_test

import (
	"strings"
	"sync/atomic"
	"testing"

	"newswidget/app/news"
	"newswidget/server/hub"
)

// gauge counts like a Prometheus gauge.
type gauge struct{ n atomic.Int64 }

func (g *gauge) Inc() { g.n.Add(1) }
func (g *gauge) Dec() { g.n.Add(-1) }

func TestEncode(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   news.Event
		want string
	}{
		{"article", news.Event{Seq: 7, Type: news.EventArticle, Article: news.Article{ID: "a1", Title: "T"}},
			"id: 7\nevent: article\ndata: {\"id\":\"a1\",\"title\":\"T\",\"summary\":\"\",\"body\":[],"},
		{"delete carries the id alone", news.Event{Seq: 8, Type: news.EventDelete, Article: news.Article{ID: "a1", Title: "secret"}},
			"id: 8\nevent: delete\ndata: {\"id\":\"a1\"}\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := hub.Encode(tc.ev)
			if got := string(f.Data); !strings.HasPrefix(got, tc.want) || !strings.HasSuffix(got, "\n\n") {
				t.Errorf("got %q, want it to start with %q and end the message", got, tc.want)
			}
			if f.Seq != tc.ev.Seq {
				t.Errorf("Seq: got %d, want %d", f.Seq, tc.ev.Seq)
			}
		})
	}
}

// A subscriber that does not read is dropped once its buffer is full, and
// the others still get every frame: a send never waits.
func TestSlowSubscriberDropped(t *testing.T) {
	g := &gauge{}
	h := hub.New(2, g)
	slow, fast := h.Subscribe(), h.Subscribe()
	if got := g.n.Load(); got != 2 {
		t.Fatalf("gauge: got %d, want 2", got)
	}
	for i := range 5 {
		h.Publish(hub.Encode(news.Event{Seq: int64(i + 1), Type: news.EventDelete, Article: news.Article{ID: "x"}}))
		if f := <-fast; f.Seq != int64(i+1) {
			t.Fatalf("fast subscriber: got seq %d, want %d", f.Seq, i+1)
		}
	}
	got := 0
	for range slow {
		got++
	}
	if got != 2 {
		t.Errorf("slow subscriber: got %d frames before its channel closed, want its buffer of 2", got)
	}
	if h.Len() != 1 || g.n.Load() != 1 {
		t.Errorf("after the drop: Len %d, gauge %d, want 1 and 1", h.Len(), g.n.Load())
	}
	h.Unsubscribe(slow) // already gone: harmless
	h.Close()
	if _, ok := <-fast; ok {
		t.Errorf("Close left a subscriber open")
	}
	if c := h.Subscribe(); func() bool { _, ok := <-c; return ok }() {
		t.Errorf("Subscribe after Close: got an open channel")
	}
	if g.n.Load() != 0 {
		t.Errorf("gauge after Close: got %d, want 0", g.n.Load())
	}
}
