// Command newsroom is the WebAssembly side of the editors' console at
// /newsroom: its own main, so the widget's bundle does not carry the
// console. Like the widget's it holds no app.Handler and no net/http; it
// talks to the server through the browser's fetch and EventSource.
package main

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/console"
)

func main() {
	console.Register(console.BrowserAPI{})
	app.RunWhenOnBrowser()
}
