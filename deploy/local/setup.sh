#!/usr/bin/env bash
# Prepare this checkout on a Debian machine; safe to run again and again (`make` calls it).
#
#   deploy/local/setup.sh run     venv + deps, servers, nginx, keys, web build, migrate, topology
#   deploy/local/setup.sh test    venv + deps, web/'s npm packages, servers, nginx, browser
#                                 packages, node+npm, kubectl, keys
#   deploy/local/setup.sh bench   venv + deps, servers, keys
#   deploy/local/setup.sh lint    venv + deps, web/'s npm packages (tsc, eslint)
#   deploy/local/setup.sh long    venv + deps, nginx, the server packages (make test-long runs
#                                 private servers of its own: deploy/local/private-servers.sh)
#   deploy/local/setup.sh servers only check (and start or install) PostgreSQL and RabbitMQ
#
# The servers checked are JIANGXIN_TEST_PG and JIANGXIN_TEST_AMQP (defaults below), the same
# variables the test suite reads. When one is unreachable on this machine: start it if it is
# installed, install it with apt-get when we are root, otherwise say exactly what to do and fail.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
MODE=${1:-run}
VENV=.venv
PG_URL=${JIANGXIN_TEST_PG:-postgresql://postgres@127.0.0.1:5432}
AMQP_URL=${JIANGXIN_TEST_AMQP:-amqp://guest:guest@127.0.0.1:5672/}
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
APT_UPDATED=0
PROBLEMS=()

if [[ -t 2 ]]; then BOLD=$'\e[1m' RED=$'\e[31m' RESET=$'\e[0m'; else BOLD="" RED="" RESET=""; fi
say() { printf '%s==> %s%s\n' "$BOLD" "$*" "$RESET" >&2; }
die() { printf '%s%s%s\n' "$RED" "$*" "$RESET" >&2; exit 1; }
is_root() { [[ $(id -u) == 0 ]]; }
can_apt() { is_root && command -v apt-get >/dev/null; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_install() {
    say "installing Debian packages: $*"
    local apt=(apt-get -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends)
    if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$@" >&2; then
        [[ $APT_UPDATED == 1 ]] && return 1
        APT_UPDATED=1
        apt-get -q -o DPkg::Lock::Timeout=600 update >&2
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$@" >&2
    fi
}

# --- Python, virtual environment, dependencies -------------------------------------------
find_python() {
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    if [[ -x $VENV/bin/python ]] &&
        $VENV/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        return 0
    fi
    local python
    if ! python=$(find_python); then
        can_apt || die "Python >= 3.11 is missing. Install it: sudo apt-get install -y python3 python3-venv"
        apt_install python3 python3-venv
        python=$(find_python) || die "Python >= 3.11 is still missing after installing python3"
    fi
    if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
        can_apt || die "The venv module is missing. Install it: sudo apt-get install -y python3-venv"
        apt_install python3-venv
    fi
    say "creating $VENV with $("$python" --version)"
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
}

# Every dependency group (runtime, test, dev, bench) at the versions and hashes of
# requirements/dev.lock (`make lock` writes it), then the project itself without resolving
# anything. Again only when the lock or pyproject.toml changes; offline, a venv that already has
# exactly the locked versions is kept (with a warning) instead of failing.
LOCK=requirements/dev.lock
ensure_dependencies() {
    local stamp="$VENV/.installed-lock" wanted
    wanted=$(cat pyproject.toml "$LOCK" | sha256sum | cut -d' ' -f1)
    if [[ -f $stamp && $(<"$stamp") == "$wanted" ]]; then
        return 0
    fi
    say "installing the locked dependencies ($LOCK) and the project into $VENV"
    local pip=($VENV/bin/python -m pip install -qq --disable-pip-version-check)
    if ! "${pip[@]}" --require-hashes -r "$LOCK"; then
        $VENV/bin/python -m deploy.lock check --lock "$LOCK" ||
            die "cannot install $LOCK (offline?) and $VENV does not have those versions yet"
        say "could not reach the package index; $VENV already has every version of $LOCK"
    fi
    if ! "${pip[@]}" --no-deps -e .; then
        # Building the editable install needs setuptools from the index; offline, an earlier
        # install of this checkout still serves.
        [[ -x $VENV/bin/jiangxin ]] || die "cannot install the project into $VENV (offline?)"
        say "could not reinstall the project (offline?); keeping the one already in $VENV"
        return 0
    fi
    echo "$wanted" >"$stamp"
}

# --- PostgreSQL and RabbitMQ ---------------------------------------------------------------
url_part() { # url_part URL host|port DEFAULT_PORT
    $VENV/bin/python -c 'import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
print(p.hostname or "127.0.0.1" if sys.argv[2] == "host" else p.port or sys.argv[3])' "$@"
}
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
wait_port() { # wait_port HOST PORT SECONDS
    local deadline=$((SECONDS + $3))
    until port_open "$1" "$2"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}
is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 ]]; }

