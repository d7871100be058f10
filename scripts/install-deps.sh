#!/usr/bin/env bash
# Installs (as root, with apt-get) the Debian 12 packages the project needs that are missing.
# Usage: scripts/install-deps.sh [--with-tools | --debootstrap]
#   --with-tools   also clang for the fuzzer, strace, xvfb, python3 (docs/AUDIT.md's script); for the admin endpoint's tests promtool
#                  (prometheus), curl, and node + npm + chromium for the dashboard's browser test
#   --debootstrap  only debootstrap (docker/compose.sh, to make the Docker base images locally)
set -euo pipefail

# qt6-httpserver-dev needs qt6-websockets-dev for its CMake package, but Debian 12 does not pull it in.
packages=(cmake ninja-build g++ make pkg-config qt6-base-dev qt6-httpserver-dev qt6-websockets-dev libgl-dev
    libyaml-cpp-dev zlib1g-dev openssl qt6-tools-dev qt6-l10n-tools qt6-translations-l10n libsystemd-dev
    dpkg-dev libqt6sql6-psql libpq-dev libssl-dev postgresql-15)
case "${1:-}" in
    "") ;;
    --with-tools)
        packages+=(clang libclang-rt-14-dev strace xvfb xauth procps systemd prometheus curl chromium ccache
            python3)
        # node and npm: a machine may already have them from another package (e.g. nodejs 20 that
        # bundles npm); Debian's own are installed only when there is no node at all.
        if ! command -v node >/dev/null 2>&1; then
            packages+=(nodejs npm)
        elif ! command -v npm >/dev/null 2>&1; then
            packages+=(npm)
        fi
        ;;
    --debootstrap) packages=(debootstrap) ;;
    *) echo "usage: $0 [--with-tools | --debootstrap]" >&2; exit 2 ;;
esac

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
    sudo=sudo
else
    sudo=
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
