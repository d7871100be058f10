#!/usr/bin/env bash
# Makes everything a secure deployment needs, with openssl (docs/SECURITY.md):
#
#   scripts/make-credentials.sh DIR N [--force]
#
#   DIR/ca.crt             the CA agencies verify the server against (public)
#   DIR/server.crt, .key   the server's certificate (names server, localhost, IP 127.0.0.1) and key
#   DIR/agency-K.token     agency K's secret token, K = 1..N (32 random bytes, hex)
#   DIR/credentials        the server's file: one salted PBKDF2 hash per agency, no token
#
# The CA's private key is used once and deleted: running again (with --force) makes a new CA and
# new tokens. Without --force a DIR that already holds a complete set for N agencies is kept as it
# is, so deployment scripts can call this every time. DIR is made mode 0700, so no other local
# user can reach the files; the files themselves are 0644 so that a container's unprivileged
# user (another uid) can read them where they are mounted one by one, read-only.
#
# Hashing uses lottery-credentials (the server's own code) when it is found (LOTTERY_CREDENTIALS,
# PATH, build*/bin), else `openssl kdf` (OpenSSL 3; LOTTERY_CREDENTIALS=openssl forces it): the
# same PBKDF2-HMAC-SHA256, but the token is then briefly visible to local users in the process
# list of this machine.
set -euo pipefail

readonly ITERATIONS=100000
readonly DAYS=825

usage() {
    echo "usage: $0 DIR N [--force]   (N: agencies, 1..999)" >&2
    exit 2
}

[[ $# -eq 2 || ($# -eq 3 && "${3:-}" == "--force") ]] || usage
dir=$1
agencies=$2
force=${3:-}
[[ -n "$dir" && "$agencies" =~ ^[0-9]+$ ]] || usage
agencies=$((10#$agencies))
((agencies >= 1 && agencies <= 999)) || usage
command -v openssl >/dev/null || {
    echo "make-credentials: openssl is not installed (scripts/install-deps.sh installs it)" >&2
    exit 1
}

complete() {
    local k
    for file in ca.crt server.crt server.key credentials; do
        [[ -s "$dir/$file" ]] || return 1
    done
    for ((k = 1; k <= agencies; ++k)); do
        [[ -s "$dir/agency-$k.token" ]] || return 1
        grep -q "^$k:" "$dir/credentials" || return 1
    done
}

if [[ -z "$force" ]] && complete; then
    echo "make-credentials: $dir already holds credentials for $agencies agencies; kept"
    exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
hasher=${LOTTERY_CREDENTIALS:-}
if [[ "$hasher" == openssl ]]; then
    hasher=
elif [[ -z "$hasher" ]]; then
    hasher=$(command -v lottery-credentials || true)
fi
if [[ -z "${LOTTERY_CREDENTIALS:-}" && -z "$hasher" ]]; then
    for candidate in "$root"/build*/bin/lottery-credentials; do
        if [[ -x "$candidate" ]]; then
            hasher=$candidate
            break
        fi
    done
fi

mkdir -p "$dir"
chmod 700 "$dir"
umask 022
work=$(mktemp -d "$dir/.make-credentials.XXXXXX")
trap 'rm -rf "$work"' EXIT

quiet() {
    local log
    log=$("$@" 2>&1) || {
        echo "make-credentials: failed: $*" >&2
        echo "$log" >&2
        exit 1
    }
}

# CA and server keys: ECDSA P-256 (small and fast; Qt reads them as QSsl::Ec).
quiet openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$work/ca.key" -out "$work/ca.crt" -days "$DAYS" -subj "/CN=Loteria CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
quiet openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$work/server.key" -out "$work/server.csr" -subj "/CN=server"
cat >"$work/server.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:server,DNS:server1,DNS:server2,DNS:localhost,IP:127.0.0.1
EOF
quiet openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -extfile "$work/server.ext" \
    -out "$work/server.crt"
rm -f "$work/ca.key" "$work/server.csr" "$work/server.ext"

hash_token() { # AGENCY TOKEN_FILE
    if [[ -n "$hasher" ]]; then
        "$hasher" hash "$1" "$2" "$ITERATIONS"
        return
    fi
    local salt password digest
    salt=$(openssl rand -hex 16)
    password=$(od -An -tx1 -v "$2" | tr -d ' \n')
    digest=$(openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt "hexpass:$password" \
        -kdfopt "hexsalt:$salt" -kdfopt "iter:$ITERATIONS" PBKDF2 | tr -d ':\n' | tr 'A-F' 'a-f')
    echo "$1:pbkdf2-sha256:$ITERATIONS:$salt:$digest"
}

{
    echo "# Agency token hashes for lottery-server (SERVER_CREDENTIALS); docs/SECURITY.md."
    echo "# N:pbkdf2-sha256:ITERATIONS:SALT_HEX:HASH_HEX. Made by scripts/make-credentials.sh."
} >"$work/credentials"
for ((k = 1; k <= agencies; ++k)); do
    # No trailing newline: the token file holds exactly the token.
    printf '%s' "$(openssl rand -hex 32)" >"$work/agency-$k.token"
    hash_token "$k" "$work/agency-$k.token" >>"$work/credentials"
done

chmod 644 "$work"/*
rm -f "$dir"/agency-*.token
mv -f "$work"/* "$dir"/
echo "make-credentials: wrote CA, server certificate and $agencies agency tokens to $dir" \
    "(hashed with ${hasher:-openssl kdf})"
