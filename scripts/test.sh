#!/usr/bin/env bash
# Installs everything, builds, and runs every test suite: the debug build
# (unit, codec golden bytes, fuzz replays, integration, real clients,
# examples) and then the same suites under AddressSanitizer + UBSan.
#
#   scripts/test.sh            everything
#   scripts/test.sh --no-asan  skip the sanitizer pass (quicker local runs)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

asan=1
for arg in "$@"; do
  case "$arg" in
    --no-asan) asan=0 ;;
    *) echo "test.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh build test peers

jobs="$(nproc)"
run_suite() {
  local preset="$1"
  echo "=== build: $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== test: $preset"
  ctest --preset "$preset" -j "$jobs" --timeout 600
}

run_suite debug
if [ "$asan" -eq 1 ]; then
  run_suite asan
fi
