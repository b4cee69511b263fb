# The two commands of the README. Both install what they need first.
PORT ?= 8000

.PHONY: demo test setup wasm

## Build the wasm package and serve the page at http://localhost:$(PORT)/www/
demo: setup wasm
	@echo "Serving http://localhost:$(PORT)/www/ (Ctrl-C to stop)"
	python3 -m http.server $(PORT) --bind 127.0.0.1

## Every test: Rust (native), the wasm module in Node, and the page in headless Chromium.
test: setup wasm
	cargo test --release
	cargo test --release --target wasm32-unknown-unknown --test wasm
	node --test tests/browser/

setup:
	@scripts/setup.sh

wasm:
	@scripts/build-wasm.sh
