# Baton: `make run` installs what Baton needs, builds everything and starts
# it on embedded defaults; `make test` installs whatever the tests need and
# runs all of them, as CI does; `make test-quick` is the loop to run while
# working (no browser, long tests skipped).

GO        ?= go
CACHE_DIR ?= $(HOME)/.cache/baton
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_BIN := $(CACHE_DIR)/bin/minio
BIN       := bin/baton
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo dev)

export BATON_MINIO_BIN := $(MINIO_BIN)

# System packages, as probe=package[,package...]: the Debian packages are
# installed when the probe (a command on PATH) is missing and dpkg does not
# list them either (initdb and the speech models are not on PATH).
# gcc: SQLite is linked with cgo; without a C compiler Go builds a binary
# whose database driver fails at start.
RUN_PKGS   := gcc=gcc ffmpeg=ffmpeg ffprobe=ffmpeg npm=nodejs,npm
# The quick loop also needs Postgres (tests start their own cluster with
# initdb), Caddy (the scale-out test runs the compose profile's load
# balancer config) and speech tools (espeak-ng speaks, pocketsphinx transcribes).
QUICK_PKGS := $(RUN_PKGS) initdb=postgresql caddy=caddy espeak-ng=espeak-ng \
              pocketsphinx=pocketsphinx pocketsphinx-en-us=pocketsphinx-en-us
# Everything: the browser tests drive Debian's Chromium.
TEST_PKGS  := $(QUICK_PKGS) chromium=chromium

# Packages of the short loop: everything but the browser tests.
QUICK_GO_PKGS = $$($(GO) list ./... | grep -v /e2e)

.PHONY: run build frontend deps deps-run deps-quick test-deps minio test test-quick \
        vet fmt-check tidy-check go-test go-test-quick frontend-test clean bench

run: deps-run build
	@./$(BIN) serve

build: frontend
	$(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $(BIN) ./cmd/baton

# deps installs the system packages of $(DEPS) that are missing: one recipe
# for make run and make test. Without apt-get it names what to install.
deps:
	@missing=""; \
	for pair in $(DEPS); do \
	  probe=$${pair%%=*}; pkgs=$$(echo "$${pair#*=}" | tr , ' '); \
	  command -v "$$probe" >/dev/null 2>&1 && continue; \
	  for p in $$pkgs; do \
	    dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'ok installed' || \
	      case " $$missing " in *" $$p "*) ;; *) missing="$$missing $$p";; esac; \
	  done; \
	done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "Baton needs these packages (Debian names):$$missing; install them and run make again."; \
	    echo "(macOS: brew install ffmpeg node)"; exit 1; \
	  fi; \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

deps-run:
	@$(MAKE) --no-print-directory deps DEPS="$(RUN_PKGS)"

deps-quick: minio
	@$(MAKE) --no-print-directory deps DEPS="$(QUICK_PKGS)"

test-deps: minio
	@$(MAKE) --no-print-directory deps DEPS="$(TEST_PKGS)"

# MinIO for the S3 adapter tests, built from source once into the cache.
minio:
	@test -x $(MINIO_BIN) || { echo "building MinIO $(MINIO_VERSION) into $(CACHE_DIR)/bin (first time only, a few minutes)"; \
	  GOBIN=$(CACHE_DIR)/bin $(GO) install github.com/minio/minio@$(MINIO_VERSION); }

# Order-only on deps-run: npm must exist, but installing it does not make
# node_modules stale.
frontend/node_modules/.stamp: frontend/package.json frontend/package-lock.json | deps-run
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

frontend: frontend/node_modules/.stamp
	cd frontend && npm run build

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './frontend/node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# go.mod and go.sum say exactly what the code imports.
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

# Browser tests run after the rest, alone: they are timing-sensitive and
# would otherwise compete with the ffmpeg-heavy packages for 2 cores.
go-test:
	$(GO) test -race -timeout 20m $(QUICK_GO_PKGS)
	$(GO) test -p 1 -timeout 15m ./e2e/

# -short skips the load, soak and fault tests (each says so); everything
# else runs as in CI, with the race detector, against real ffmpeg, SQLite
# and MinIO.
go-test-quick:
	$(GO) test -race -short -timeout 20m $(QUICK_GO_PKGS)

frontend-test: frontend/node_modules/.stamp
	cd frontend && npm test

test: test-deps frontend fmt-check vet tidy-check frontend-test go-test

test-quick: deps-quick frontend fmt-check vet frontend-test go-test-quick

bench: build
	./bench/run.sh

clean:
	rm -rf bin frontend/dist/assets frontend/dist/*.html
