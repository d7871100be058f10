#!/usr/bin/env bash
# Installs (as root, with apt-get) the Debian 12 packages the project needs that are missing.
# Usage: scripts/install-deps.sh [--with-tools | --debootstrap]
#   --with-tools   also clang for the fuzzer, strace, xvfb
#   --debootstrap  only debootstrap (docker/compose.sh, to make the Docker base images locally)
set -euo pipefail

packages=(cmake ninja-build g++ make pkg-config qt6-base-dev libgl-dev libyaml-cpp-dev zlib1g-dev openssl
    qt6-tools-dev qt6-l10n-tools qt6-translations-l10n libsystemd-dev dpkg-dev)
case "${1:-}" in
    "") ;;
    --with-tools) packages+=(clang libclang-rt-14-dev strace xvfb xauth procps systemd) ;;
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
