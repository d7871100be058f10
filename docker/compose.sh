#!/usr/bin/env bash
# The Makefile's docker-* targets. Works with `docker compose` (v2) or `docker-compose` (v1).
#
#   docker/compose.sh image                  build loteria-server, loteria-agency and
#                                            loteria-postgres (./generar-compose.sh --postgres)
#   docker/compose.sh up   [COMPOSE_FILE]    build the images, then start everything detached
#   docker/compose.sh logs [COMPOSE_FILE]    follow every container's log
#   docker/compose.sh down [COMPOSE_FILE]    stop (10 s grace), then remove containers and network
#                                            (and with them bets kept in the server container; a
#                                            --keep-bets volume and --postgres's database volume
#                                            are kept: `docker compose down -v` removes them)
#   docker/compose.sh services [COMPOSE_FILE]  list the file's services (checks that it parses)
#   docker/compose.sh project                print the compose project's name
#
# COMPOSE_FILE defaults to docker-compose-dev.yaml (make it with ./generar-compose.sh). Relative
# paths resolve from the repository root, wherever the compose file is, and the project name is
# the one plain `docker compose` gives in the repository root: the checkout folder's name
# (COMPOSE_PROJECT_NAME overrides it), so `make docker-compose-down` and `docker compose down`
# act on the same containers, and two checkouts are two projects. Base images: when
# debian:bookworm(-slim) are missing they are made locally with docker/bootstrap-base-images.sh
# (debootstrap, installed first when missing, as scripts/install-deps.sh does), unless
# LOTTERY_DOCKER_PULL=1 asks to pull them. LOTTERY_DOCKER_BUILD=0 makes `up` use the images as
# they are, without building. LOTTERY_IMAGE_TAG (default latest) tags the images it builds.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly STOP_GRACE_SECONDS=10
# The images' tag; generar-compose.sh writes the same one (e.g. a test's own, on a shared host).
readonly IMAGE_TAG=${LOTTERY_IMAGE_TAG:-latest}
readonly BASE_IMAGES=(debian:bookworm debian:bookworm-slim)

die() { echo "compose.sh: error: $*" >&2; exit 1; }
log() { echo "compose.sh: $*"; }

usage() {
    echo "usage: $0 image | project | up|logs|down|services [COMPOSE_FILE]" >&2
    exit 2
}

# Sets the array `compose` to the compose command this host has (empty when none): v2's plugin
# first, else `docker-compose` (v1, or v2's standalone binary under the old name).
detect_compose() {
    compose=()
    if docker compose version >/dev/null 2>&1; then
        compose=(docker compose)
    elif command -v docker-compose >/dev/null 2>&1; then
        compose=(docker-compose)
    fi
}

