#!/usr/bin/env bash
# Installs what mockforge needs from Debian 12 (and npm for the JS client
# tests). README, CI and the benchmarks all use this one script.
#
#   scripts/install-deps.sh [build] [test] [peers] [package] [ci]   (no argument: the first three)
#
#   build  compiler toolchain and the libraries mockforge links
#   test   real client libraries and tools the test suites drive, fuzzing and
#          promtool
#   peers  the brokers that differential tests and benchmarks compare against,
#          and the client libraries the benchmark programs (bench/) link
#   package  what CPack needs to build the .deb packages (file, dpkg-shlibdeps)
#   ci     what CI's own checks need: clang-format, and mmdebstrap for the
#          fresh-root stage (scripts/ci/fresh-root.sh)
set -euo pipefail

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(build test peers)

build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config python3
  libboost1.81-dev libfmt-dev libspdlog-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev
  zlib1g-dev libzstd-dev liblz4-dev libsnappy-dev
  amqp-specs libvalijson-dev libssl-dev
  libgtest-dev libgmock-dev
)
test_pkgs=(
  clang libclang-rt-14-dev
  librdkafka-dev kcat
  libpaho-mqtt-dev mosquitto-clients
  librabbitmq-dev amqp-tools
  python3-confluent-kafka python3-kafka python3-paho-mqtt python3-pika python3-jsonschema
  python3-pytest json-schema-test-suite
  prometheus curl procps openssl
)
peer_pkgs=(mosquitto rabbitmq-server librdkafka-dev libmosquitto-dev librabbitmq-dev)
package_pkgs=(file dpkg-dev)
ci_pkgs=(clang-format mmdebstrap curl)

pkgs=()
for group in "${groups[@]}"; do
  case "$group" in
    build) pkgs+=("${build_pkgs[@]}") ;;
    test)
      pkgs+=("${test_pkgs[@]}")
      # Node.js may come from elsewhere with its own npm; use Debian's otherwise.
      command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
      ;;
    peers) pkgs+=("${peer_pkgs[@]}") ;;
    package) pkgs+=("${package_pkgs[@]}") ;;
    ci) pkgs+=("${ci_pkgs[@]}") ;;
    *) echo "install-deps: unknown group '$group' (build, test, peers, package, ci)" >&2; exit 2 ;;
  esac
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for pkg in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  # Services from these packages (prometheus, mosquitto, rabbitmq) must not
  # start on their default ports: the test suites start their own instances.
  policy_created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    policy_created=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ "$policy_created" -eq 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
else
  echo "install-deps: all Debian packages present"
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for group in "${groups[@]}"; do
  if [ "$group" = test ] && [ -f "$here/tests/clients/package-lock.json" ]; then
    (cd "$here/tests/clients" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
