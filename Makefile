# newswidget. `make run` serves the widget on http://localhost:8080 with the
# embedded default content; `make test` runs every test.
GO      ?= go
ADDR    ?= localhost:8080
DATA    ?= ./data
DIST    := web/dist
WASM    := $(DIST)/app.wasm
# The editors' console (/newsroom): its own wasm main, so the widget's
# bundle does not carry it.
NEWSROOM := $(DIST)/newsroom.wasm
GOROOT  := $(shell $(GO) env GOROOT)
# Sources the wasm is built from: a change to any of them rebuilds it.
WASM_SRC := $(shell find app widget -name '*.go' -not -name '*_test.go' -not -path 'app/console/*' -not -path 'widget/newsroom/*') go.mod go.sum
NEWSROOM_SRC := $(WASM_SRC) $(shell find app/console widget/newsroom -name '*.go' -not -name '*_test.go')

.PHONY: run build test wasm size screenshot bench fuzz clean

run: wasm
	$(GO) run ./server/cmd/newswidget -addr $(ADDR) -data $(DATA)

build: wasm
	$(GO) build -trimpath -o bin/newswidget ./server/cmd/newswidget

wasm: $(WASM).br $(NEWSROOM).br $(DIST)/wasm_exec.js

$(WASM): $(WASM_SRC)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o $@ ./widget

$(NEWSROOM): $(NEWSROOM_SRC)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o $@ ./widget/newsroom

$(NEWSROOM).br: $(NEWSROOM)
	$(GO) run ./server/cmd/compress $(NEWSROOM)

# Brotli 11 and gzip 9, once per build: the server never compresses the wasm.
$(WASM).br: $(WASM)
	$(GO) run ./server/cmd/compress $(WASM)

# The toolchain's own wasm_exec.js, matching the Go that built app.wasm.
$(DIST)/wasm_exec.js: $(WASM)
	cp "$(GOROOT)/lib/wasm/wasm_exec.js" $@

# go-app's hello world, built with the same Go and flags: the anchor of the
# wasm size budget that the tests guard. Under bin/, not web/dist/, which the
# server binary embeds. Its build ID hashes its source and path, so any edit
# to server/cmd/bench/hello, a comment included, moves its brotli size a little.
HELLO := bin/hello.wasm
$(HELLO): server/cmd/bench/hello/main.go go.mod go.sum
	mkdir -p bin
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o $@ ./server/cmd/bench/hello
$(HELLO).br: $(HELLO)
	$(GO) run ./server/cmd/compress $(HELLO)

# The performance harness: every budgeted figure beside its anchor in one run
# (server/cmd/bench), printed as a table and written to bin/bench.json.
# BENCH_FLAGS=-quick for a shorter run; it installs nginx-light, wrk and
# chromium from Debian when they are missing.
bench: wasm $(HELLO).br
	$(GO) run ./server/cmd/bench $(BENCH_FLAGS)

test: wasm $(HELLO).br
	$(GO) vet ./...
	$(GO) test -count=1 ./...

size: wasm
	$(GO) run ./server/cmd/size

# The README's pictures, taken by the browser tests' own headless Chromium:
# web/screenshot.png, and beside it configurator.png and newsroom.png.
screenshot: wasm
	NEWSWIDGET_SCREENSHOT=$(CURDIR)/web/screenshot.png $(GO) test -count=1 -run TestScreenshot ./server/e2e

# Every fuzz target for FUZZTIME each (make test runs their seeds), then
# the executions of each; a failure stops here with the input written to
# the package's testdata/fuzz/.
FUZZTIME ?= 20s
FUZZ_PKGS := ./app/news ./server ./server/feed
fuzz:
	@set -e; sum=""; for pkg in $(FUZZ_PKGS); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$t ($$pkg, $(FUZZTIME))"; \
	    out=$$($(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg 2>&1) || { echo "$$out"; exit 1; }; \
	    echo "$$out" | grep 'execs:' | tail -1; \
	    sum="$$sum$$(printf '%-22s %-14s %s' $$t $$pkg "$$(echo "$$out" | grep -o 'execs: [0-9]*' | tail -1)")\n"; \
	  done; \
	done; printf "\nfuzzed for $(FUZZTIME) each:\n$$sum"

clean:
	rm -rf bin $(DIST)/*.wasm* $(DIST)/wasm_exec.js
