#!/usr/bin/env bash
# Proves README's first command and the Debian packages on a fresh Debian 12
# root: a minimal bookworm made with mmdebstrap from this machine's apt
# sources, with none of the packages a developer installed by hand.
#
#   scripts/ci/fresh-root.sh [stage ...]     (no stage: all)
#
#   serve    run `scripts/serve.sh` in a fresh root (clone of HEAD) until
#            /__mockforge/ready answers 200, then stop it with SIGTERM; then
#            build the .deb packages there (preset `package`, CPack)
#   package  install the .debs with apt in a second fresh root, run
#            `mockforge serve --ready-file` from /usr/bin, and build and run
#            examples/cpp-gtest against the installed package
#
# The base root is cached as a tarball under ~/.cache/mockforge (made once;
# delete it to refresh). ccache's directory is shared into the roots.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(serve package)

cache="${XDG_CACHE_HOME:-$HOME/.cache}/mockforge"
base="$cache/bookworm-minbase.tar"
ccache_dir="${CCACHE_DIR:-$HOME/.cache/ccache}"
work="$(mktemp -d /tmp/mockforge-fresh.XXXXXX)"
out="$repo/build/fresh-root"  # the .deb packages, kept after the run
mkdir -p "$cache" "$ccache_dir" "$out"

mounted=()
cleanup() {
  local m
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

log() { printf '=== fresh-root: %s\n' "$*"; }

# The apt sources of this machine, so the roots use the same archive.
host_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    [ -s "$f" ] && { echo "$f"; return; }
  done
  echo "fresh-root: no apt sources on this machine" >&2
  exit 1
}

make_base() {
  [ -s "$base" ] && return
  log "making the base root (mmdebstrap, once)"
  command -v mmdebstrap >/dev/null || { echo "fresh-root: mmdebstrap missing (scripts/install-deps.sh ci)" >&2; exit 1; }
  mmdebstrap --quiet --format=tar --variant=minbase --include=ca-certificates,git \
    bookworm "$base.tmp" "$(host_sources)"
  mv "$base.tmp" "$base"
}

# new_root DIR: a fresh copy of the base with /proc, /dev, /sys, DNS and ccache.
new_root() {
  local root="$1"
  mkdir -p "$root"
  tar -xf "$base" -C "$root"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  local m
  for m in proc sys dev dev/pts; do
    mkdir -p "$root/$m"
    mount --bind "/$m" "$root/$m"
    mounted+=("$root/$m")
  done
  mkdir -p "$root/root/.cache/ccache"
  mount --bind "$ccache_dir" "$root/root/.cache/ccache"
  mounted+=("$root/root/.cache/ccache")
}

root_env=(/usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
  CCACHE_DIR=/root/.cache/ccache)

in_root() {
  local root="$1"
  shift
  chroot "$root" "${root_env[@]}" "$@"
}

# start_in_root ROOT CMD...: runs CMD in the background; server_pid is the
# process itself (chroot, env and bash all exec), so signals reach it.
start_in_root() {
  local root="$1"
  shift
  chroot "$root" "${root_env[@]}" "$@" &
  server_pid=$!
}

# wait_ready ROOT READY_FILE PID SECONDS: waits for the ready file, then asks
# the admin port whether the server is ready.
wait_ready() {
  local root="$1" file="$2" pid="$3" limit="$4" waited=0
  while [ ! -s "$root$file" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "fresh-root: mockforge exited before it was ready" >&2
      return 1
    fi
    sleep 2
    waited=$((waited + 2))
    if [ "$waited" -ge "$limit" ]; then
      echo "fresh-root: not ready after ${limit}s" >&2
      return 1
    fi
  done
  local port
  port="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ports"]["admin"])' "$root$file")"
  local body
  body="$(curl -sf "http://127.0.0.1:$port/__mockforge/ready")"
  log "ready: $body"
  [ "$body" = '{"ready":true}' ]
}

stop_server() {
  local pid="$1"
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "fresh-root: mockforge exited with $rc after SIGTERM" >&2
    return 1
  fi
  log "stopped cleanly on SIGTERM"
}

serve_args=(--kafka-port 0 --mqtt-port 0 --mqtt-ws-port 0 --amqp-port 0 --admin-port 0)

stage_serve() {
  local root="$work/root-serve"
  new_root "$root"
  git clone -q "$repo" "$root/src/mockforge"
  log "README's first command in a fresh root: scripts/serve.sh"
  start_in_root "$root" bash -c "cd /src/mockforge && exec scripts/serve.sh ${serve_args[*]} --ready-file /tmp/ready.json"
  wait_ready "$root" /tmp/ready.json "$server_pid" 3000
  stop_server "$server_pid"

  log "building the Debian packages (preset package, CPack)"
  in_root "$root" bash -c "cd /src/mockforge && scripts/install-deps.sh package && \
    cmake --preset package >/dev/null && \
    cmake --build --preset package && cd build/package && cpack -G DEB >/dev/null"
  rm -f "$out"/*.deb
  cp "$root"/src/mockforge/build/package/mockforge*.deb "$out/"
  ls -l "$out"
}

stage_package() {
  local root="$work/root-package"
  if ! ls "$out"/mockforge_*.deb >/dev/null 2>&1; then
    echo "fresh-root: no packages built (run the serve stage first)" >&2
    return 1
  fi
  new_root "$root"
  mkdir -p "$root/debs"
  cp "$out"/*.deb "$root/debs/"
  log "apt-get install ./mockforge_*.deb ./mockforge-dev_*.deb"
  in_root "$root" bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends /debs/mockforge_*.deb /debs/mockforge-dev_*.deb >/dev/null"
  in_root "$root" mockforge --version
  start_in_root "$root" mockforge serve "${serve_args[@]}" --ready-file /tmp/ready.json
  wait_ready "$root" /tmp/ready.json "$server_pid" 60
  stop_server "$server_pid"

  log "examples/cpp-gtest against the installed package"
  mkdir -p "$root/src"
  cp -r "$repo/examples/cpp-gtest" "$root/src/cpp-gtest"
  # What the example's own project needs besides mockforge: a toolchain and
  # the client libraries of its service.
  in_root "$root" bash -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    g++ make cmake pkg-config librdkafka-dev libpaho-mqtt-dev >/dev/null"
  in_root "$root" bash -c "cd /src/cpp-gtest && cmake -S . -B build -G 'Unix Makefiles' >/dev/null && \
    cmake --build build -j 2 && cd build && ctest --output-on-failure"
}

# The roots, a Release build and the packages need a few GiB under /tmp; a
# full disk shows up as dpkg failures deep inside a root, so say it first.
need_kib=$((6 * 1024 * 1024))
for dir in /tmp "$cache"; do
  avail="$(df --output=avail -k "$dir" | tail -1 | tr -d ' ')"
  if [ "$avail" -lt "$need_kib" ]; then
    echo "fresh-root: only $((avail / 1024)) MiB free under $dir; the roots need about 6 GiB" >&2
    exit 1
  fi
done

make_base
for stage in "${stages[@]}"; do
  case "$stage" in
    serve) stage_serve ;;
    package) stage_package ;;
    *) echo "fresh-root: unknown stage '$stage' (serve, package)" >&2; exit 2 ;;
  esac
done
log "passed: ${stages[*]}"
