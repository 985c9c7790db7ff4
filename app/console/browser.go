package console

import (
	"encoding/json"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// BrowserAPI is the console's API in the browser: fetch for requests (same
// origin, so the session cookie and the Origin the server checks go with
// every write) and an EventSource for the live changes.
type BrowserAPI struct{}

// Do sends one request through the browser's fetch.
func (BrowserAPI) Do(method, path string, body any, done func(status int, body []byte, err error)) {
	win := app.Window()
	opts := win.Get("Object").New()
	opts.Set("method", method)
	opts.Set("credentials", "same-origin")
	opts.Set("cache", "no-store")
	headers := win.Get("Object").New()
	headers.Set("Accept", "application/json")
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			done(0, nil, err)
			return
		}
		headers.Set("Content-Type", "application/json")
		opts.Set("body", string(b))
	}
	opts.Set("headers", headers)
	var onResp, onText, onFail app.Func
	release := func() {
		for _, f := range []app.Func{onResp, onText, onFail} {
			if f != nil {
				f.Release()
			}
		}
	}
	status := 0
	onFail = app.FuncOf(func(_ app.Value, args []app.Value) any {
		msg := "the request failed"
		if len(args) > 0 && args[0].Truthy() {
			msg = args[0].Call("toString").String()
		}
		release()
		done(0, nil, errorString(msg))
		return nil
	})
	onText = app.FuncOf(func(_ app.Value, args []app.Value) any {
		text := args[0].String()
		release()
		done(status, []byte(text), nil)
		return nil
	})
	onResp = app.FuncOf(func(_ app.Value, args []app.Value) any {
		status = args[0].Get("status").Int()
		args[0].Call("text").Call("then", onText, onFail)
		return nil
	})
	win.Call("fetch", path, opts).Call("then", onResp, onFail)
}

// Subscribe listens to /api/events and calls changed for every article,
// delete and live event. The browser's EventSource reconnects by itself;
// after a reconnect (open) the console reloads its list. The server never
// holds a signed-in editor's stream back, whatever the switch says.
func (BrowserAPI) Subscribe(changed func(event string)) (stop func()) {
	win := app.Window()
	if !win.Get("EventSource").Truthy() {
		return func() {}
	}
	es := win.Get("EventSource").New("/api/events")
	on := app.FuncOf(func(_ app.Value, args []app.Value) any {
		changed(args[0].Get("type").String())
		return nil
	})
	for _, ev := range []string{"article", "delete", "open", "live"} {
		es.Call("addEventListener", ev, on)
	}
	return func() {
		es.Call("close")
		on.Release()
	}
}

// errorString is an error made of its message.
type errorString string

func (e errorString) Error() string { return string(e) }
