#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server from Debian's binaries for the tests, in DIR:
#   scripts/postgres-temp.sh start DIR [OWNER_PID]   → prints "PORT" once it accepts connections
#   scripts/postgres-temp.sh stop DIR
# The superuser is `brake`, password `brake-test` (scram over TCP; the password file is DIR/password). Only
# 127.0.0.1 listens. When OWNER_PID is given, a watchdog stops the server once that process has gone, so a test
# run that crashes leaves no server behind. As root (CI), the server runs as the `postgres` user: initdb refuses
# to run as root. FSYNC=on keeps fsync (the benchmark); tests turn it off.
# Exit 3: no PostgreSQL server binaries here (install Debian's `postgresql`).
set -euo pipefail

cmd=${1:?usage: postgres-temp.sh start|stop DIR [OWNER_PID]}
dir=${2:?usage: postgres-temp.sh start|stop DIR [OWNER_PID]}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "postgres-temp: no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2
    exit 3
fi

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
stop)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    exit 0
    ;;
start) ;;
*)
    echo "postgres-temp: unknown command '$cmd' (start or stop)" >&2
    exit 2
    ;;
esac

mkdir -p "$dir"
printf 'brake-test\n' >"$dir/password"
chmod 0644 "$dir/password"
if [ "$(id -u)" = 0 ]; then
    # The server's user must reach its directory: open the parent for traversal only.
    chmod o+x "$(dirname "$dir")"
    chown postgres "$dir"
fi
as_owner "$bin/initdb" -D "$dir/data" -U brake --pwfile="$dir/password" --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fsync=${FSYNC:-off}
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=$fsync -c max_connections=200" start >/dev/null || {
    cat "$dir/server.log" >&2
    exit 1
}
if [ -n "${3:-}" ]; then
    owner=$3
    (
        trap '' HUP
        while kill -0 "$owner" 2>/dev/null; do sleep 1; done
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "$dir"
    ) </dev/null >/dev/null 2>&1 &
    disown
fi
echo "$port"
