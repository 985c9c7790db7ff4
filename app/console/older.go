package console

import (
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
)

// maxPages bounds the pages of articles the console holds (Go's wasm never
// gives memory back): 20 pages of 50, a day of even a busy newsroom.
const maxPages = 20

// listingPath is the path of the listing's page after the cursor before
// ("": the first page).
func listingPath(before string) string {
	if before == "" {
		return "/api/newsroom"
	}
	return "/api/newsroom?before=" + url.QueryEscape(before)
}

// merge adds the articles of page that acc lacks (by id) after acc's, and
// page's editors; acc takes page's user and next cursor.
func merge(acc, page Listing) Listing {
	have := make(map[string]bool, len(acc.Articles)+len(page.Articles))
	for _, a := range acc.Articles {
		have[a.ID] = true
	}
	out := append([]news.Article(nil), acc.Articles...)
	for _, a := range page.Articles {
		if !have[a.ID] {
			have[a.ID] = true
			out = append(out, a)
		}
	}
	editors := make(map[string]string, len(acc.Editors)+len(page.Editors))
	for _, m := range []map[string]string{acc.Editors, page.Editors} {
		for id, name := range m {
			editors[id] = name
		}
	}
	return Listing{User: page.User, Articles: out, Editors: editors, Next: page.Next}
}

// reaches reports whether a reload that has fetched pages pages into acc
// must fetch the next one to reach floor, the oldest article shown before
// it (nil: only the first page was shown).
func reaches(floor *news.Article, acc Listing, pages int) bool {
	if floor == nil || acc.Next == "" || pages >= maxPages || len(acc.Articles) == 0 {
		return false
	}
	return news.Before(acc.Articles[len(acc.Articles)-1], *floor)
}

// reload fetches the listing again. One listing request runs at a time: a
// reload asked for while one runs (a burst of events) runs once after it,
// and so does a press of "Show older articles".
//
// The older pages an editor opened survive a reload: it fetches the first
// page, then the following ones until it reaches the oldest article shown
// before. Re-fetched rather than kept as they were, since the event stream
// says that something changed, not what: a kept page would go on showing
// an article retracted or corrected meanwhile. Reached by position rather
// than by a count of pages, so that a burst of new articles does not push
// the old one an editor is correcting off the end of the list. The cost is
// a request per page shown, per reload.
func (c *Console) reload(ctx app.Context) {
	if c.fetching {
		c.reloadAgain = true
		return
	}
	c.fetching = true
	var floor *news.Article
	if c.pages > 1 && len(c.articles) > 0 {
		oldest := c.articles[len(c.articles)-1]
		floor = &oldest
	}
	c.fetchPages(floor, Listing{}, "", 0)
}

// fetchPages fetches the page after before into acc, and the next ones
// while floor is not reached, then takes the listing; a page that fails
// leaves the list as it was.
func (c *Console) fetchPages(floor *news.Article, acc Listing, before string, pages int) {
	c.api.Do("GET", listingPath(before), nil, func(status int, body []byte, err error) {
		c.dispatch(func(ctx app.Context) {
			var l Listing
			ok := err == nil && status == 200 && json.Unmarshal(body, &l) == nil
			if ok {
				acc, pages = merge(acc, l), pages+1
				if reaches(floor, acc, pages) {
					c.fetchPages(floor, acc, acc.Next, pages)
					return
				}
			}
			c.reloaded(status, err, ok, acc, pages)
			c.fetched(ctx)
		})
	})
}

// reloaded takes a reload's answer: the listing of pages pages when ok.
func (c *Console) reloaded(status int, err error, ok bool, l Listing, pages int) {
	c.checked = true
	c.now = time.Now()
	switch {
	case err != nil:
		c.status = "The server cannot be reached; retrying when it is back."
	case status == 401 || status == 403:
		c.user, c.view = User{}, viewArticles
	case ok:
		wasOut := c.user.Name == ""
		c.loaded(l)
		c.pages = pages
		if wasOut && c.user.Name != "" { // just signed in, keyboard first: straight to the headline
			c.focus("nr-title")
		}
	}
}

// fetched runs what was asked for while a listing request ran: the press
// of "Show older articles" first, then the reload.
func (c *Console) fetched(ctx app.Context) {
	c.fetching = false
	switch {
	case c.olderAgain:
		c.olderAgain = false
		c.older()
	case c.reloadAgain:
		c.reloadAgain = false
		c.reload(ctx)
	}
}

// onOlder shows the next page of older articles.
func (c *Console) onOlder(ctx app.Context, e app.Event) {
	c.older()
}

// older fetches the page after the articles shown and appends it.
func (c *Console) older() {
	if c.next == "" || c.pages >= maxPages {
		return
	}
	if c.fetching {
		c.olderAgain = true
		return
	}
	c.fetching = true
	c.api.Do("GET", listingPath(c.next), nil, func(status int, body []byte, err error) {
		c.dispatch(func(ctx app.Context) {
			c.olderLoaded(status, body, err)
			c.fetched(ctx)
		})
	})
}

// olderLoaded appends a page of older articles, announces it and moves the
// focus to the first one the filters show, else to the button for more.
func (c *Console) olderLoaded(status int, body []byte, err error) {
	var l Listing
	switch {
	case err != nil:
		c.status = "The server cannot be reached; try again when it is back."
		return
	case status == 401 || status == 403:
		c.user, c.view = User{}, viewArticles
		c.signError = "Your session has ended; sign in again."
		return
	case status != 200:
		_, msg := readError(status, body)
		c.status = msg
		return
	case json.Unmarshal(body, &l) != nil:
		c.status = "The older articles could not be read; try again."
		return
	}
	shown := len(c.articles)
	m := merge(Listing{User: c.user, Articles: c.articles, Editors: c.editors}, l)
	c.articles, c.editors, c.next = m.Articles, m.Editors, m.Next
	c.pages = max(c.pages, 1) + 1
	added := c.articles[shown:]
	c.status = strconv.Itoa(len(added)) + " older articles shown."
	if c.next == "" {
		c.status += " There are no older ones."
	}
	visible := map[string]bool{}
	for _, a := range c.filtered() {
		visible[a.ID] = true
	}
	for _, a := range added {
		if visible[a.ID] {
			c.focus(openID(a.ID))
			return
		}
	}
	if c.showsOlder() {
		c.focus("nr-older")
	}
}

// showsOlder reports whether the list offers "Show older articles".
func (c *Console) showsOlder() bool { return c.next != "" && c.pages < maxPages }

// openID is the id of the button that opens an article in the form.
func openID(id string) string { return "nr-open-" + id }

// renderOlder is the button under the list that shows older articles while
// there are some, and a word when the console holds all it may.
func (c *Console) renderOlder() app.UI {
	switch {
	case c.showsOlder():
		return app.Elem("button").ID("nr-older").Attr("type", "button").Class("nr-older").
			OnClick(c.onOlder).Text("Show older articles")
	case c.next != "":
		return app.Elem("p").Class("nr-hint", "nr-older").
			Text("The console holds the newest " + strconv.Itoa(maxPages*news.MaxListLimit) + " articles.")
	}
	return nil
}
