// Package web holds the widget's static resources, embedded into the server
// binary: the styles, the frame's boot script, the icons, the publisher
// demo page, and under dist/ what `make wasm` builds (app.wasm with its
// .br/.gz siblings and the toolchain's wasm_exec.js).
package web

import "embed"

// FS is every static resource.
//
//go:embed widget.css boot.js icon.svg icon.png demo.html demo.js all:dist
var FS embed.FS
