#!/usr/bin/env bash
# A private PostgreSQL primary and a streaming standby (hot standby, pg_basebackup -R) for the
# certification service's reads, beside the machine's own PostgreSQL (5432), which allows no
# replication connections and which this script never touches.
#
#   deploy/local/pg-replica.sh start            initialise (first time), start both, wait
#                                               until the standby streams from the primary
#   deploy/local/pg-replica.sh stop             stop both and delete their data
#   deploy/local/pg-replica.sh status           each server's state and the replication view
#   deploy/local/pg-replica.sh env              the certification settings that use them
#   deploy/local/pg-replica.sh stop-primary | start-primary | restart-primary
#   deploy/local/pg-replica.sh stop-standby | start-standby
#
# Settings (environment): JIANGXIN_PG_REPLICA_DIR (var/pg-replica),
# JIANGXIN_PG_PRIMARY_PORT (55440), JIANGXIN_PG_STANDBY_PORT (55441), JIANGXIN_PG_BIN (the
# newest /usr/lib/postgresql/*/bin). Both servers trust local TCP connections (user postgres),
# as the machine's own does; they are for development and tests, not for data you keep.
# Runs as root (the servers then run as the postgres user) or as a user who owns the directory.
set -euo pipefail

DIR="$(realpath -m "${JIANGXIN_PG_REPLICA_DIR:-var/pg-replica}")"
PRIMARY_PORT="${JIANGXIN_PG_PRIMARY_PORT:-55440}"
STANDBY_PORT="${JIANGXIN_PG_STANDBY_PORT:-55441}"
PG_BIN="${JIANGXIN_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}"
PRIMARY="$DIR/primary"
STANDBY="$DIR/standby"
SLOT=jiangxin_standby  # keeps the WAL the standby still needs while it is away

say() { echo "==> $*" >&2; }
die() { echo "pg-replica: $*" >&2; exit 1; }

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ctl() {  # ctl DATA_DIR ARGS...: pg_ctl on one server, its log beside its data
    local data="$1"; shift
    as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$data.log" -w -t 60 "$@"
}

running() { [ -f "$1/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

psql_at() {  # psql_at PORT SQL: one value
    as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtqc "$2"
}

init_primary() {
    mkdir -p "$DIR"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"; fi
    as_postgres test -w "$DIR" ||
        die "the postgres user cannot write to $DIR: set JIANGXIN_PG_REPLICA_DIR to a directory it can (e.g. under /tmp)"
    as_postgres "$PG_BIN/initdb" -D "$PRIMARY" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >/dev/null
    cat >> "$PRIMARY/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$DIR'
max_connections = 200
wal_level = replica
hot_standby = on
EOF
    cat > "$PRIMARY/pg_hba.conf" <<EOF
local all all trust
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
EOF
}

init_standby() {
    say "copying the primary into the standby (pg_basebackup -R)"
    as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
        -D "$STANDBY" -R -X stream -C -S "$SLOT" >/dev/null
    # The copy carries the primary's settings; the standby listens on its own port.
    echo "port = $STANDBY_PORT" >> "$STANDBY/postgresql.conf"
}

await_streaming() {
    local i
    for ((i = 0; i < 600; i++)); do
        [ "$(psql_at "$PRIMARY_PORT" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] && return 0
        sleep 0.1
    done
    die "the standby is not streaming after 60 s (see $STANDBY.log)"
}

start() {
    [ -x "$PG_BIN/initdb" ] || die "no PostgreSQL server binaries (sudo apt-get install -y postgresql)"
    [ -f "$PRIMARY/PG_VERSION" ] || init_primary
    running "$PRIMARY" || { say "starting the primary on 127.0.0.1:$PRIMARY_PORT"; ctl "$PRIMARY" start >/dev/null; }
    [ -f "$STANDBY/PG_VERSION" ] || init_standby
    running "$STANDBY" || { say "starting the standby on 127.0.0.1:$STANDBY_PORT"; ctl "$STANDBY" start >/dev/null; }
    await_streaming
    say "primary 127.0.0.1:$PRIMARY_PORT streaming to standby 127.0.0.1:$STANDBY_PORT"
}

stop_server() { if running "$1"; then ctl "$1" -m fast stop >/dev/null; fi; }

stop() {
    stop_server "$STANDBY"
    stop_server "$PRIMARY"
    rm -rf "$DIR"
}

status() {
    local code=0 name port data
    for name in primary standby; do
        data="$DIR/$name"; port=$PRIMARY_PORT; [ $name = standby ] && port=$STANDBY_PORT
        if running "$data"; then echo "$name 127.0.0.1:$port running"; else echo "$name 127.0.0.1:$port stopped"; code=1; fi
    done
    if running "$PRIMARY"; then
        psql_at "$PRIMARY_PORT" "SELECT 'replication: ' || application_name || ' ' || state || ', replay lag ' || coalesce(replay_lag::text, '0') FROM pg_stat_replication"
    fi
    return $code
}

env_lines() {
    echo "JIANGXIN_CERTIFICATION_DATABASE_URL=postgresql://postgres@127.0.0.1:$PRIMARY_PORT/jiangxin_certification"
    echo "JIANGXIN_CERTIFICATION_READ_DATABASE_URL=postgresql://postgres@127.0.0.1:$STANDBY_PORT/jiangxin_certification"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) env_lines ;;
    stop-primary) stop_server "$PRIMARY" ;;
    start-primary) ctl "$PRIMARY" start >/dev/null ;;
    restart-primary) ctl "$PRIMARY" -m fast restart >/dev/null ;;
    stop-standby) stop_server "$STANDBY" ;;
    start-standby) ctl "$STANDBY" start >/dev/null ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
