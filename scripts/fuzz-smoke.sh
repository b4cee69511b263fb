#!/usr/bin/env bash
# Builds every fuzz target and runs each for N seconds (default 30; the first
# argument overrides), one after the other, on a copy of its committed corpus
# (fuzz/corpus/<target>/ is never modified). Exits non-zero if any target finds a
# crash, printing where the crashing input was saved. Installs nothing: it needs the
# nightly toolchain and cargo-fuzz, which scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-30}
case $seconds in '' | *[!0-9]*) echo "usage: $0 [seconds per target]" >&2; exit 2 ;; esac

cargo +nightly fuzz build
targets=$(cargo +nightly fuzz list)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts=artifacts/smoke-$(date +%Y%m%d-%H%M%S)
failed=()
for target in $targets; do
  mkdir -p "$work/$target" "$artifacts/$target"
  cp -r "corpus/$target/." "$work/$target/"
  dict=()
  [ -f "dicts/$target.dict" ] && dict=(-dict="dicts/$target.dict")
  echo "fuzz-smoke: $target for ${seconds}s"
  # One worker (-jobs/-workers 1): the machine is shared. The default RSS limit
  # (2 GB) and per-input timeout (20 s here) make an allocation failure or a hang a
  # crash too.
  if cargo +nightly fuzz run "$target" "$work/$target" -- \
      -max_total_time="$seconds" -timeout=20 -print_final_stats=1 \
      -artifact_prefix="$PWD/$artifacts/$target/" "${dict[@]}" >"$work/$target.log" 2>&1; then
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec)' "$work/$target.log" || true
  else
    # What went wrong (the panic message or libFuzzer's verdict), not the whole log.
    grep -E -A4 'panicked at|ERROR: libFuzzer|^SUMMARY' "$work/$target.log" | head -n 30 >&2 || tail -n 30 "$work/$target.log" >&2
    failed+=("$target")
  fi
  for input in "$artifacts/$target"/*; do
    [ -e "$input" ] && echo "fuzz-smoke: $target: crashing input saved as fuzz/$input" >&2
  done
done
rmdir "$artifacts"/* "$artifacts" 2>/dev/null || true

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz-smoke: FAILED: ${failed[*]} (reproduce: cd fuzz && cargo +nightly fuzz run <target> <input>)" >&2
  exit 1
fi
echo "fuzz-smoke: every target ran ${seconds}s without a crash"
