# FeatureMemory — quick start: `make demo`, then `make test`.
SWIFT      ?= swift
DEMO_STORE ?= .demo-store
DEMO_DATA  ?= ../shared/data/minilm-debian
DEMO_SPEECH ?= .demo-speech
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SYSTEM_PACKAGES := liblmdb-dev liblz4-dev pkg-config

.PHONY: all deps speech-deps build demo test bench clean

all: build

# Installs the system libraries (Debian packages) when pkg-config cannot find them.
deps:
	@if ! pkg-config --exists lmdb liblz4 2>/dev/null; then \
		echo "installing $(SYSTEM_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES); \
	fi

# espeak-ng synthesizes the demo's spoken words.
speech-deps:
	@if ! command -v espeak-ng >/dev/null 2>&1; then \
		echo "installing espeak-ng"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq espeak-ng; \
	fi

build: deps
	$(SWIFT) build -c release --product fmdb

# The main job: learn spoken words from some voices and recognize voices never heard (in
# $(DEMO_SPEECH)), then the vector store underneath: import into $(DEMO_STORE), search, verify.
demo: build speech-deps
	@bash tools/speech-demo.sh "$(DEMO_SPEECH)"
	@bash tools/demo.sh "$(DEMO_STORE)" "$(DEMO_DATA)"

# The suite, the dashboard in headless Chromium against the debug build's `fmdb serve` under
# load (tools/dashboard-e2e, under a minute), a short server crash test (5 kills of the debug
# build's `fmdb serve`, well under a minute), then the QuickStart example (its own package,
# built in debug like the tests): it exits non-zero when a result is wrong.
# The layer rules first (seconds): no import cycle between folders or targets, none against
# docs/architecture.md's layers, no source file over 400 lines, the served openapi.yaml and
# dashboard page up to date.
# After the suite, schemathesis against a running `fmdb serve` (tools/schema-test, about 2 minutes).
test: deps
	python3 tools/folder-graph --check >/dev/null
	bash tools/check-file-lengths
	python3 tools/embed-openapi --check
	python3 tools/embed-dashboard --check
	$(SWIFT) build --build-tests
	$(SWIFT) test
	python3 tools/dashboard-e2e --fmdb "$$($(SWIFT) build --show-bin-path)/fmdb"
	bash tools/crash-test --server --iterations 5 --fmdb "$$($(SWIFT) build --show-bin-path)/fmdb"
	bash tools/schema-test
	$(SWIFT) build --package-path Examples/QuickStart
	"$$($(SWIFT) build --package-path Examples/QuickStart --show-bin-path)/QuickStart"

bench: deps
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark

clean:
	rm -rf .build Examples/QuickStart/.build "$(DEMO_STORE)" "$(DEMO_SPEECH)"
