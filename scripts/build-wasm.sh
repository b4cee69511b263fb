#!/usr/bin/env bash
# Compiles the core to WebAssembly and generates the JavaScript package in pkg/
# (ES module, .wasm and TypeScript definitions).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --lib --profile wasm --target wasm32-unknown-unknown
wasm-bindgen --target web --out-dir pkg --out-name lrp target/wasm32-unknown-unknown/wasm/lrp.wasm
echo "pkg/lrp_bg.wasm: $(stat -c %s pkg/lrp_bg.wasm) bytes"
