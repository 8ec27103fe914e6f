# Baton: `make run` builds everything and starts Baton on embedded defaults;
# `make test` installs whatever the tests need and runs all of them.

GO        ?= go
CACHE_DIR ?= $(HOME)/.cache/baton
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_BIN := $(CACHE_DIR)/bin/minio
BIN       := bin/baton
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo dev)

export BATON_MINIO_BIN := $(MINIO_BIN)

.PHONY: run build frontend test test-deps check-ffmpeg vet fmt-check go-test frontend-test clean bench

run: check-ffmpeg build
	@./$(BIN) serve

build: frontend
	$(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $(BIN) ./cmd/baton

check-ffmpeg:
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
	  echo "Baton needs ffmpeg and ffprobe. On Debian/Ubuntu: sudo apt-get install -y ffmpeg"; \
	  echo "(macOS: brew install ffmpeg). Then run make run again."; exit 1; }

frontend/node_modules/.stamp: frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: sudo apt-get install -y nodejs npm"; exit 1; }
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

frontend: frontend/node_modules/.stamp
	cd frontend && npm run build

# System packages the tests use: ffmpeg, Chromium (browser tests), Node,
# pocketsphinx and espeak-ng (speech made and transcribed by real engines).
test-deps:
	@missing=""; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	command -v pocketsphinx_continuous >/dev/null || missing="$$missing pocketsphinx"; \
	test -d /usr/share/pocketsphinx/model/en-us || missing="$$missing pocketsphinx-en-us"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@test -x $(MINIO_BIN) || { echo "building MinIO $(MINIO_VERSION) into $(CACHE_DIR)/bin (first time only, a few minutes)"; \
	  GOBIN=$(CACHE_DIR)/bin $(GO) install github.com/minio/minio@$(MINIO_VERSION); }

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './frontend/node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# Browser tests run after the rest, alone: they are timing-sensitive and
# would otherwise compete with the ffmpeg-heavy packages for 2 cores.
go-test:
	$(GO) test -race -timeout 20m $$($(GO) list ./... | grep -v /e2e)
	$(GO) test -p 1 -timeout 15m ./e2e/

frontend-test: frontend/node_modules/.stamp
	cd frontend && npm test

test: test-deps frontend fmt-check vet frontend-test go-test

bench: build
	./bench/run.sh

clean:
	rm -rf bin frontend/dist/assets frontend/dist/*.html
