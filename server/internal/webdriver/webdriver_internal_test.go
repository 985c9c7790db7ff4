package webdriver

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeDriver answers as WebKitWebDriver does for one session "s1", and
// records each command's method, path and body.
func fakeDriver(t *testing.T, got *[]string) *Session {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		*got = append(*got, r.Method+" "+r.URL.Path+" "+string(body))
		switch r.URL.Path {
		case "/session/s1/element":
			if strings.Contains(string(body), "#missing") {
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"value":{"error":"no such element","message":"Unable to locate","stacktrace":""}}`)
				return
			}
			io.WriteString(w, `{"value":{"element-6066-11e4-a52e-4f735466cecf":"e7"}}`)
		case "/session/s1/execute/sync", "/session/s1/execute/async":
			if strings.Contains(string(body), "activeElement") {
				io.WriteString(w, `{"value":{"element-6066-11e4-a52e-4f735466cecf":"e9"}}`)
				return
			}
			io.WriteString(w, `{"value":{"n":[1,2]}}`)
		case "/session/s1/window":
			if r.Method == http.MethodGet {
				io.WriteString(w, `{"value":"w1"}`)
				return
			}
			io.WriteString(w, `{"value":null}`)
		case "/session/s1/window/new":
			io.WriteString(w, `{"value":{"handle":"w2","type":"window"}}`)
		default:
			io.WriteString(w, `{"value":null}`)
		}
	}))
	t.Cleanup(srv.Close)
	return &Session{base: srv.URL + "/session/s1", client: &http.Client{}, timeout: 2 * time.Second}
}

func TestProtocol(t *testing.T) {
	var sent []string
	s := fakeDriver(t, &sent)
	el, err := s.FindElement("iframe")
	if err != nil {
		t.Fatal(err)
	}
	if el.ID != "e7" {
		t.Errorf("FindElement: got %q, want e7", el.ID)
	}
	if err := s.SwitchToFrame(el); err != nil {
		t.Fatal(err)
	}
	var got struct{ N []int }
	if err := s.Execute("return arguments[0]", []any{el}, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.N) != 2 {
		t.Errorf("Execute: got %+v, want {N: [1 2]}", got)
	}
	if err := s.ExecuteAsync("arguments[0]({n: [1, 2]})", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SwitchToTop(); err != nil {
		t.Fatal(err)
	}
	var we *Error
	if _, err := s.FindElement("#missing"); !errors.As(err, &we) || we.Code != "no such element" || we.Status != http.StatusNotFound {
		t.Errorf("a missing element: got %v, want an *Error with code %q and status 404", err, "no such element")
	}
	want := []string{
		`POST /session/s1/element {"using":"css selector","value":"iframe"}`,
		`POST /session/s1/frame {"id":{"element-6066-11e4-a52e-4f735466cecf":"e7"}}`,
		`POST /session/s1/execute/sync {"args":[{"element-6066-11e4-a52e-4f735466cecf":"e7"}],"script":"return arguments[0]"}`,
		`POST /session/s1/execute/async {"args":[],"script":"arguments[0]({n: [1, 2]})"}`,
		`POST /session/s1/frame {"id":null}`,
	}
	for i, w := range want {
		if i >= len(sent) || sent[i] != w {
			t.Errorf("command %d: got %q, want %q", i, at(sent, i), w)
		}
	}
	s.Close()
	if last := sent[len(sent)-1]; last != "DELETE /session/s1 " {
		t.Errorf("Close: last command %q, want the session deleted", last)
	}
}

// TestWindowsAndKeys: windows opened, switched to and closed; an element
// a script returns, and keys sent to it.
func TestWindowsAndKeys(t *testing.T) {
	var sent []string
	s := fakeDriver(t, &sent)
	h, err := s.Window()
	if err != nil || h != "w1" {
		t.Fatalf("Window: %q, %v; want w1", h, err)
	}
	h2, err := s.NewWindow()
	if err != nil || h2 != "w2" {
		t.Fatalf("NewWindow: %q, %v; want w2", h2, err)
	}
	if err := s.SwitchToWindow(h2); err != nil {
		t.Fatal(err)
	}
	el, err := s.ElementByScript("return document.activeElement")
	if err != nil || el.ID != "e9" {
		t.Fatalf("ElementByScript: %+v, %v; want e9", el, err)
	}
	if err := s.SendKeys(el, "ann"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ElementByScript("return 1"); err == nil {
		t.Error("ElementByScript of a script returning no element: no error")
	}
	if err := s.CloseWindow(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`GET /session/s1/window `,
		`POST /session/s1/window/new {"type":"window"}`,
		`POST /session/s1/window {"handle":"w2"}`,
		`POST /session/s1/execute/sync {"args":[],"script":"return document.activeElement"}`,
		`POST /session/s1/element/e9/value {"text":"ann"}`,
		`POST /session/s1/execute/sync {"args":[],"script":"return 1"}`,
		`DELETE /session/s1/window `,
	}
	for i, w := range want {
		if i >= len(sent) || sent[i] != w {
			t.Errorf("command %d: got %q, want %q", i, at(sent, i), w)
		}
	}
}

func at(l []string, i int) string {
	if i < len(l) {
		return l[i]
	}
	return "(none)"
}

func TestElementJSON(t *testing.T) {
	b, _ := json.Marshal(map[string]any{"id": Element{ID: "x"}})
	if string(b) != `{"id":{"element-6066-11e4-a52e-4f735466cecf":"x"}}` {
		t.Errorf("got %s", b)
	}
}
