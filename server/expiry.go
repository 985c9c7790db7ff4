package server

import (
	"context"
	"net/http"
	"time"

	"newswidget/app/news"
)

// The flash lifecycle's expiry (issue #16). An article past its expires_at
// is out of every public surface: the store's listings leave it out (the
// API, the widget pages, the feeds, the sitemap), and the public article
// API and page answer 404 for it. Every open widget drops it by an event:
// at the next expiry a timer here has the store log a delete event for it
// (news.Store.Expire, which logs each expiry once however many nodes ask),
// which the pump fans out and replay serves as the article's latest event,
// so a widget asleep, or resuming with Last-Event-ID, drops it too. The
// store keeps the article for its editors, and a write that sets it again
// arms its expiry anew.

// expiry is the state of the expiry timer.
type expiry struct {
	rearm chan struct{} // a write may have set an earlier expiry: look again
	done  chan struct{}
}

// expiryCheck is the longest the timer sleeps with no expiry in sight; it
// also covers a clock that jumped and a notification that was missed.
const expiryCheck = time.Minute

// expiryRetry is how soon a failed Expire is tried again.
const expiryRetry = 5 * time.Second

// startExpiry starts the expiry timer; Close stops it.
func (s *Server) startExpiry() {
	s.expiry = expiry{rearm: make(chan struct{}, 1), done: make(chan struct{})}
	go s.expireLoop()
}

// stopExpiry waits for the timer, once s.ctx is canceled.
func (s *Server) stopExpiry() {
	if s.expiry.done != nil {
		<-s.expiry.done
	}
}

// rearmExpiry tells the timer that the articles changed.
func (s *Server) rearmExpiry() {
	select {
	case s.expiry.rearm <- struct{}{}:
	default:
	}
}

// expireLoop logs the expiries as they come: at once, then at the next
// expiry the store names, or sooner when a write re-arms it.
func (s *Server) expireLoop() {
	defer close(s.expiry.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	failing := false
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-timer.C:
		case <-s.expiry.rearm:
		}
		ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
		evs, next, err := s.store.Expire(ctx, time.Now())
		cancel()
		wait := expiryCheck
		switch {
		case err != nil && s.ctx.Err() != nil:
			return
		case err != nil:
			if !failing {
				s.log.Warn("logging the expiry of articles failed; widgets drop them by their own clocks meanwhile", "err", err)
			}
			failing, wait = true, expiryRetry
		default:
			failing = false
			if len(evs) > 0 {
				s.changed(evs[len(evs)-1].Seq)
			}
			if !next.IsZero() {
				wait = min(wait, time.Until(next))
			}
		}
		timer.Reset(max(wait, 0))
	}
}

// expiredError is the public answer for an article past its expiry: as if
// there were none.
func expiredError(id string) error {
	return news.Errorf(news.ENotFound, "no article has the id %q", id)
}

// editorArticle answers GET /api/articles/{id} for an expired article when
// the request carries publishing credentials (a token, or a session
// cookie): editors still read what they expired, uncached and private. A
// request with no credentials at all gets the public 404 without counting
// as a failed sign-in.
func (s *Server) editorArticle(w http.ResponseWriter, r *http.Request, id string) (bool, error) {
	if r.Header.Get("Authorization") == "" && len(r.Cookies()) == 0 || s.authorize(r) != nil {
		return false, nil
	}
	a, err := s.store.Article(r.Context(), id)
	if err != nil {
		return false, err
	}
	w.Header().Set("Cache-Control", "private, no-store")
	s.writeJSON(w, http.StatusOK, news.NonNilBody(a))
	return true, nil
}
