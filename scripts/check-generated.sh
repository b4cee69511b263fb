#!/usr/bin/env bash
# Fails when a generated file that is committed differs from what the sources
# generate: pkg/, www/catalogue.js, www/app.bundle.js and www/lrp-explainer.bundle.js (the
# wasm package, the models and methods it describes, the page's and the widget's bundles,
# rebuilt by `make wasm page` just before this) and the
# galleries www/gallery.js and www/gallery-fashion-mnist.js and the concepts panel's
# data/concepts/*.json (regenerated here into temporary files). The wasm build is byte-for-byte reproducible with the toolchain
# pinned in rust-toolchain.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
in_git=false
if git rev-parse --verify -q HEAD >/dev/null 2>&1; then
  in_git=true
  generated=(pkg/ www/catalogue.js www/app.bundle.js www/lrp-explainer.bundle.js)
  if ! git diff --quiet HEAD -- "${generated[@]}" || [ -n "$(git ls-files --others --exclude-standard -- "${generated[@]}")" ]; then
    echo "check-generated: the rebuilt pkg/, www/catalogue.js or a bundle differs from the committed one:" >&2
    git status --short -- "${generated[@]}" >&2
    echo "  commit them (make wasm page) together with the sources that changed them" >&2
    status=1
  fi
else
  echo "check-generated: not a git checkout; comparing the galleries with the working tree only" >&2
fi

for dataset in mnist fashion-mnist; do
  file=www/gallery.js
  [ $dataset = mnist ] || file=www/gallery-$dataset.js
  committed=$file
  if $in_git; then
    committed=$(mktemp)
    git show "HEAD:$file" > "$committed" 2>/dev/null || : > "$committed"
  fi
  fresh=$(mktemp)
  cargo run --release --quiet -- gallery --dataset $dataset --out "$fresh" >/dev/null
  if ! cmp -s "$fresh" "$committed"; then
    echo "check-generated: $file differs from what \`cargo run --release -- gallery --dataset $dataset\` writes; regenerate and commit it" >&2
    status=1
  fi
  rm -f "$fresh"
  [ "$committed" = "$file" ] || rm -f "$committed"
done
# The concepts panel's reference inputs (lrp concepts over the first 1,000 test images).
fresh=$(mktemp -d)
cargo run --release --quiet -- concepts --n 1000 --k 4 --out "$fresh" >/dev/null
for file in "$fresh"/*.json; do
  name=data/concepts/$(basename "$file")
  committed=$name
  if $in_git; then
    committed=$(mktemp)
    git show "HEAD:$name" > "$committed" 2>/dev/null || : > "$committed"
  fi
  if ! cmp -s "$file" "$committed"; then
    echo "check-generated: $name differs from what \`cargo run --release -- concepts --n 1000 --k 4 --out data/concepts\` writes; regenerate and commit it" >&2
    status=1
  fi
  [ "$committed" = "$name" ] || rm -f "$committed"
done
rm -rf "$fresh"
[ $status = 0 ] && echo "check-generated: pkg/, www/catalogue.js, the bundles, the galleries and data/concepts/ match their sources"
exit $status
