package assets

import (
	"io"
	"log/slog"
	"time"
)

// Size is the bytes of one bundle file as sent: raw, gzip and brotli.
type Size struct {
	Path              string
	Raw, Gzip, Brotli int
}

// BundleSizes reports the sizes of the loader and the wasm exactly as the
// server sends them (minified, precompressed), for `make size` and the
// budgets in the tests and the benchmark.
func BundleSizes() ([]Size, error) {
	st, err := Load(slog.New(slog.NewTextHandler(io.Discard, nil)), time.Minute)
	if err != nil {
		return nil, err
	}
	var out []Size
	for _, p := range []string{"/widget.js", st.WASM} {
		a, ok := st.byPath[p]
		if !ok || p == "" {
			continue
		}
		out = append(out, Size{Path: p, Raw: a.RawSize(), Gzip: len(a.Gz), Brotli: len(a.Br)})
	}
	return out, nil
}
