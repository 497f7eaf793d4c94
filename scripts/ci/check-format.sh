#!/usr/bin/env bash
# Fails when a C++ source of ours is not clang-formatted (.clang-format).
# Fix with: git ls-files '*.cpp' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
mapfile -t files < <(git ls-files '*.cpp' '*.h' '*.cc' '*.hpp')
clang-format --dry-run -Werror "${files[@]}"
echo "check-format: ${#files[@]} files formatted"