postgres_installed() { command -v pg_ctlcluster >/dev/null && compgen -G '/etc/postgresql/*/main' >/dev/null; }

start_postgres() {
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
}

trust_local_postgres() {
    # A freshly installed cluster only accepts passwords on TCP; the development set-up logs in
    # as postgres from loopback without one, as the project's machines do.
    local hba
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
        grep -q 'jiangxin development' "$hba" && continue
        say "allowing user postgres from loopback without a password in $hba"
        sed -i '0,/^[^#]/s//# jiangxin development: postgres from loopback without a password\nhost all postgres 127.0.0.1\/32 trust\nhost all postgres ::1\/128 trust\n&/' "$hba"
    done
}

ensure_postgres() {
    local host port
    host=$(url_part "$PG_URL" host 5432)
    port=$(url_part "$PG_URL" port 5432)
    if ! port_open "$host" "$port" && is_local "$host"; then
        if postgres_installed && is_root; then
            start_postgres
        elif ! postgres_installed && can_apt; then
            apt_install postgresql
            trust_local_postgres
            start_postgres
        fi
        wait_port "$host" "$port" 30 || true
    fi
    if ! port_open "$host" "$port"; then
        PROBLEMS+=("PostgreSQL is not reachable at $host:$port")
        return 0
    fi
    $VENV/bin/python - "$PG_URL/postgres" <<'EOF' || PROBLEMS+=("PostgreSQL at $host:$port refuses our login")
import asyncio, sys
import asyncpg
async def main() -> None:
    conn = await asyncpg.connect(sys.argv[1], timeout=10)
    await conn.close()
try:
    asyncio.run(main())
except Exception as exc:
    sys.exit(f"cannot log in to PostgreSQL ({sys.argv[1]}): {exc}")
EOF
}

rabbitmq_installed() { command -v rabbitmq-server >/dev/null; }

# RabbitMQ runs as its own user with that user's default of 1,024 open files. Every quorum
# queue holds a few, and at the limit the broker stops accepting connections without a word:
# when we start it, we raise the limit in its env file first.
RABBITMQ_ENV_FILE=/etc/rabbitmq/rabbitmq-env.conf
RABBITMQ_MIN_FILES=4096

start_rabbitmq() {
    say "starting RabbitMQ"
    if [[ -d /etc/rabbitmq ]] && ! grep -qs '^ulimit -n' "$RABBITMQ_ENV_FILE"; then
        echo 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"' >>"$RABBITMQ_ENV_FILE"
    fi
    rabbitmq-server -detached >&2 || true
    timeout 180 rabbitmqctl -q await_startup >&2 || true
}

ensure_rabbitmq() {
    local host port
    host=$(url_part "$AMQP_URL" host 5672)
    port=$(url_part "$AMQP_URL" port 5672)
    if ! port_open "$host" "$port" && is_local "$host"; then
        if rabbitmq_installed && is_root; then
            start_rabbitmq
        elif ! rabbitmq_installed && can_apt; then
            apt_install rabbitmq-server
            start_rabbitmq
        fi
        wait_port "$host" "$port" 60 || true
    fi
    if ! port_open "$host" "$port"; then
        PROBLEMS+=("RabbitMQ is not reachable at $host:$port")
        return 0
    fi
    $VENV/bin/python - "$AMQP_URL" <<'EOF' || PROBLEMS+=("RabbitMQ at $host:$port refuses our login")
import asyncio, sys
import aio_pika
async def main() -> None:
    connection = await aio_pika.connect(sys.argv[1], timeout=10)
    await connection.close()
try:
    asyncio.run(main())
except Exception as exc:
    sys.exit(f"cannot log in to RabbitMQ: {exc!r}")
EOF
    check_rabbitmq_files
}

