#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a fixed time each (seconds, default 600).
#   scripts/fuzz.sh [seconds] [target...]
# Works on the stable toolchain through RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z flags); set
# FUZZ_SANITIZER=none if AddressSanitizer is unavailable. Crashes land in fuzz/artifacts/<target>/;
# the corpus grows in fuzz/corpus/<target>/ (seeded from fuzz/seeds/<target>/).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(graphql agui gemini_sse); fi
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: cargo install cargo-fuzz" >&2; exit 2; }
export RUSTC_BOOTSTRAP=1
san=(--sanitizer "${FUZZ_SANITIZER:-address}")
status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  [ -d "seeds/$t" ] && cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null || true
  echo "== $t: ${secs}s"
  if ! cargo fuzz run "${san[@]}" -O "$t" "corpus/$t" -- \
      -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="artifacts/$t/"; then
    echo "!! $t: crash found, see fuzz/artifacts/$t/" >&2
    status=1
  fi
done
exit $status