find_compose() {
    detect_compose
    [[ ${#compose[@]} -gt 0 ]] || die "neither 'docker compose' nor 'docker-compose' is installed"
}

# The major version of that compose (1 or 2; 1 when there is none).
compose_major() {
    local compose version
    detect_compose
    [[ ${#compose[@]} -gt 0 ]] || { echo 1; return; }
    version=$("${compose[@]}" version --short 2>/dev/null || echo 1)
    version=${version#v}
    echo "${version%%.*}"
}

ensure_base_images() {
    local missing=()
    local image
    for image in "${BASE_IMAGES[@]}"; do
        docker image inspect "$image" >/dev/null 2>&1 || missing+=("$image")
    done
    [[ ${#missing[@]} -gt 0 ]] || return 0
    if [[ "${LOTTERY_DOCKER_PULL:-0}" == 1 ]]; then
        for image in "${missing[@]}"; do
            log "pulling $image"
            timeout 120 docker pull "$image" || log "could not pull $image"
        done
        missing=()
        for image in "${BASE_IMAGES[@]}"; do
            docker image inspect "$image" >/dev/null 2>&1 || missing+=("$image")
        done
        [[ ${#missing[@]} -gt 0 ]] || return 0
    fi
    log "base images missing (${missing[*]}): creating them with debootstrap"
    # Both steps need root: as another user, through sudo when there is one.
    local as_root=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null ||
            die "making the base images needs root: run 'sudo $ROOT/docker/bootstrap-base-images.sh'" \
                "once (or LOTTERY_DOCKER_PULL=1 to pull them from a registry)"
        as_root=(sudo)
    fi
    if ! command -v debootstrap >/dev/null; then
        log "debootstrap is not installed: installing it (scripts/install-deps.sh --debootstrap)"
        "${as_root[@]}" "$ROOT/scripts/install-deps.sh" --debootstrap ||
            die "could not install debootstrap: run 'apt-get install debootstrap' as root," \
                "or LOTTERY_DOCKER_PULL=1 to pull the base images instead"
    fi
    "${as_root[@]}" "$ROOT/docker/bootstrap-base-images.sh"
}

build_images() {
    docker info >/dev/null 2>&1 || die "no Docker engine answers 'docker info' (is dockerd running?)"
    ensure_base_images
    local target
    for target in server agency postgres; do
        log "building loteria-$target"
        local build_log=${TMPDIR:-/tmp}/loteria-docker-build-$target-$IMAGE_TAG.log
        local build=(-f "$ROOT/docker/Dockerfile" --target "$target")
        # The database of `./generar-compose.sh FILE N --postgres` has a Dockerfile of its own.
        [[ $target == postgres ]] && build=(-f "$ROOT/docker/postgres/Dockerfile")
        # The classic builder: it needs no buildx plugin and is what every Docker engine has.
        if ! DOCKER_BUILDKIT=0 docker build "${build[@]}" -t "loteria-$target:$IMAGE_TAG" "$ROOT" \
            >"$build_log" 2>&1; then
            tail -n 40 "$build_log" >&2
            die "building loteria-$target failed (whole log: $build_log)"
        fi
    done
    log "images ready: loteria-server:$IMAGE_TAG loteria-agency:$IMAGE_TAG" \
        "loteria-postgres:$IMAGE_TAG"
}

# The name compose gives the project: COMPOSE_PROJECT_NAME, else the project folder's name,
# lower-cased, keeping only a-z, 0-9, '-' and '_'; v2 (compose-go's NormalizeProjectName) also
# drops leading '-' and '_', v1 keeps them.
project_name() {
    local name=${COMPOSE_PROJECT_NAME:-$(basename "$ROOT")}
    name=$(echo "$name" | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9_-')
    if [[ $(compose_major) -ge 2 ]]; then
        name=$(echo "$name" | sed 's/^[-_]*//')
    fi
    echo "$name"
}

compose_file() {
    local file=${1:-docker-compose-dev.yaml}
    [[ -f "$file" ]] || die "compose file '$file' not found (make it: ./generar-compose.sh $file 5)"
    echo "$(cd "$(dirname "$file")" && pwd)/$(basename "$file")"
}

[[ $# -ge 1 ]] || usage
command=$1
shift
[[ $# -le 1 ]] || usage

case "$command" in
    image)
        [[ $# -eq 0 ]] || usage
        build_images
        ;;
    project)
        [[ $# -le 1 ]] || usage
        project_name
        ;;
    up | logs | down | services)
        file=$(compose_file "${1:-}")
        find_compose
        # No -p: the project is named as plain `docker compose` in $ROOT names it.
        run=("${compose[@]}" --project-directory "$ROOT" -f "$file")
        case "$command" in
            up)
                if [[ "${LOTTERY_DOCKER_BUILD:-1}" == 0 ]]; then
                    log "LOTTERY_DOCKER_BUILD=0: using the existing images"
                else
                    build_images
                fi
                "${run[@]}" up -d
                ;;
            logs)
                "${run[@]}" logs -f
                ;;
            services)
                "${run[@]}" config --services
                ;;
            down)
                "${run[@]}" stop -t "$STOP_GRACE_SECONDS"
                # No -v: a --keep-bets volume outlives the containers on purpose (the default
                # keeps the bets in the server container, which this removes).
                "${run[@]}" down --remove-orphans
                ;;
        esac
        ;;
    *)
        usage
        ;;
esac
