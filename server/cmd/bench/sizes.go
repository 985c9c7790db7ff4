package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/andybalholm/brotli"

	"newswidget/server/assets"
)

// helloWasm is go-app's hello world as served: raw, brotli 11, gzip 9.
type helloWasm struct {
	raw, br, gz []byte
	built       string // where it came from
}

// loadHello reads bin/hello.wasm and its siblings, or builds and
// compresses the hello world into tmp with the same Go and flags as
// `make wasm` uses for the widget.
func loadHello(ctx context.Context, root, tmp string) (*helloWasm, error) {
	dist := filepath.Join(root, "bin")
	raw, err1 := os.ReadFile(filepath.Join(dist, "hello.wasm"))
	br, err2 := os.ReadFile(filepath.Join(dist, "hello.wasm.br"))
	gz, err3 := os.ReadFile(filepath.Join(dist, "hello.wasm.gz"))
	if err1 == nil && err2 == nil && err3 == nil {
		return &helloWasm{raw: raw, br: br, gz: gz, built: "bin/hello.wasm (make bin/hello.wasm.br)"}, nil
	}
	fmt.Fprintln(os.Stderr, "bench: bin/hello.wasm.br is missing: building go-app's hello world")
	out := filepath.Join(tmp, "hello.wasm")
	if err := run(ctx, root, []string{"GOOS=js", "GOARCH=wasm"}, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./server/cmd/bench/hello"); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	var b, g bytes.Buffer
	bw := brotli.NewWriterLevel(&b, brotli.BestCompression)
	bw.Write(raw)
	bw.Close()
	gw, _ := gzip.NewWriterLevel(&g, gzip.BestCompression)
	gw.Write(raw)
	gw.Close()
	return &helloWasm{raw: raw, br: b.Bytes(), gz: g.Bytes(), built: "built by the bench into " + out}, nil
}

// measureSizes reports figures 1 and 2: the wasm and the loader as sent.
func measureSizes(rep *Report, hello *helloWasm) {
	sizes, err := assets.BundleSizes()
	if err != nil {
		rep.fail("1", "wasm on the wire (brotli 11)", err)
		rep.fail("2", "loader on the wire (brotli)", err)
		return
	}
	var loader, wasm assets.Size
	for _, s := range sizes {
		if s.Path == "/widget.js" {
			loader = s
		} else {
			wasm = s
		}
	}
	rep.detail("bundle_sizes", sizes)
	if wasm.Brotli == 0 {
		rep.fail("1", "wasm on the wire (brotli 11)", errors.New("the server embeds no web/dist/app.wasm.br: run `make wasm`"))
	} else if hello == nil {
		rep.fail("1", "wasm on the wire (brotli 11)", errors.New("go-app's hello world could not be built"))
	} else {
		rep.detail("hello_wasm", map[string]any{"raw": len(hello.raw), "brotli": len(hello.br), "gzip": len(hello.gz), "source": hello.built})
		rep.add(&Row{ID: "1", Figure: "wasm on the wire (brotli 11)", Unit: "B",
			Value: float64(wasm.Brotli), Anchor: float64(len(hello.br)), HasAnchor: true, AnchorName: "go-app v9.8.0 hello world",
			Kind: RatioMax, Limit: 1.05,
			Note: fmt.Sprintf("raw %d B vs %d B; gzip %d B vs %d B", wasm.Raw, len(hello.raw), wasm.Gzip, len(hello.gz))})
	}
	if loader.Brotli == 0 {
		rep.fail("2", "loader on the wire (brotli)", errors.New("no /widget.js brotli body"))
		return
	}
	rep.add(&Row{ID: "2", Figure: "loader on the wire (brotli)", Unit: "B", Value: float64(loader.Brotli),
		AnchorName: "(absolute budget)", Kind: ValueMax, Limit: 1560, // data-partner (#17) took 15 B
		Note: fmt.Sprintf("loader minified %d B, gzip %d B", loader.Raw, loader.Gzip)})
}
