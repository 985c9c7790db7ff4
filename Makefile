# newswidget. `make run` serves the widget on http://localhost:8080 with the
# embedded default content; `make test` runs every test.
GO      ?= go
ADDR    ?= localhost:8080
DATA    ?= ./data
DIST    := web/dist
WASM    := $(DIST)/app.wasm
GOROOT  := $(shell $(GO) env GOROOT)
# Sources the wasm is built from: a change to any of them rebuilds it.
WASM_SRC := $(shell find app widget -name '*.go' -not -name '*_test.go') go.mod go.sum

.PHONY: run build test wasm size screenshot bench fuzz clean

run: wasm
	$(GO) run ./server/cmd/newswidget -addr $(ADDR) -data $(DATA)

build: wasm
	$(GO) build -trimpath -o bin/newswidget ./server/cmd/newswidget

wasm: $(WASM).br $(DIST)/wasm_exec.js

$(WASM): $(WASM_SRC)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o $@ ./widget

# Brotli 11 and gzip 9, once per build: the server never compresses the wasm.
$(WASM).br: $(WASM)
	$(GO) run ./server/cmd/compress $(WASM)

# The toolchain's own wasm_exec.js, matching the Go that built app.wasm.
$(DIST)/wasm_exec.js: $(WASM)
	cp "$(GOROOT)/lib/wasm/wasm_exec.js" $@

# go-app's hello world, built with the same Go and flags: the anchor of the
# wasm size budget that the tests guard.
HELLO := $(DIST)/hello.wasm
$(HELLO): server/bench/hello/main.go go.mod go.sum
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o $@ ./server/bench/hello
$(HELLO).br: $(HELLO)
	$(GO) run ./server/cmd/compress $(HELLO)

test: wasm $(HELLO).br
	$(GO) vet ./...
	$(GO) test -count=1 ./...

size: wasm
	$(GO) run ./server/cmd/size

# The README's picture, taken by the browser tests' own headless Chromium.
screenshot: wasm
	NEWSWIDGET_SCREENSHOT=$(CURDIR)/web/screenshot.png $(GO) test -count=1 -run TestScreenshot ./server/e2e

clean:
	rm -rf bin $(DIST)/*.wasm* $(DIST)/wasm_exec.js
