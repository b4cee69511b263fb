#!/usr/bin/env bash
# Compiles the core to WebAssembly and generates the JavaScript package in pkg/
# (ES module, .wasm, TypeScript definitions and the npm manifest; pkg/README.md, the
# package's page, is written by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --lib --profile wasm --target wasm32-unknown-unknown
# Without the function names (27 kB gzipped): a panic still says what went wrong, in its message.
wasm-bindgen --target web --remove-name-section --out-dir pkg --out-name lrp target/wasm32-unknown-unknown/wasm/lrp.wasm

# The npm manifest, from Cargo.toml's version, description and licence.
field() {
  awk -v key="$1" '/^\[/ { section = $0 } section == "[package]" && $1 == key {
    sub(/^[^=]*= *"/, ""); sub(/"$/, ""); print; exit }' Cargo.toml
}
cat > pkg/package.json <<JSON
{
  "name": "lrp-explainer",
  "version": "$(field version)",
  "description": "$(field description): the WebAssembly module",
  "license": "$(field license)",
  "type": "module",
  "main": "./lrp.js",
  "types": "./lrp.d.ts",
  "exports": {
    ".": { "types": "./lrp.d.ts", "default": "./lrp.js" },
    "./lrp_bg.wasm": "./lrp_bg.wasm",
    "./package.json": "./package.json"
  },
  "files": ["lrp.js", "lrp.d.ts", "lrp_bg.wasm", "lrp_bg.wasm.d.ts", "README.md"],
  "sideEffects": false,
  "keywords": ["lrp", "layer-wise relevance propagation", "explainable ai", "xai", "mnist", "webassembly", "zennit"]
}
JSON
echo "pkg/lrp_bg.wasm: $(stat -c %s pkg/lrp_bg.wasm) bytes"
