#!/usr/bin/env bash
# Installs everything, builds, and runs every test suite (unit, codec golden
# bytes, fuzz replays, integration, real clients, examples) under
# AddressSanitizer + UndefinedBehaviorSanitizer (debug build). One sanitized pass covers
# what a plain pass would, and two full builds do not fit CI's time on 2 cores.
#
#   scripts/test.sh            everything, under ASan+UBSan (what CI runs)
#   scripts/test.sh --plain    the same suites on the plain debug build
#   scripts/test.sh -L unit    extra arguments go to ctest (here: only unit tests)
#
# After the main pass, the multi-threaded storage and session-layer tests run
# again under ThreadSanitizer (preset tsan, only those targets), which checks
# the threading model documented in core/storage/README.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

preset=asan
ctest_args=()
for arg in "$@"; do
  case "$arg" in
    --plain) preset=debug ;;
    *) ctest_args+=("$arg") ;;
  esac
done

scripts/install-deps.sh build test peers

jobs="$(nproc)"
echo "=== build: $preset"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$jobs"
echo "=== test: $preset"
ctest --preset "$preset" -j "$jobs" --timeout 600 "${ctest_args[@]}"

# The race check builds only the thread-heavy unit tests; a whole TSan build
# would not fit CI's time on 2 cores. Skipped when ctest got a filter.
if [[ ${#ctest_args[@]} -eq 0 ]]; then
  echo "=== race check: tsan (storage, net)"
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j "$jobs" --target storage_unit_tests net_test
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
  build/tsan/tests/unit/storage/storage_unit_tests --gtest_brief=1
  build/tsan/tests/unit/net/net_test --gtest_brief=1
fi
