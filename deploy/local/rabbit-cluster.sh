#!/usr/bin/env bash
# A local three-node RabbitMQ cluster from the machine's rabbitmq-server (Debian package), beside
# the machine's own broker (rabbit@localhost on 5672), which this script never touches.
#
#   deploy/local/rabbit-cluster.sh start            start every node (idempotent), cluster them
#                                                   with the first, wait until all serve
#   deploy/local/rabbit-cluster.sh stop             stop every node and delete its data
#   deploy/local/rabbit-cluster.sh status           each node's state, then the cluster's view
#   deploy/local/rabbit-cluster.sh urls             the nodes' AMQP URLs, comma-separated
#                                                   (what JIANGXIN_AMQP_URL takes)
#   deploy/local/rabbit-cluster.sh env              JIANGXIN_AMQP_URL=<urls>
#   deploy/local/rabbit-cluster.sh stop-node N      stop node N (1, 2, 3; its data stays)
#   deploy/local/rabbit-cluster.sh kill-node N      SIGKILL node N's Erlang VM (a crash)
#   deploy/local/rabbit-cluster.sh start-node N     start node N again; it rejoins the cluster
#   deploy/local/rabbit-cluster.sh ctl N ARGS...    rabbitmqctl aimed at node N
#
# Settings (environment):
#   JIANGXIN_RABBIT_CLUSTER_NODES  space-separated "name:amqp_port:dist_port" entries, default
#                                  "jxc1:5673:25673 jxc2:5674:25674 jxc3:5675:25675"
#                                  (nodes are <name>@localhost; the first is the one the
#                                  others join)
#   JIANGXIN_RABBIT_CLUSTER_DIR    data and logs, one directory per node (var/rabbit-cluster)
# Nodes share the rabbitmq user's Erlang cookie, which is what lets them cluster. Runs as root
# (the nodes then run as the rabbitmq user) or as the rabbitmq user.
set -euo pipefail

DIR="$(realpath -m "${JIANGXIN_RABBIT_CLUSTER_DIR:-var/rabbit-cluster}")"
read -r -a NODES <<< "${JIANGXIN_RABBIT_CLUSTER_NODES:-jxc1:5673:25673 jxc2:5674:25674 jxc3:5675:25675}"
RABBIT_BIN=/usr/lib/rabbitmq/bin
WAIT_S=120

say() { echo "==> $*" >&2; }
die() { echo "rabbit-cluster: $*" >&2; exit 1; }

as_rabbitmq() {  # run a command as the rabbitmq user (whose HOME holds the Erlang cookie)
    if [ "$(id -u)" = 0 ]; then
        runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq "$@"
    else
        env HOME=/var/lib/rabbitmq "$@"
    fi
}

field() { echo "$1" | cut -d: -f"$2"; }
node_name() { echo "$(field "$1" 1)@localhost"; }
node_dir() { echo "$DIR/$(field "$1" 1)"; }
amqp_url() { echo "amqp://guest:guest@127.0.0.1:$(field "$1" 2)/"; }

