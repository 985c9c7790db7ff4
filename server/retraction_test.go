package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestEventsRetraction publishes an article, corrects it, then deletes it
// as a retraction: a replay from any position, the start included, serves
// nothing of its text, neither version, only its delete. (The log used to
// serve every version for good.)
func TestEventsRetraction(t *testing.T) {
	ts := newTestServer(t)
	before := ts.lastSeq(t)
	ts.publish(t, obj{"id": "takedown", "title": "Minister Wrongname arrested", "summary": "Wrongname was seen",
		"body": []string{"Wrongname, 52, was led away."}, "url": "https://example.com/wrongname", "flash": true})
	wantStatus(t, ts.do(t, http.MethodPut, "/api/articles/takedown",
		mustJSON(t, obj{"title": "Minister Wrongname questioned", "summary": "Wrongname was questioned"}), auth), http.StatusOK)
	other := ts.publish(t, obj{"id": "unrelated", "title": "Unrelated news"})
	wantStatus(t, ts.do(t, http.MethodDelete, "/api/articles/takedown", nil, auth), http.StatusNoContent)
	last := ts.lastSeq(t)

	for _, since := range []int64{0, before, before + 1, before + 2} {
		t.Run(strconv.FormatInt(since, 10), func(t *testing.T) {
			s := ts.openSSE(t, "/api/events?since="+strconv.FormatInt(since, 10), nil, false)
			var got []sseRecord
			for len(got) == 0 || seqOf(t, got[len(got)-1]) < last {
				got = append(got, s.NextEvent(t, wait))
			}
			s.NoEventFor(t, 50*time.Millisecond)
			var kinds []string
			for _, ev := range got {
				if strings.Contains(ev.Data, "Wrongname") || strings.Contains(ev.Data, "wrongname") {
					t.Errorf("event %s %s still carries the retracted text: %s", ev.ID, ev.Event, ev.Data)
				}
				if id := articleID(t, ev); id == "takedown" || id == other.ID {
					kinds = append(kinds, ev.Event+" "+id)
				}
			}
			if want := "article unrelated|delete takedown"; strings.Join(kinds, "|") != want {
				t.Errorf("events of the two articles got %q, want %q", kinds, want)
			}
		})
	}
}
