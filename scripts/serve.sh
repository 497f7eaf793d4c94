#!/usr/bin/env bash
# Installs the build dependencies, builds a release mockforge and runs
# `mockforge serve` with any arguments given (e.g. --config mockforge.yaml).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/install-deps.sh build
cmake --preset release >/dev/null
cmake --build --preset release --target mockforge
exec build/release/cli/mockforge serve "$@"
