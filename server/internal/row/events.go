package row

import (
	"errors"
	"fmt"

	"newswidget/app/news"
)

// The event log keeps no article text: a row is (seq, type, article_id),
// and EventsSince serves, for every article changed after a sequence, its
// latest event only, an "article" one carrying the article as it is now.
// Replay thus serves current state, never history, and a deleted article's
// text is nowhere but in the row the delete removed.

// HeadsQuery selects, in sequence order, the latest event of every article
// whose latest event comes after the first argument: the rows EventsSince
// serves. With limited, a second argument caps how many. ph makes the
// placeholder of the nth argument ("?" or "$n"). The probe for a later event
// of the same article runs on the index (article_id, seq).
func HeadsQuery(ph func(n int) string, limited bool) string {
	q := `SELECT seq, type, article_id FROM events AS e
		WHERE seq > ` + ph(1) + ` AND NOT EXISTS (
			SELECT 1 FROM events AS later WHERE later.article_id = e.article_id AND later.seq > e.seq)
		ORDER BY seq`
	if limited {
		q += ` LIMIT ` + ph(2)
	}
	return q
}

// Head is one row of HeadsQuery, its text columns nullable so that a
// damaged row is reported as such rather than failing the scan.
type Head struct {
	Seq      int64
	Type, ID *string
}

// ScanHead reads a row of HeadsQuery.
func ScanHead(r Scanner) (Head, error) {
	var h Head
	err := r.Scan(&h.Seq, &h.Type, &h.ID)
	return h, err
}

// ArticleIDs returns the ids of the heads whose event is an article's,
// whose current rows EventsSince must read.
func ArticleIDs(heads []Head) []string {
	var ids []string
	for _, h := range heads {
		if h.Type != nil && *h.Type == string(news.EventArticle) && h.ID != nil {
			ids = append(ids, *h.ID)
		}
	}
	return ids
}

// Events turns heads into events, in order: an article event carries the
// article from found, a delete only the id. At the first head that cannot
// be served -- an unknown type, no id, an article that is unreadable (in
// bad) or missing although its latest event says it exists -- it returns
// the events before it and a *DamagedEvent naming it.
func Events(heads []Head, found map[string]news.Article, bad map[string]error) ([]news.Event, error) {
	evs := make([]news.Event, 0, len(heads))
	for _, h := range heads {
		if h.ID == nil || *h.ID == "" {
			return evs, &DamagedEvent{Seq: h.Seq, Err: errors.New("it names no article")}
		}
		id := *h.ID
		switch typ := news.EventType(deref(h.Type)); typ {
		case news.EventDelete:
			evs = append(evs, news.Event{Seq: h.Seq, Type: typ, Article: news.Article{ID: id}})
		case news.EventArticle:
			if err := bad[id]; err != nil {
				return evs, &DamagedEvent{Seq: h.Seq, Err: err}
			}
			a, ok := found[id]
			if !ok {
				return evs, &DamagedEvent{Seq: h.Seq, Err: fmt.Errorf("article %q has no row", id)}
			}
			evs = append(evs, news.Event{Seq: h.Seq, Type: typ, Article: a})
		default:
			return evs, &DamagedEvent{Seq: h.Seq, Err: fmt.Errorf("unknown event type %q", typ)}
		}
	}
	return evs, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// DamagedEvent is the error EventsSince returns, with the events before it,
// when it meets an event it cannot read, so that the caller can report it
// and read on after it instead of stopping there for good.
type DamagedEvent struct {
	Seq int64
	Err error
}

// Error says which event is damaged and how.
func (e *DamagedEvent) Error() string { return fmt.Sprintf("event %d is damaged: %v", e.Seq, e.Err) }

// Unwrap returns the cause.
func (e *DamagedEvent) Unwrap() error { return e.Err }

// DamagedSeq returns the sequence of the unreadable event: the method by
// which callers, which know no store package, recognise the error.
func (e *DamagedEvent) DamagedSeq() int64 { return e.Seq }
