package bidi

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// fakeFirefox answers the commands the client sends as Firefox would, and
// logs a console warning from a frame once subscribed. Each command, as
// "METHOD PARAMS", goes to sent (when not nil) before its answer.
func fakeFirefox(t *testing.T, sent chan<- string) string {
	t.Helper()
	srv := httptest.NewServer(websocket.Handler(func(c *websocket.Conn) {
		for {
			var m struct {
				ID     int
				Method string
				Params json.RawMessage
			}
			if err := websocket.JSON.Receive(c, &m); err != nil {
				return
			}
			if sent != nil {
				sent <- m.Method + " " + string(m.Params)
			}
			ok := func(result string) {
				websocket.Message.Send(c, `{"type":"success","id":`+itoa(m.ID)+`,"result":`+result+`}`)
			}
			switch m.Method {
			case "session.new", "browsingContext.setViewport", "browsingContext.close", "input.performActions", "input.releaseActions":
				ok(`{}`)
			case "browsingContext.create":
				ok(`{"context":"w2"}`)
			case "script.callFunction":
				ok(`{"type":"success","result":{"type":"node","sharedId":"n1"},"realm":"r"}`)
			case "browsingContext.getTree":
				if strings.Contains(string(m.Params), `"root"`) {
					ok(`{"contexts":[{"context":"top","url":"http://127.0.0.2/","children":[{"context":"f1","url":"http://127.0.0.1/embed?id=w1","children":[]}]}]}`)
				} else {
					ok(`{"contexts":[{"context":"top","url":"about:blank","children":null}]}`)
				}
			case "session.subscribe":
				ok(`{}`)
				websocket.Message.Send(c, `{"type":"event","method":"log.entryAdded","params":{"type":"console","method":"warn","level":"warn","text":"in frame","source":{"realm":"r","context":"f1"},"timestamp":1}}`)
			case "script.evaluate":
				var p struct {
					Expression string
					Target     struct{ Context string }
				}
				json.Unmarshal(m.Params, &p)
				switch {
				case strings.Contains(p.Expression, "boom"):
					ok(`{"type":"exception","exceptionDetails":{"text":"ReferenceError: boom is not defined"},"realm":"r"}`)
				case p.Target.Context == "gone":
					websocket.Message.Send(c, `{"type":"error","id":`+itoa(m.ID)+`,"error":"no such frame","message":"gone"}`)
				default:
					ok(`{"type":"success","result":{"type":"string","value":"{\"context\":\"` + p.Target.Context + `\",\"n\":[1,2]}"},"realm":"r"}`)
				}
			case "slow":
				// never answered
			default:
				websocket.Message.Send(c, `{"type":"error","id":`+itoa(m.ID)+`,"error":"unknown command","message":"`+m.Method+`"}`)
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestProtocol(t *testing.T) {
	b := &Browser{timeout: 2 * time.Second, wait: map[int]chan response{}, done: make(chan struct{})}
	if err := b.connect(fakeFirefox(t, nil), 1000, 900); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Top() != "top" {
		t.Errorf("top context: got %q, want %q", b.Top(), "top")
	}
	var got struct {
		Context string
		N       []int
	}
	if err := b.Eval("x", &got); err != nil {
		t.Fatal(err)
	}
	if got.Context != "top" || len(got.N) != 2 {
		t.Errorf("Eval: got %+v, want the top context's {n: [1, 2]}", got)
	}
	f, err := b.Frame("/embed")
	if err != nil {
		t.Fatal(err)
	}
	if f.ID != "f1" || f.Parent != "top" {
		t.Errorf("Frame: got %+v, want f1 under top", f)
	}
	if err := b.EvalIn(f.ID, "x", &got); err != nil || got.Context != "f1" {
		t.Errorf("EvalIn the frame: got %+v, %v; want its context f1", got, err)
	}
	if err := b.Eval("boom", nil); err == nil || !strings.Contains(err.Error(), "boom is not defined") {
		t.Errorf("a throwing expression: got error %v, want the exception's text", err)
	}
	var be *Error
	if err := b.EvalIn("gone", "x", nil); !errors.As(err, &be) || be.Code != "no such frame" {
		t.Errorf("a command refused: got %v, want an *Error with code %q", err, "no such frame")
	}
	if err := b.send("slow", nil, nil, 100*time.Millisecond); err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Errorf("an unanswered command: got %v, want a timeout", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for len(b.Logs()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	want := []LogEntry{{Type: "console", Level: "warn", Method: "warn", Text: "in frame", Context: "f1"}}
	if l := b.Logs(); len(l) != 1 || l[0] != want[0] {
		t.Errorf("Logs: got %+v, want %+v", l, want)
	}
	b.Close()
	if err := b.Eval("x", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: got %v, want ErrClosed", err)
	}
}

func TestUserJS(t *testing.T) {
	dir := t.TempDir()
	if err := writeUserJS(dir, map[string]any{"network.cookie.cookieBehavior": 1, "browser.startup.page": 3, "x.name": `a"b`}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(dir + "/user.js")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, want := range []string{`user_pref("network.cookie.cookieBehavior", 1);`, `user_pref("x.name", "a\"b");`, `user_pref("app.update.disabledForTesting", true);`} {
		if !strings.Contains(s, want+"\n") {
			t.Errorf("user.js lacks %s:\n%s", want, s)
		}
	}
	// the caller's value comes last, so it wins
	if d, c := strings.Index(s, `user_pref("browser.startup.page", 0);`), strings.Index(s, `user_pref("browser.startup.page", 3);`); d < 0 || c < d {
		t.Errorf("the caller's browser.startup.page is not after the default's:\n%s", s)
	}
}

// TestWindowsAndInput: a second window, sized as the tab and known as a
// top-level context until closed; typing is a click on the element
// (scrolled into view) and a key down and up for each character.
func TestWindowsAndInput(t *testing.T) {
	sent := make(chan string, 100)
	b := &Browser{timeout: 2 * time.Second, wait: map[int]chan response{}, done: make(chan struct{})}
	if err := b.connect(fakeFirefox(t, sent), 1000, 900); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	drain := func() []string {
		var out []string
		for {
			select {
			case m := <-sent:
				out = append(out, m)
			default:
				return out
			}
		}
	}
	drain()
	w, err := b.NewWindow()
	if err != nil || w != "w2" {
		t.Fatalf("NewWindow: %q, %v; want w2", w, err)
	}
	if !b.IsTopLevel("w2") || !b.IsTopLevel("top") || b.IsTopLevel("f1") {
		t.Errorf("IsTopLevel: w2 %v, top %v, f1 %v; want true, true, false", b.IsTopLevel("w2"), b.IsTopLevel("top"), b.IsTopLevel("f1"))
	}
	if err := b.TypeInto("w2", `nr.field("Title")`, "Hé"); err != nil {
		t.Fatal(err)
	}
	if err := b.CloseWindow("w2"); err != nil {
		t.Fatal(err)
	}
	if b.IsTopLevel("w2") {
		t.Error("IsTopLevel: w2 after CloseWindow: true, want false")
	}
	got := drain()
	want := []string{
		`browsingContext.create {"type":"window"}`,
		`browsingContext.setViewport {"context":"w2","viewport":{"height":900,"width":1000}}`,
		`script.callFunction`,
		`input.performActions {"actions":[{"actions":[{"origin":{"element":{"sharedId":"n1"},"type":"element"},"type":"pointerMove","x":0,"y":0},{"button":0,"type":"pointerDown"},{"button":0,"type":"pointerUp"}],"id":"mouse","parameters":{"pointerType":"mouse"},"type":"pointer"}],"context":"w2"}`,
		`input.performActions {"actions":[{"actions":[{"type":"keyDown","value":"H"},{"type":"keyUp","value":"H"},{"type":"keyDown","value":"é"},{"type":"keyUp","value":"é"}],"id":"keyboard","type":"key"}],"context":"w2"}`,
		`input.releaseActions {"context":"w2"}`,
		`browsingContext.close {"context":"w2"}`,
	}
	for i, w := range want {
		if i >= len(got) || !strings.HasPrefix(got[i], w) {
			t.Errorf("command %d: got %.300q, want %q", i, at(got, i), w)
		}
	}
	if find := at(got, 2); !strings.Contains(find, `nr.field(\"Title\")`) || !strings.Contains(find, "scrollIntoView") || !strings.Contains(find, `"context":"w2"`) {
		t.Errorf("finding the element: %s; want the expression, scrolled into view, in w2", find)
	}
}

func at(l []string, i int) string {
	if i < len(l) {
		return l[i]
	}
	return "(none)"
}
