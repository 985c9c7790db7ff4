package e2e_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"newswidget/server"
)

// TestLiveWaitsForAStreamSlot: a server at its stream cap refuses the
// widget's stream with 503. The widget keeps its news, shows it is
// reconnecting, retries with its jittered backoff, and is live as soon as
// a slot is free: news published then reaches it.
func TestLiveWaitsForAStreamSlot(t *testing.T) {
	// One slot held is a node at its cap, which would move it to "slow" by
	// itself (live.go) and close the held stream: this test is about the
	// refusal, so the node does not look at its load during it.
	ws := startWidgetServer(t, "", "", func(o *server.Options) { o.MaxStreams = 1; o.LiveCheck = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ws.URL+"/api/events", nil)
	held, err := http.DefaultTransport.RoundTrip(req) // the only slot
	if err != nil {
		t.Fatal(err)
	}
	if held.StatusCode != http.StatusOK {
		t.Fatalf("the test's own stream: status %d, want 200", held.StatusCode)
	}
	b, f := openWidget(t, ws, `data-loading="eager"`)
	wakeGo(t, f) // the reader looks: the Go program shows the stream is down
	waitJS(t, f, `document.querySelector(".nw-offline")`, 10*time.Second)
	var items int
	eval(t, f, `document.querySelectorAll(".nw-item").length`, &items)
	if items != 10 {
		t.Errorf("frame shows %d items while refused, want the 10 it had", items)
	}

	cancel() // the slot frees at the server's next heartbeat (1 s here)
	held.Body.Close()
	waitJS(t, f, `!document.querySelector(".nw-offline")`, 20*time.Second)
	publish(t, ws, map[string]any{"id": "after-the-cap", "title": "Live once a slot was free", "flash": true})
	waitJS(t, f, `document.querySelector(".nw-ticker").textContent.includes("Live once a slot was free")`, 5*time.Second)
	b.noPageErrors(t)
}
