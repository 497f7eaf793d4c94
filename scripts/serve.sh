#!/usr/bin/env bash
# Installs the build dependencies, builds the mockforge binary (release, no
# tests or benchmarks) and runs `mockforge serve` with any arguments given
# (e.g. --config mockforge.yaml).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/install-deps.sh build
cmake --preset serve >/dev/null
cmake --build --preset serve --target mockforge
exec build/serve/cli/mockforge serve "$@"
