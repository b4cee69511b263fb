#!/usr/bin/env bash
# Builds every fuzz target and runs each for about N seconds (default 30; the first
# argument overrides), one after the other, on a copy of its committed corpus
# (fuzz/corpus/<target>/ is never modified). Exits non-zero if any target finds a
# crash, printing where the crashing input was saved. Installs nothing: it needs the
# nightly toolchain and cargo-fuzz, which scripts/setup.sh installs.
#
# The run is reproducible: a fixed seed and a fixed number of executions (N seconds
# at the rate each target ran on the 2-core development machine), so the test
# command passes or fails the same way on every machine and every run; a slow
# machine takes longer rather than testing less. A time limit of 4·N seconds per
# target bounds a much slower one. Finding new bugs is the job of the long runs
# (fuzz/README.md), not of the test command.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-30}
case $seconds in '' | *[!0-9]*) echo "usage: $0 [seconds per target]" >&2; exit 2 ;; esac

cargo +nightly fuzz build
targets=$(cargo +nightly fuzz list)

# Executions per second of each target on the development machine (fuzz/README.md).
rate() {
  case $1 in
    explain) echo 500 ;;
    evaluate) echo 80 ;;
    read_npy) echo 3500 ;;
    *) echo 12000 ;;
  esac
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts=artifacts/smoke-$(date +%Y%m%d-%H%M%S)
failed=()
for target in $targets; do
  mkdir -p "$work/$target" "$artifacts/$target"
  cp -r "corpus/$target/." "$work/$target/"
  dict=()
  [ -f "dicts/$target.dict" ] && dict=(-dict="dicts/$target.dict")
  runs=$((seconds * $(rate "$target")))
  echo "fuzz-smoke: $target, $runs executions (about ${seconds}s), seed 1"
  # One worker (-jobs/-workers 1): the machine is shared. The default RSS limit
  # (2 GB) and per-input timeout (20 s here) make an allocation failure or a hang a
  # crash too.
  if cargo +nightly fuzz run "$target" "$work/$target" -- \
      -seed=1 -runs="$runs" -max_total_time=$((4 * seconds)) -timeout=20 -print_final_stats=1 \
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
echo "fuzz-smoke: every target ran without a crash"
