# The two commands of the README. Both install what they need first.
PORT ?= 8000
# About how many seconds each fuzz target runs in the test command's smoke run (seeded, a fixed number of executions).
FUZZ_SECONDS ?= 30

.PHONY: demo test offline setup wasm page

## Build the wasm package and serve the page at http://localhost:$(PORT)/www/
demo: setup wasm page
	node scripts/serve.mjs --port $(PORT)

## The one-file offline build: dist/lrp-explainer.html works from disk, with no network
offline: setup wasm page
	node scripts/build-offline.mjs

## Every test: generated files, Rust (native), the PyTorch export (when torch is installed),
## the wasm module in Node, the JS API, the page and the one-file build in headless
## Chromium, and a short run of every fuzz target.
test: setup wasm page
	node scripts/build-offline.mjs
	scripts/check-generated.sh
	cargo test --release
	@if python3 -c "import torch, safetensors" 2>/dev/null; then python3 -m unittest discover -s export; \
	else echo "skipped the export tests: torch and safetensors are not installed (pip install -r reference/requirements.txt)"; fi
	cargo test --release --target wasm32-unknown-unknown --test wasm
	node --test tests/js/ tests/browser/
	scripts/fuzz-smoke.sh $(FUZZ_SECONDS)

setup:
	@scripts/setup.sh

wasm:
	@scripts/build-wasm.sh

## www/catalogue.js, and www/app.bundle.js and www/lrp-explainer.bundle.js: the page's and the widget's modules in one file each
page:
	@node scripts/build-page.mjs
