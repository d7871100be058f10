#!/bin/bash
# Docker HEALTHCHECK for lottery-server: healthy once a socket listens on the server's port.
# It reads the kernel's socket tables instead of connecting, so the server's log does not fill with
# connections that never say HELLO. The port is SERVER_PORT from the environment, else from
# ./config.ini, else 12345 (the same order the server uses, without the command line).
set -u

port=${SERVER_PORT:-}
if [[ -z "$port" && -r config.ini ]]; then
    port=$(sed -n 's/^[[:space:]]*SERVER_PORT[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' config.ini |
        tail -n 1)
fi
port=${port:-12345}
[[ "$port" =~ ^[0-9]+$ ]] || { echo "bad SERVER_PORT '$port'"; exit 1; }

# /proc/net/tcp{,6}: local_address is HEX_IP:HEX_PORT, state 0A is LISTEN.
hex_port=$(printf '%04X' "$port")
for table in /proc/net/tcp /proc/net/tcp6; do
    [[ -r "$table" ]] || continue
    while read -r _ local _ state _; do
        if [[ "${local##*:}" == "$hex_port" && "$state" == "0A" ]]; then
            echo "listening on port $port"
            exit 0
        fi
    done <"$table"
done
echo "nothing listens on port $port"
exit 1
