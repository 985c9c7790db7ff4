// Command widget is the WebAssembly side of newswidget: the go-app
// components running in each widget's iframe. It holds no app.Handler and no
// net/http, which keeps the bundle small; the server prerenders the same
// components and embeds their data in the page.
package main

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/ui"
)

func main() {
	if app.IsClient {
		yield()
		ui.CapturePrerenderedPhase()
		ui.InstallLinkGuard()
	}
	if app.IsClient {
		ui.RegisterPage(app.Window().URL().Path, &ui.StaticSource{Data: ui.ReadEmbedded()})
	}
	app.RunWhenOnBrowser()
}

// yield gives the browser back its thread between the Go runtime's start
// and go-app's first render. In a frame sharing the publisher's thread (a
// phone), that makes the start two freezes of about half as long, with the
// page's own tasks, such as a reader's tap, run in between. A blocked main
// returns control to JavaScript until setTimeout calls back.
func yield() {
	done := make(chan struct{})
	var f app.Func
	f = app.FuncOf(func(app.Value, []app.Value) any {
		f.Release()
		close(done)
		return nil
	})
	app.Window().Call("setTimeout", f, 0)
	<-done
}
