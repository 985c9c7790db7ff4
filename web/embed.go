// Package web holds the widget's static resources, embedded into the server
// binary: the styles, the frame's boot and beacon scripts, the icons, the publisher
// demo page, the newsroom's styles and boot script, and under dist/ what
// `make wasm` builds (app.wasm and newsroom.wasm with their .br/.gz
// siblings, and the toolchain's wasm_exec.js).
package web

import "embed"

// FS is every static resource.
//
//go:embed widget.css boot.js beacon.js icon.svg icon.png demo.html demo.js newsroom.css newsroom.js all:dist
var FS embed.FS
