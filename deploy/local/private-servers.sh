#!/usr/bin/env bash
# A private RabbitMQ node and a private PostgreSQL cluster for tests that stop, restart or
# disturb their servers (make test-long). They run beside the machine's own servers (5672,
# 5432), which other people and tests use and which this script never touches.
#
#   deploy/local/private-servers.sh start         start both (idempotent), wait until they serve
#   deploy/local/private-servers.sh stop          stop both and delete their data
#   deploy/local/private-servers.sh status        say what runs
#   deploy/local/private-servers.sh env           print the JIANGXIN_* settings that reach them
#   deploy/local/private-servers.sh rabbit-stop | rabbit-start | rabbit-close-connections
#   deploy/local/private-servers.sh pg-restart | pg-stop | pg-start
#
# Settings (environment): JIANGXIN_PRIVATE_DIR (default var/private), JIANGXIN_PRIVATE_PG_PORT
# (55432), JIANGXIN_PRIVATE_RABBIT_NODES (space-separated "name:amqp_port:dist_port" entries,
# default "jxlong:5694:25694"). Every node listed is started and stopped; the first is the one
# the platform is pointed at. Nodes share the rabbitmq user's Erlang cookie, so a cluster is a
# matter of listing more nodes and joining them (rabbit_join below).
#
# Runs as root (servers then run as the rabbitmq and postgres users) or as a user who can run
# rabbitmq-server and the PostgreSQL binaries directly.
set -euo pipefail

DIR="$(realpath -m "${JIANGXIN_PRIVATE_DIR:-var/private}")"
PG_PORT="${JIANGXIN_PRIVATE_PG_PORT:-55432}"
RABBIT_NODES="${JIANGXIN_PRIVATE_RABBIT_NODES:-jxlong:5694:25694}"
PG_BIN="${JIANGXIN_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}"
PG_DATA="$DIR/postgres/data"
PG_LOG="$DIR/postgres/server.log"

say() { echo "==> $*" >&2; }
die() { echo "private-servers: $*" >&2; exit 1; }

# Run a command as the given user when we are root, else as ourselves.
as_user() {
    local user="$1"; shift
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$user" -- env "$@"
    else
        env "$@"
    fi
}

first_node() { echo "${RABBIT_NODES%% *}"; }
node_field() { echo "$1" | cut -d: -f"$2"; }
node_name() { echo "$(node_field "$1" 1)@localhost"; }

rabbit_env() {  # the environment one node runs with
    local entry="$1" base="$DIR/rabbitmq/$(node_field "$1" 1)"
    echo "HOME=/var/lib/rabbitmq" \
        "RABBITMQ_NODENAME=$(node_name "$entry")" \
        "RABBITMQ_DIST_PORT=$(node_field "$entry" 3)" \
        "RABBITMQ_MNESIA_BASE=$base/mnesia" \
        "RABBITMQ_LOG_BASE=$base/log" \
        "RABBITMQ_ENABLED_PLUGINS_FILE=$base/enabled_plugins" \
        "RABBITMQ_CONFIG_FILE=$base/rabbitmq.conf" \
        "RABBITMQ_PID_FILE=$base/pid"
}

ctl() {  # rabbitmqctl aimed at one node
    local entry="$1"; shift
    as_user rabbitmq HOME=/var/lib/rabbitmq rabbitmqctl -n "$(node_name "$entry")" "$@"
}

rabbit_running() { ctl "$1" ping >/dev/null 2>&1; }  # the Erlang node, app up or not

rabbit_start_node() {
    local entry="$1" base="$DIR/rabbitmq/$(node_field "$1" 1)"
    if rabbit_running "$entry"; then
        say "RabbitMQ $(node_name "$entry") already running"
        return
    fi
    mkdir -p "$base/mnesia" "$base/log"
    echo "[]." > "$base/enabled_plugins"
    cat > "$base/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$(node_field "$entry" 2)
loopback_users.guest = true
EOF
    [ "$(id -u)" = 0 ] && chown -R rabbitmq:rabbitmq "$DIR/rabbitmq"
    say "starting RabbitMQ $(node_name "$entry") on 127.0.0.1:$(node_field "$entry" 2)"
    # shellcheck disable=SC2046
    as_user rabbitmq $(rabbit_env "$entry") /usr/lib/rabbitmq/bin/rabbitmq-server -detached
    # -detached returns at once: wait for the node's pid file, then for the broker to boot.
    ctl "$entry" wait --timeout 120 "$base/pid" >/dev/null
    ctl "$entry" await_startup --timeout 120 >/dev/null
}

