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
		ui.CapturePrerenderedPhase()
		ui.InstallLinkGuard()
	}
	if app.IsClient {
		ui.RegisterPage(app.Window().URL().Path, &ui.StaticSource{Data: ui.ReadEmbedded()})
	}
	app.RunWhenOnBrowser()
}
