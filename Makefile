# FeatureMemory — quick start: `make demo`, then `make test`.
SWIFT      ?= swift
DEMO_STORE ?= .demo-store
DEMO_DATA  ?= ../shared/data/minilm-debian
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SYSTEM_PACKAGES := liblmdb-dev liblz4-dev pkg-config

.PHONY: all deps build demo test bench clean

all: build

# Installs the system libraries (Debian packages) when pkg-config cannot find them.
deps:
	@if ! pkg-config --exists lmdb liblz4 2>/dev/null; then \
		echo "installing $(SYSTEM_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES); \
	fi

build: deps
	$(SWIFT) build -c release --product fmdb

# The main job: import vectors into $(DEMO_STORE), inspect, search, verify, and say what it did.
demo: build
	@bash tools/demo.sh "$(DEMO_STORE)" "$(DEMO_DATA)"

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

bench: deps
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark

clean:
	rm -rf .build "$(DEMO_STORE)"