entry_of() {  # entry_of N: the Nth node's entry (1-based)
    [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= ${#NODES[@]})) ||
        die "no node $1 (nodes are 1..${#NODES[@]})"
    echo "${NODES[$1 - 1]}"
}

ctl() {  # ctl ENTRY ARGS...: rabbitmqctl aimed at one node
    local entry="$1"; shift
    as_rabbitmq "$RABBIT_BIN/rabbitmqctl" -q -n "$(node_name "$entry")" "$@"
}

running() { ctl "$1" ping >/dev/null 2>&1; }  # the Erlang node answers (app up or not)

write_config() {  # own listener (the machine's rabbitmq.conf pins 5672), no plugins
    local entry="$1" dir
    dir="$(node_dir "$entry")"
    mkdir -p "$dir/mnesia" "$dir/log"
    as_rabbitmq test -x "$DIR" ||
        die "the rabbitmq user cannot reach $DIR: set JIANGXIN_RABBIT_CLUSTER_DIR to a directory it can (e.g. under /tmp)"
    echo "[]." > "$dir/enabled_plugins"
    cat > "$dir/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$(field "$entry" 2)
loopback_users.guest = true
EOF
    if [ "$(id -u)" = 0 ]; then chown -R rabbitmq:rabbitmq "$dir"; fi
}

launch() {  # start one node's VM in the background (returns at once)
    local entry="$1" dir
    dir="$(node_dir "$entry")"
    write_config "$entry"
    say "starting $(node_name "$entry") on 127.0.0.1:$(field "$entry" 2)"
    as_rabbitmq RABBITMQ_NODENAME="$(node_name "$entry")" \
        RABBITMQ_DIST_PORT="$(field "$entry" 3)" \
        RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
        RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
        RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_PID_FILE="$dir/pid" \
        "$RABBIT_BIN/rabbitmq-server" -detached
}

await_node() {  # wait until a launched node's broker has booted
    local entry="$1"
    ctl "$entry" wait --timeout "$WAIT_S" "$(node_dir "$entry")/pid" >/dev/null
    ctl "$entry" await_startup --timeout "$WAIT_S" >/dev/null
}

clustered_with() {  # does the node already count the first node among its running peers?
    ctl "$1" eval "lists:member('$(node_name "${NODES[0]}")', rabbit_nodes:all_running())." \
        2>/dev/null | grep -q true
}

join_first() {  # make a fresh node a member of the first node's cluster
    local entry="$1"
    clustered_with "$entry" && return 0
    say "joining $(node_name "$entry") to $(node_name "${NODES[0]}")"
    ctl "$entry" stop_app >/dev/null
    ctl "$entry" join_cluster "$(node_name "${NODES[0]}")" >/dev/null
    ctl "$entry" start_app >/dev/null
}

start() {
    [ -x "$RABBIT_BIN/rabbitmq-server" ] ||
        die "rabbitmq-server is not installed (sudo apt-get install -y rabbitmq-server)"
    local entry launched=()
    for entry in "${NODES[@]}"; do
        if running "$entry"; then
            say "$(node_name "$entry") already running"
        else
            launch "$entry"
            launched+=("$entry")
        fi
    done
    for entry in "${launched[@]}"; do await_node "$entry"; done
    for entry in "${NODES[@]:1}"; do join_first "$entry"; done
    say "cluster of ${#NODES[@]} running: $(urls)"
}

stop_entry() {
    local entry="$1"
    if running "$entry"; then
        say "stopping $(node_name "$entry")"
        ctl "$entry" shutdown >/dev/null 2>&1 || true
    fi
}

stop() {
    local entry
    # The others first: the first node, stopped last, can start alone again later.
    for ((i = ${#NODES[@]} - 1; i >= 0; i--)); do stop_entry "${NODES[$i]}"; done
    for entry in "${NODES[@]}"; do rm -rf "$(node_dir "$entry")"; done
    rmdir "$DIR" 2>/dev/null || true
}

kill_node() {
    local entry="$1" pid
    pid="$(cat "$(node_dir "$entry")/pid" 2>/dev/null)" || die "$(node_name "$entry") has no pid file"
    say "killing $(node_name "$entry") (pid $pid)"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

start_node() {
    local entry="$1"
    running "$entry" && { say "$(node_name "$entry") already running"; return 0; }
    launch "$entry"
    await_node "$entry"
}

status() {
    local entry code=0
    for entry in "${NODES[@]}"; do
        if running "$entry"; then
            echo "$(node_name "$entry") 127.0.0.1:$(field "$entry" 2) running"
        else
            echo "$(node_name "$entry") 127.0.0.1:$(field "$entry" 2) stopped"; code=1
        fi
    done
    for entry in "${NODES[@]}"; do
        if running "$entry"; then ctl "$entry" cluster_status; break; fi
    done
    return $code
}

urls() {
    local entry out=()
    for entry in "${NODES[@]}"; do out+=("$(amqp_url "$entry")"); done
    (IFS=,; echo "${out[*]}")
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    urls) urls ;;
    env) echo "JIANGXIN_AMQP_URL=$(urls)" ;;
    stop-node) stop_entry "$(entry_of "${2:-}")" ;;
    kill-node) kill_node "$(entry_of "${2:-}")" ;;
    start-node) start_node "$(entry_of "${2:-}")" ;;
    ctl) entry="$(entry_of "${2:-}")"; shift 2; ctl "$entry" "$@" ;;
    *) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
