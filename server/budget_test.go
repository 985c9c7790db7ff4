package server_test

import (
	"os"
	"testing"

	"newswidget/server/assets"
)

// Budgets that are exact (bytes, not times), guarded here; `make bench`
// reports them with the others.
const (
	maxWasmRatio   = 1.05 // the widget's wasm (brotli 11) to go-app's hello world, same Go and flags
	maxLoaderBytes = 1560 // the loader, brotli: 1.5 KB, and data-partner with its refusal (issue #17)
)

func TestBundleBudgets(t *testing.T) {
	sizes, err := assets.BundleSizes()
	if err != nil {
		t.Fatal(err)
	}
	var loader, wasm assets.Size
	for _, s := range sizes {
		switch {
		case s.Path == "/widget.js":
			loader = s
		default:
			wasm = s
		}
	}
	if loader.Brotli == 0 || loader.Brotli > maxLoaderBytes {
		t.Errorf("loader: %d bytes brotli, budget %d", loader.Brotli, maxLoaderBytes)
	}
	hello, err := os.Stat("../bin/hello.wasm.br")
	if err != nil || wasm.Brotli == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the wasm or its anchor is missing (run `make test`): %v", err)
		}
		t.Skip("bin/hello.wasm.br is not built; `make test` builds it")
	}
	ratio := float64(wasm.Brotli) / float64(hello.Size())
	t.Logf("wasm %d bytes brotli, hello world %d: ratio %.4f (budget %.2f); loader %d bytes (budget %d)",
		wasm.Brotli, hello.Size(), ratio, maxWasmRatio, loader.Brotli, maxLoaderBytes)
	if ratio > maxWasmRatio {
		t.Errorf("wasm is %.4f× go-app's hello world, budget %.2f×", ratio, maxWasmRatio)
	}
}