# Say so when the local broker may open too few files for the suite's many quorum queues.
check_rabbitmq_files() {
    command -v rabbitmqctl >/dev/null || return 0
    local limit
    limit=$(timeout 30 rabbitmqctl -q eval \
        'proplists:get_value(total_limit, file_handle_cache:info([total_limit])).' \
        2>/dev/null | tr -dc '0-9') || true
    if [[ -n $limit ]] && ((limit < RABBITMQ_MIN_FILES)); then
        printf '%swarning: RabbitMQ may open only %s files; with many queues it stops accepting connections. Add "ulimit -n 65536" to %s and restart it (rabbitmqctl stop; rabbitmq-server -detached).%s\n' \
            "$RED" "$limit" "$RABBITMQ_ENV_FILE" "$RESET" >&2
    fi
}

ensure_servers() {
    ensure_postgres
    ensure_rabbitmq
    ((${#PROBLEMS[@]} == 0)) && return 0
    printf '%s%s%s\n' "$RED" "$(printf '%s. ' "${PROBLEMS[@]}")" "$RESET" >&2
    cat >&2 <<'EOF'
Jiangxin needs PostgreSQL (>= 15) and RabbitMQ (>= 3.10) on this machine. Either install them
from Debian packages (as root):

    sudo apt-get install -y postgresql rabbitmq-server
    sudo pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
    sudo rabbitmq-server -detached && sudo rabbitmqctl await_startup

  and let user postgres log in from 127.0.0.1 without a password: add this line at the top of
  /etc/postgresql/*/main/pg_hba.conf, then `sudo pg_ctlcluster ... main reload`:

    host all postgres 127.0.0.1/32 trust

or run both in containers with the Compose file and tell Jiangxin their credentials:

    docker compose -f deploy/compose.yaml up -d postgres rabbitmq
    export PGPASSWORD=jiangxin JIANGXIN_AMQP_URL=amqp://jiangxin:jiangxin@127.0.0.1:5672/
    export JIANGXIN_TEST_AMQP=$JIANGXIN_AMQP_URL

Then run the same make command again. (Running make as root does all of this by itself.)
EOF
    exit 1
}

# --- nginx, browser, web front -------------------------------------------------------------
ensure_nginx() {
    command -v nginx >/dev/null && return 0
    can_apt || die "nginx is missing (make run uses it as the one origin on :8080). Install it: sudo apt-get install -y nginx"
    # The package's own service is not needed: make run starts a private nginx on :8080.
    apt_install nginx
}

ensure_browser() {
    local missing=() package
    command -v chromium >/dev/null || missing+=(chromium)
    for package in fonts-noto-cjk fonts-wqy-zenhei; do
        installed "$package" || missing+=("$package")
    done
    ((${#missing[@]} == 0)) && return 0
    can_apt || die "The browser tests need Debian packages: sudo apt-get install -y ${missing[*]}"
    apt_install "${missing[@]}"
}

ensure_node() { # ensure_node WHY
    command -v node >/dev/null && command -v npm >/dev/null && return 0
    can_apt || die "$1 needs Node.js and npm. Install them: sudo apt-get install -y nodejs npm"
    apt_install nodejs npm
}

# web/'s npm packages (the type checker and linter `make lint` runs; a build tool if web/ ever
# has a build step) from its package-lock.json, installed again only when the lock file or the
# manifest changes (like the venv's stamp above).
ensure_web_packages() {
    [[ -f web/package.json ]] || return 0
    ensure_node "web/ (tsc and eslint, its checks)"
    local stamp=web/node_modules/.jiangxin-installed wanted
    wanted=$(cat web/package.json web/package-lock.json | sha256sum | cut -d' ' -f1)
    if [[ -f $stamp && $(<"$stamp") == "$wanted" ]]; then
        return 0
    fi
    say "installing web/'s npm packages (npm ci)"
    (cd web && npm ci --no-audit --no-fund) >&2
    echo "$wanted" >"$stamp"
}

# web/ is built when its package.json has a `build` script (deploy/gateway.py has_build_step);
# otherwise the gateway serves it as it is.
build_web() {
    $VENV/bin/python -c 'import sys; from deploy.gateway import has_build_step; sys.exit(not has_build_step())' ||
        return 0
    ensure_web_packages
    say "building the web front (web/)"
    (cd web && npm run build) >&2
}

# --- project state -------------------------------------------------------------------------
jiangxin() { $VENV/bin/jiangxin "$@"; }

# Each service's own role jiangxin_<service> owning its database (password in
# var/keys/<service>/database-password), made with the administrator's login the servers were
# checked with. A database URL set by hand is used as it is (a superuser one is refused).
migrate_as_own_roles() {
    if env | grep -q '^JIANGXIN_[A-Z]*_DATABASE_URL='; then
        jiangxin migrate
    else
        JIANGXIN_ADMIN_DATABASE_URL=${JIANGXIN_ADMIN_DATABASE_URL:-$PG_URL/postgres} jiangxin migrate
    fi
}

# Each service's own broker user jiangxin_<service> (its queues and the events exchange only;
# password in var/keys/<service>/broker-password), when rabbitmqctl can manage this broker (as
# root); otherwise the services keep using guest. Broker URLs set by hand are used as they are.
ensure_broker_users() {
    if env | grep -q '^JIANGXIN_\([A-Z]*_\)\?AMQP_URL='; then
        return 0
    fi
    jiangxin broker-users ||
        say "the services keep logging in to RabbitMQ as guest (see docs/operations.md, Security)"
}

# The enrolment benchmark drives HTTP load with wrk (its own aiohttp client stands in without it).
ensure_kubectl() {
    # The Kubernetes tests build deploy/k8s with kubectl's kustomize, as it is applied.
    kubectl kustomize --help >/dev/null 2>&1 && return 0
    die "kubectl (1.27 or newer: its kustomize builds deploy/k8s in the tests) is missing. Install it from Kubernetes' own apt repository (package kubectl) or a Kubernetes release; Debian's kubernetes-client is too old"
}

ensure_wrk() {
    command -v wrk >/dev/null && return 0
    if can_apt; then
        apt_install wrk
    else
        say "wrk is missing; the enrolment benchmark falls back to its aiohttp client (sudo apt-get install -y wrk)"
    fi
}

ensure_server_packages() {
    # make test-long starts its own PostgreSQL cluster and RabbitMQ node from these binaries.
    local missing=()
    command -v rabbitmq-server >/dev/null || missing+=(rabbitmq-server)
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
    ((${#missing[@]} == 0)) && return 0
    can_apt || die "missing: ${missing[*]}. Install them: sudo apt-get install -y ${missing[*]}"
    apt_install "${missing[@]}"
}

case $MODE in
long)
    ensure_venv
    ensure_dependencies
    ensure_nginx
    ensure_server_packages
    ;;
lint)
    ensure_venv
    ensure_dependencies
    ensure_web_packages
    ;;
servers)
    ensure_venv
    ensure_servers
    ;;
test)
    ensure_venv
    ensure_dependencies
    ensure_web_packages
    ensure_servers
    ensure_nginx
    ensure_browser
    # The suite runs npm tools as their users would: the AsyncAPI parser.
    ensure_node "The test suite (the official AsyncAPI parser)"
    ensure_kubectl
    jiangxin keys >/dev/null
    ;;
bench)
    ensure_venv
    ensure_dependencies
    ensure_servers
    ensure_wrk
    jiangxin keys >/dev/null
    ;;
run)
    # The set-up makes each service's own database role and broker user (shared/config.py).
    export JIANGXIN_LOCAL_ACCOUNTS=true
    ensure_venv
    ensure_dependencies
    ensure_servers
    ensure_nginx
    build_web
    jiangxin keys
    migrate_as_own_roles
    ensure_broker_users
    jiangxin topology
    ;;
*)
    die "usage: $0 run|test|bench|long|lint|servers"
    ;;
esac
