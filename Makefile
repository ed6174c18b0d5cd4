# Each target is a few commands you could type by hand. On Linux, tests that
# need the Secret Service run inside platform/linux/with-secret-service.sh.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO ?= go
# The binaries are built without cgo: keyref needs none (go-keyring speaks
# D-Bus in Go on Linux and runs /usr/bin/security on macOS), and a static
# binary starts in about 2 ms less than one linked against libc, which is a
# fifth of a whole `keyref get`. Tests keep cgo for the race detector.
NOCGO := CGO_ENABLED=0
# staticcheck 2026.2.2, the newest release (it needs Go 1.26). The module
# proxy does not resolve the tag 2025.1.1; that release is v0.6.1.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
WITH_SS := platform/linux/with-secret-service.sh
FUZZTIME ?= 20s

.PHONY: build test bench demo install fuzz clean

build:
	$(NOCGO) $(GO) build -o bin/ ./cmd/...

test:
	platform/linux/deps.sh
	if [[ -f platform/mcp-client/package-lock.json ]]; then \
		npm ci --prefix platform/mcp-client --no-audit --no-fund --loglevel=error; fi
	$(GO) mod tidy -diff
	$(GO) vet ./...
	files=$$(gofmt -l cmd internal); if [[ -n $$files ]]; then \
		echo "gofmt -w needed on:" >&2; echo "$$files" >&2; exit 1; fi
	$(GO) run $(STATICCHECK) ./...
	GOOS=darwin GOARCH=amd64 CGO_ENABLED=0 $(GO) build ./...
	GOOS=darwin GOARCH=amd64 CGO_ENABLED=0 $(GO) vet ./...
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) build ./...
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) vet ./...
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build ./...
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet ./...
	$(WITH_SS) env KEYREF_REQUIRE_SECRET_SERVICE=1 $(GO) test -race -count=1 ./...

bench:
	platform/linux/bench.sh
	if [[ -x platform/linux/bench-mcp.sh ]]; then platform/linux/bench-mcp.sh; fi
	$(WITH_SS) $(GO) test -run '^$$' -bench . -benchtime=200ms ./internal/...

demo:
	platform/linux/demo.sh

# The credential-helper links sit beside keyref, where git and docker look
# for git-credential-* and docker-credential-* on PATH.
install:
	$(NOCGO) $(GO) install ./cmd/...
	bindir=$$($(GO) env GOBIN); bindir=$${bindir:-$$($(GO) env GOPATH | cut -d: -f1)/bin}; \
	ln -sf keyref "$$bindir/git-credential-keyref"; \
	ln -sf keyref "$$bindir/docker-credential-keyref"; \
	dir=$${XDG_DATA_HOME:-$$HOME/.local/share}/bash-completion/completions; mkdir -p "$$dir"; \
	if "$$bindir/keyref" completion bash >"$$dir/keyref.tmp" 2>/dev/null; then \
		mv "$$dir/keyref.tmp" "$$dir/keyref"; \
	else rm -f "$$dir/keyref.tmp"; echo "keyref has no completion command; skipped" >&2; fi

fuzz:
	$(GO) test -list '^Fuzz' ./... | awk '/^Fuzz/ { f[n++] = $$1 } \
		/^ok/ { for (i = 0; i < n; i++) print $$2, f[i]; n = 0 }' | \
	while read -r pkg target; do \
		$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime=$(FUZZTIME) "$$pkg" </dev/null; done

clean:
	rm -rf bin/ platform/mcp-client/node_modules coverage.out coverage.html
