package feed_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server/feed"
	"newswidget/server/sqlite"
)

// corpusCase is one class of odd feed in testdata/corpus/expected.json: its
// feeds (each a list of files served on successive polls) and the articles
// the store must hold after the last poll.
type corpusCase struct {
	Name    string        `json:"name"`
	Feeds   [][]string    `json:"feeds"`
	Entries []corpusEntry `json:"entries"`
}

// corpusEntry is one expected article. Date is RFC 3339, or "????-" and the
// rest for a date written without a year (the latest year that does not put
// it more than a day ahead). Summary, when set, is the whole expected
// summary; Category likewise.
type corpusEntry struct {
	Title    string `json:"title"`
	Link     string `json:"link"`
	Date     string `json:"date"`
	Image    string `json:"image"`
	Summary  string `json:"summary"`
	Category string `json:"category"`
}

// fidelity counts matches per field across the corpus.
type fidelity struct {
	entries, titles, links, dates, images, summaries, summariesWanted, cutAtWord, cuts, expected, extra int
}

func pct(n, d int) string {
	if d == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%d/%d (%.1f%%)", n, d, 100*float64(n)/float64(d))
}

// TestCorpus ingests every feed of testdata/corpus through the real Poller,
// from an httptest server into a SQLite store, compares the stored articles
// entry by entry with expected.json, prints the fidelity figures and fails
// below 100%.
func TestCorpus(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "corpus", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []corpusCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var total fidelity
	for _, c := range doc.Cases {
		t.Run(c.Name, func(t *testing.T) {
			f := runCorpusCase(t, c)
			total.entries += f.entries
			total.titles += f.titles
			total.links += f.links
			total.dates += f.dates
			total.images += f.images
			total.summaries += f.summaries
			total.summariesWanted += f.summariesWanted
			total.cutAtWord += f.cutAtWord
			total.cuts += f.cuts
			total.expected += f.expected
			total.extra += f.extra
		})
	}
	n := total.expected
	t.Logf("feed corpus fidelity: %d classes; entries %s, titles %s, links %s, dates %s, images %s, summaries %s, "+
		"truncated summaries cut at a word %s, extra articles %d",
		len(doc.Cases), pct(total.entries, n), pct(total.titles, n), pct(total.links, n), pct(total.dates, n),
		pct(total.images, n), pct(total.summaries, total.summariesWanted), pct(total.cutAtWord, total.cuts), total.extra)
	if total.entries != n || total.titles != n || total.links != n || total.dates != n || total.images != n ||
		total.summaries != total.summariesWanted || total.cutAtWord != total.cuts || total.extra != 0 {
		t.Errorf("fidelity below 100%% on the project's own corpus")
	}
}

// runCorpusCase serves a case's feeds, polls them once per version, and
// compares the store with the expected entries.
func runCorpusCase(t *testing.T, c corpusCase) fidelity {
	store, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	var round atomic.Int64
	var urls []string
	rounds := 0
	for i, files := range c.Feeds {
		rounds = max(rounds, len(files))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Later feeds answer later, so which feed carries a shared
			// entry first is the same on every run.
			time.Sleep(time.Duration(i) * 150 * time.Millisecond)
			name := files[min(int(round.Load()), len(files)-1)]
			b, err := os.ReadFile(filepath.Join("testdata", "corpus", name))
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			ct := "application/xml"
			if strings.HasSuffix(name, ".json") {
				ct = "application/feed+json"
			}
			w.Header().Set("Content-Type", ct)
			w.Write(b)
		}))
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL+"/"+files[0])
	}
	p := feed.NewPoller(feed.Options{Store: store, URLs: urls, Timeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	start := time.Now()
	for r := range rounds {
		round.Store(int64(r))
		p.PollOnce(t.Context())
	}
	for _, st := range p.Status() {
		if st.LastError != "" {
			t.Errorf("feed %s failed: %s", st.URL, st.LastError)
		}
	}
	list, _, err := store.Articles(t.Context(), news.ArticleFilter{Limit: news.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}

	f := fidelity{expected: len(c.Entries)}
	used := make([]bool, len(list))
	for _, want := range c.Entries {
		wantDate := corpusDate(t, want.Date, start)
		best, bestScore := -1, -1
		for i, a := range list {
			if used[i] {
				continue
			}
			score := 0
			for _, ok := range []bool{a.Title == want.Title, a.URL == want.Link, a.PublishedAt.Equal(wantDate), a.Image == want.Image} {
				if ok {
					score++
				}
			}
			if score > bestScore {
				best, bestScore = i, score
			}
		}
		if best < 0 || bestScore == 0 {
			t.Errorf("missing entry %+v", want)
			continue
		}
		used[best] = true
		a := list[best]
		f.entries++
		check := func(n *int, field string, ok bool, got, exp any) {
			if ok {
				*n++
			} else {
				t.Errorf("entry %q: %s = %q, want %q", want.Title, field, got, exp)
			}
		}
		check(&f.titles, "title", a.Title == want.Title, a.Title, want.Title)
		check(&f.links, "link", a.URL == want.Link, a.URL, want.Link)
		check(&f.dates, "date", a.PublishedAt.Equal(wantDate), a.PublishedAt.Format(time.RFC3339), wantDate.Format(time.RFC3339))
		check(&f.images, "image", a.Image == want.Image, a.Image, want.Image)
		if want.Summary != "" {
			f.summariesWanted++
			check(&f.summaries, "summary", a.Summary == want.Summary, a.Summary, want.Summary)
		}
		if want.Category != "" && a.Category != want.Category {
			t.Errorf("entry %q: category = %q, want %q", want.Title, a.Category, want.Category)
		}
	}
	for i, a := range list {
		if strings.HasSuffix(a.Summary, "…") {
			f.cuts++
			if cutAtWord(a.Summary) {
				f.cutAtWord++
			} else {
				t.Errorf("summary of %q cut mid-word: …%q", a.Title, a.Summary[max(0, len(a.Summary)-40):])
			}
		}
		if !used[i] {
			f.extra++
			t.Errorf("unexpected article %q (%s)", a.Title, a.URL)
		}
	}
	return f
}

// cutAtWord reports whether a truncated text ends with a whole word of the
// corpus (the corpus's long texts repeat their words, so a whole last word
// appears elsewhere in the text followed by a space).
func cutAtWord(s string) bool {
	body := strings.TrimSuffix(s, "…")
	words := strings.Fields(body)
	if len(words) < 2 {
		return false
	}
	last := words[len(words)-1]
	return strings.Contains(body[:len(body)-len(last)], " "+last+" ") || strings.HasPrefix(body, last+" ")
}

// corpusDate reads an expected date; "????-MM-DDThh:mm:ssZ" takes the
// latest year that does not put it more than a day after now.
func corpusDate(t *testing.T, s string, now time.Time) time.Time {
	t.Helper()
	if rest, ok := strings.CutPrefix(s, "????"); ok {
		for y := now.Year(); ; y-- {
			d := date(fmt.Sprint(y) + rest)
			if !d.After(now.Add(24 * time.Hour)) {
				return d
			}
		}
	}
	return date(s)
}
