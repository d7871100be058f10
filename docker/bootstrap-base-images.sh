#!/usr/bin/env bash
# Creates the base images debian:bookworm and debian:bookworm-slim locally, for hosts that reach
# Debian's package mirror but no image registry. One debootstrap (variant minbase, as the official
# images are built) is imported twice: as debian:bookworm, and, with documentation, man pages and
# locales removed and excluded from later installs (what the official -slim images do), as
# debian:bookworm-slim.
#
# Usage: docker/bootstrap-base-images.sh [--force]
#   --force   rebuild both images even when they already exist.
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), BOOTSTRAP_DIR (work folder,
# default a temporary one; removed at the end).
# Needs root, debootstrap and a running Docker engine.
set -euo pipefail

readonly SUITE=bookworm
readonly MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly FULL_IMAGE=debian:bookworm
readonly SLIM_IMAGE=debian:bookworm-slim

log() { echo "bootstrap-base-images: $*"; }
die() { echo "bootstrap-base-images: error: $*" >&2; exit 1; }

force=0
case "${1:-}" in
    "") ;;
    --force) force=1 ;;
    *) die "unknown argument '$1' (usage: $0 [--force])" ;;
esac

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap needs it)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
docker info >/dev/null 2>&1 || die "no Docker engine answers 'docker info'"

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

if [[ $force -eq 0 ]] && have_image "$FULL_IMAGE" && have_image "$SLIM_IMAGE"; then
    log "$FULL_IMAGE and $SLIM_IMAGE already exist; nothing to do"
    exit 0
fi

work=${BOOTSTRAP_DIR:-$(mktemp -d /var/tmp/loteria-debootstrap.XXXXXX)}
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

log "debootstrap --variant=minbase $SUITE from $MIRROR (takes a few minutes)"
start=$SECONDS
debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
log "debootstrap done in $((SECONDS - start)) s"

# The same sources as the official images, so `apt-get install` works in a build stage.
cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb ${MIRROR%/debian}/debian-security $SUITE-security main
EOF
# Keep images small: no cached .debs, no downloaded package lists.
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'APT::Install-Recommends "false";' >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log "$rootfs"/tmp/*
# debootstrap copies the host's resolv.conf and hostname; Docker provides its own at run time.
: >"$rootfs/etc/resolv.conf"
echo localhost >"$rootfs/etc/hostname"

import() {
    local image=$1
    tar --numeric-owner --xattrs -C "$rootfs" -c . |
        docker import \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["bash"]' \
            --message "debootstrap --variant=minbase $SUITE (loteria bootstrap)" \
            - "$image" >/dev/null
    log "imported $image ($(docker image inspect -f '{{.Size}}' "$image") bytes)"
}

import "$FULL_IMAGE"

# Slim: what the official -slim variant drops, and a dpkg filter so later installs drop it too.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/lintian/* "$rootfs"/usr/share/linda/*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +

import "$SLIM_IMAGE"
log "done in $((SECONDS - start)) s"