rabbit_join() {  # rabbit_join ENTRY FIRST_ENTRY: cluster one node with the first (issue 19)
    ctl "$1" stop_app >/dev/null
    ctl "$1" join_cluster "$(node_name "$2")" >/dev/null
    ctl "$1" start_app >/dev/null
}

rabbit_stop_node() {
    local entry="$1"
    if rabbit_running "$entry"; then
        say "stopping RabbitMQ $(node_name "$entry")"
        ctl "$entry" shutdown >/dev/null 2>&1 || true
    fi
}

pg_ctl() { as_user postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" "$@"; }

pg_running() { [ -f "$PG_DATA/postmaster.pid" ] && pg_ctl status >/dev/null 2>&1; }

pg_start() {
    [ -x "$PG_BIN/initdb" ] || die "no PostgreSQL server binaries (apt-get install postgresql)"
    if pg_running; then
        say "PostgreSQL already running on 127.0.0.1:$PG_PORT"
        return
    fi
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
        mkdir -p "$PG_DATA"
        [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$DIR/postgres"
        as_user postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust \
            --encoding=UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$PG_DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$DIR/postgres'
max_connections = 300
fsync = on
EOF
    fi
    say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    pg_ctl -l "$PG_LOG" -w -t 60 start >/dev/null
}

pg_stop() {
    if pg_running; then
        say "stopping PostgreSQL on 127.0.0.1:$PG_PORT"
        pg_ctl -m fast -w -t 60 stop >/dev/null
    fi
}

start() {
    pg_start
    for entry in $RABBIT_NODES; do
        rabbit_start_node "$entry"
    done
}

stop() {
    for entry in $RABBIT_NODES; do
        rabbit_stop_node "$entry"
    done
    pg_stop
    rm -rf "$DIR/rabbitmq" "$DIR/postgres"
}

status() {
    local code=0
    if pg_running; then echo "postgres 127.0.0.1:$PG_PORT running"; else echo "postgres stopped"; code=1; fi
    for entry in $RABBIT_NODES; do
        if rabbit_running "$entry"; then
            echo "rabbitmq $(node_name "$entry") 127.0.0.1:$(node_field "$entry" 2) running"
        else
            echo "rabbitmq $(node_name "$entry") stopped"; code=1
        fi
    done
    return $code
}

env_lines() {
    local amqp
    amqp="$(node_field "$(first_node)" 2)"
    echo "JIANGXIN_AMQP_URL=amqp://guest:guest@127.0.0.1:$amqp/"
    echo "JIANGXIN_TEST_AMQP=amqp://guest:guest@127.0.0.1:$amqp/"
    echo "JIANGXIN_TEST_PG=postgresql://postgres@127.0.0.1:$PG_PORT"
    echo "JIANGXIN_TEST_RABBIT_NODE=$(node_name "$(first_node)")"
    for service in enrollment certification notification; do
        local upper="${service^^}"
        echo "JIANGXIN_${upper}_DATABASE_URL=postgresql://postgres@127.0.0.1:$PG_PORT/jiangxin_$service"
    done
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) env_lines ;;
    rabbit-stop) ctl "$(first_node)" stop_app >/dev/null ;;
    rabbit-start) ctl "$(first_node)" start_app >/dev/null
                  ctl "$(first_node)" await_startup >/dev/null ;;
    rabbit-close-connections) ctl "$(first_node)" close_all_connections "private-servers: forced close" >/dev/null ;;
    pg-stop) pg_ctl -m fast -w -t 60 stop >/dev/null ;;
    pg-start) pg_ctl -l "$PG_LOG" -w -t 60 start >/dev/null ;;
    pg-restart) pg_ctl -l "$PG_LOG" -m fast -w -t 60 restart >/dev/null ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
