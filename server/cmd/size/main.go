// Command size prints the bytes of the loader and the wasm as the server
// sends them: raw (minified), gzip and brotli.
package main

import (
	"fmt"
	"os"

	"newswidget/server/assets"
)

func main() {
	sizes, err := assets.BundleSizes()
	if err != nil {
		fmt.Fprintln(os.Stderr, "size:", err)
		os.Exit(1)
	}
	fmt.Printf("%-28s %12s %12s %12s\n", "file", "raw", "gzip", "brotli")
	for _, s := range sizes {
		fmt.Printf("%-28s %12d %12d %12d\n", s.Path, s.Raw, s.Gzip, s.Brotli)
	}
}
