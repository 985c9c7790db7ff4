package server

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

const guardToken = "guard-admin-token-0123"

// guardedServer starts a server with the default failure budget, its log
// in a buffer, and failures summarised every 100 ms.
func guardedServer(t *testing.T, trustProxy bool) (*Server, *syncBuffer) {
	t.Helper()
	old := authLogEvery
	authLogEvery = 100 * time.Millisecond
	t.Cleanup(func() { authLogEvery = old })
	return loggingServer(t, nil, func(o *Options) {
		o.AdminToken, o.TrustProxy, o.PublishLimit = guardToken, trustProxy, RateLimit{Burst: -1}
	})
}

// deleteWith sends DELETE /api/articles/nope with a token from an address.
func deleteWith(s *Server, token, remote, forwarded string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodDelete, "/api/articles/nope", nil)
	r.RemoteAddr = remote
	r.Header.Set("Authorization", "Bearer "+token)
	if forwarded != "" {
		r.Header.Set("X-Forwarded-For", forwarded)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func TestWrongTokensAreBoundedAndLogged(t *testing.T) {
	s, logs := guardedServer(t, false)
	statuses := map[int]int{}
	for i := range 300 {
		w := deleteWith(s, "wrong-token-"+strconv.Itoa(i), "203.0.113.7:4000", "")
		statuses[w.Code]++
		if w.Code == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
			t.Fatalf("429 without Retry-After")
		}
	}
	if got, want := statuses[http.StatusUnauthorized], DefaultAuthFailureLimit.Burst; got < want || got > want+1 {
		t.Errorf("wrong tokens answered 401: got %d, want the budget of %d, then 429", got, want)
	}
	if statuses[http.StatusTooManyRequests] < 280 {
		t.Errorf("wrong tokens past the budget: got %v, want the rest refused with 429", statuses)
	}
	// the right token from another client is not held up by this one
	if w := deleteWith(s, guardToken, "198.51.100.9:4000", ""); w.Code != http.StatusNotFound {
		t.Errorf("the right token from another address: got %d, want 404 (authorised)", w.Code)
	}
	var lines []string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		lines = nil
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "failed publishing authorisations") {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(lines) == 0 || len(lines) > 3 {
		t.Fatalf("300 wrong tokens in well under a second: got %d log lines, want 1 to 3:\n%s", len(lines), logs.String())
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"203.0.113.7", "count="} {
		if !strings.Contains(all, want) {
			t.Errorf("log lines do not name %q:\n%s", want, all)
		}
	}
	if strings.Contains(logs.String(), "wrong-token-") {
		t.Errorf("the log holds a submitted token:\n%s", logs.String())
	}
}

func TestForwardedForCannotBuyFreshBudgets(t *testing.T) {
	s, _ := guardedServer(t, true)
	peerBudget := 10 * DefaultAuthFailureLimit.Burst
	refused := 0
	for i := range peerBudget + 50 {
		w := deleteWith(s, "wrong", "192.0.2.1:5000", "10.0."+strconv.Itoa(i/250)+"."+strconv.Itoa(i%250))
		if w.Code == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused < 40 {
		t.Errorf("a fresh X-Forwarded-For on each of %d wrong tokens through one peer: %d refused, want every one past %d", peerBudget+50, refused, peerBudget)
	}
}

// The error a refused attempt gets is a rate limit, in JSON.
func TestRefusedAttemptIsJSON(t *testing.T) {
	s, _ := guardedServer(t, false)
	var w *httptest.ResponseRecorder
	for range DefaultAuthFailureLimit.Burst + 2 {
		w = deleteWith(s, "wrong", "203.0.113.8:1", "")
	}
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), `"code":"`+ERateLimited+`"`) {
		t.Errorf("got %d %s, want 429 rate_limited", w.Code, w.Body.String())
	}
}
