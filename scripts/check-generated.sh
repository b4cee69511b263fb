#!/usr/bin/env bash
# Fails when a generated file that is committed differs from what the sources
# generate: pkg/ (the wasm package, rebuilt by `make wasm` just before this) and
# www/gallery.js (regenerated here into a temporary file). The wasm build is
# byte-for-byte reproducible with the toolchain pinned in rust-toolchain.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
if git rev-parse --verify -q HEAD >/dev/null 2>&1; then
  if ! git diff --quiet HEAD -- pkg/; then
    echo "check-generated: the rebuilt pkg/ differs from the committed one:" >&2
    git diff --stat HEAD -- pkg/ >&2
    echo "  commit the rebuilt pkg/ together with the sources that changed it" >&2
    status=1
  fi
  committed_gallery=$(mktemp)
  git show HEAD:www/gallery.js > "$committed_gallery"
else
  echo "check-generated: not a git checkout; comparing the gallery with the working tree only" >&2
  committed_gallery=www/gallery.js
fi

fresh=$(mktemp)
cargo run --release --quiet -- gallery --out "$fresh" >/dev/null
if ! cmp -s "$fresh" "$committed_gallery"; then
  echo "check-generated: www/gallery.js differs from what \`cargo run --release -- gallery\` writes; regenerate and commit it" >&2
  status=1
fi
rm -f "$fresh"
[ "$committed_gallery" = www/gallery.js ] || rm -f "$committed_gallery"
[ $status = 0 ] && echo "check-generated: pkg/ and www/gallery.js match their sources"
exit $status
