#!/usr/bin/env bash
# Fuzzing campaign: builds the fuzz preset (clang, libFuzzer, ASan+UBSan) and
# runs each libFuzzer target for a set time on its corpus, then merges what
# it found into the target's corpus in the repository, minimised against the
# read-only seeds (libFuzzer -merge=1: only inputs that add coverage stay).
# Prints executions, coverage (cov: edges, ft: features) and crashes per
# target. A crash stops that target; its input is kept under build/fuzz/crashes.
# --runs stops a target after that many executions (with no --time, it has no
# time limit); --time alone stops it after that many seconds (default 120).
#
#   scripts/fuzz.sh [--time SECONDS] [--runs N] [--target NAME]... [--no-build] [--no-merge]
#
# The targets and their corpora come from build/fuzz/fuzz-targets/<name>
# (written by mockforge_fuzzer() in cmake/MockforgeTargets.cmake): the binary,
# then the target's own corpus, then seed directories.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build/fuzz"
seconds=""
runs=""
targets=()
do_build=1
do_merge=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --no-build) do_build=0; shift ;;
    --no-merge) do_merge=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -z "$runs" || "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --runs takes a count" >&2; exit 2; }
if [[ -z "$seconds" ]]; then
  if [[ -n "$runs" ]]; then seconds=0; else seconds=120; fi
fi
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --time takes seconds" >&2; exit 2; }
limit="${seconds}s"
[[ "$seconds" == 0 ]] && limit="no time limit"
[[ -n "$runs" ]] && limit="$limit, $runs runs"

cd "$root"
if [[ $do_build == 1 ]]; then
  cmake --preset fuzz >/dev/null
  if [[ ${#targets[@]} -gt 0 ]]; then
    cmake --build --preset fuzz --target "${targets[@]}"
  else
    cmake --build --preset fuzz --target fuzzers
  fi
fi
if [[ ${#targets[@]} -eq 0 ]]; then
  for file in "$build"/fuzz-targets/*; do targets+=("$(basename "$file")"); done
fi

crashes_dir="$build/crashes"
logs="$build/fuzz-logs"
mkdir -p "$crashes_dir" "$logs"
summary=()
failed=0
for target in "${targets[@]}"; do
  list="$build/fuzz-targets/$target"
  [[ -f "$list" ]] || { echo "fuzz.sh: no fuzz target $target" >&2; exit 2; }
  mapfile -t lines < "$list"
  binary="${lines[0]}"
  corpus="${lines[1]}"
  seeds=("${lines[@]:2}")
  mkdir -p "$corpus"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir "$work/run" "$work/seeds" "$work/merged"
  # The seeds under their content hash, as libFuzzer names what it merges.
  for dir in "${seeds[@]}"; do
    [[ -d "$dir" ]] || continue
    find "$dir" -type f -print0 | while IFS= read -r -d '' file; do
      cp "$file" "$work/seeds/$(sha1sum "$file" | cut -c1-40)"
    done
  done
  cp -r "$corpus"/. "$work/run/" 2>/dev/null || true

  echo "== $target: $limit"
  log="$logs/$target.log"
  status=0
  runs_flag=()
  [[ -n "$runs" ]] && runs_flag=(-runs="$runs")
  started=$SECONDS
  # -timeout: an input taking over 30 s is a hang; -rss_limit_mb: a leak.
  # malloc_context_size=0: ASan records no stack per allocation (a third of a
  # YAML campaign's time). Errors are still found; replay a crash in
  # build/asan for its allocation and free stacks.
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:malloc_context_size=0}" \
    "$binary" "$work/run" "$work/seeds" -max_total_time="$seconds" "${runs_flag[@]}" -timeout=30 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes_dir/$target-" \
    >"$log" 2>&1 || status=$?
  took=$((SECONDS - started))
  execs="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -o '[0-9]*$' || true)"
  rate="$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -o '[0-9]*$' || true)"
  last="$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1 || true)"
  cov="$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")"
  if [[ -z "$execs" ]]; then execs="$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")"; fi
  crash="none"
  if [[ $status -ne 0 ]]; then
    crash="$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|==[0-9]+== ERROR' "$log" || echo "exit $status")"
    failed=1
    tail -40 "$log"
  fi

  kept="$(find "$corpus" -type f | wc -l)"
  merged=0
  if [[ $do_merge == 1 ]]; then
    cp -r "$work/seeds"/. "$work/merged/"
    merged=1
    "$binary" -merge=1 -timeout=30 -rss_limit_mb=2048 "$work/merged" "$corpus" "$work/run" \
      >"$logs/$target.merge.log" 2>&1 || {
      echo "merge failed, see $logs/$target.merge.log; $corpus left as it was" >&2
      failed=1
      merged=0
    }
  fi
  if [[ $do_merge == 1 && $merged == 1 ]]; then
    # What the merge kept beyond the seeds is the repository corpus now. Inputs named by
    # hand (anything but a 40-digit SHA-1, the names libFuzzer gives) were put there on
    # purpose and stay under their names; the merge's result replaces the hash-named rest.
    declare -A hand_named=()
    while IFS= read -r -d '' file; do
      [[ "$(basename "$file")" =~ ^[0-9a-f]{40}$ ]] && continue
      hand_named["$(sha1sum "$file" | cut -c1-40)"]=1
    done < <(find "$corpus" -type f -print0)
    find "$corpus" -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
    for file in "$work/merged"/*; do
      [[ -e "$file" ]] || continue
      name="$(basename "$file")"
      [[ -e "$work/seeds/$name" || -n "${hand_named[$name]:-}" ]] || cp "$file" "$corpus/$name"
    done
    unset hand_named
    kept="$(find "$corpus" -type f | wc -l)"
  fi
  rm -rf "$work"
  trap - EXIT
  line="$(printf '%-26s %6ss %12s execs %8s/s  cov %6s  ft %7s  corpus %5s  crash: %s' \
    "$target" "$took" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$kept" "$crash")"
  echo "$line"
  summary+=("$line")
done

echo
echo "== summary ($(date -u +%Y-%m-%dT%H:%MZ), $limit per target)"
printf '%s\n' "${summary[@]}"
exit $failed
