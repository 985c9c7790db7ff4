// Package loader holds the source of the loader script, the one file a
// publisher's page loads (served minified as /widget.js).
package loader

import _ "embed"

// Source is the loader script as written; the server minifies it at start-up.
//
//go:embed loader.js
var Source []byte
