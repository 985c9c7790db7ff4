// Command hello is the anchor of the bundle-size budget: go-app v9's own
// hello world, built by the benchmark with the same Go and flags as the
// widget's wasm.
package main

import "github.com/maxence-charriere/go-app/v9/pkg/app"

type hello struct{ app.Compo }

func (h *hello) Render() app.UI { return app.H1().Text("Hello World!") }

func main() {
	app.Route("/", &hello{})
	app.RunWhenOnBrowser()
}
