#!/usr/bin/env bash
# Runs Licheng's backing servers natively (no Docker), bound to 127.0.0.1 only, data under var/.
#
#   deploy/native/infra.sh install  install what is missing (Debian packages) and build the servers once
#   deploy/native/infra.sh up       install + start what is not running (idempotent, reuses running ones)
#   deploy/native/infra.sh down     stop what `up` started (pid files under var/infra), keep data
#   deploy/native/infra.sh status   one line per server: up/down, address
#   deploy/native/infra.sh env      `export` lines for the services: eval "$(deploy/native/infra.sh env)"
#   deploy/native/infra.sh check    smoke test: RabbitMQ vhost + quorum queue, MongoDB CRUD, check_s3.py
#   deploy/native/infra.sh db-up / db-down   PostgreSQL + FerretDB alone (LICHENG_INFRA_DIR, ports by env)
#   deploy/native/infra.sh rabbitmqctl ARGS...   rabbitmqctl against our node
#
# Servers (docs/architecture.md §8), ports overridable by env:
#   RabbitMQ 3.x (Debian)     AMQP  127.0.0.1:$LICHENG_RABBIT_PORT (5672), management
#                             127.0.0.1:$LICHENG_RABBIT_MGMT_PORT (15672), node licheng@localhost
#   PostgreSQL (Debian)       127.0.0.1:$LICHENG_PG_PORT (55432), only as FerretDB's backend
#   FerretDB (var/bin)        MongoDB wire protocol on 127.0.0.1:$LICHENG_MONGO_PORT (27017)
#   SeaweedFS `weed mini`     S3 API on 127.0.0.1:$LICHENG_S3_PORT (8333), credentials required
# Each keeps its data and logs in var/infra/<name>/. S3 keys come from LICHENG_S3_ACCESS_KEY /
# LICHENG_S3_SECRET_KEY, else from var/secrets.env, where they are generated once (appended as
# `export NAME=value` lines, the format deploy/native/secrets.sh uses for the other secrets).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=versions.env
. "$here/versions.env"

HOST=127.0.0.1 # loopback only, on purpose: guest/guest, trust auth and admin UIs are not for networks
RABBIT_PORT=${LICHENG_RABBIT_PORT:-5672}
RABBIT_MGMT_PORT=${LICHENG_RABBIT_MGMT_PORT:-15672}
RABBIT_DIST_PORT=${LICHENG_RABBIT_DIST_PORT:-25672}
EPMD_PORT=${LICHENG_EPMD_PORT:-4369}
RABBIT_NODE=${LICHENG_RABBIT_NODE:-licheng@localhost}
PG_PORT=${LICHENG_PG_PORT:-55432}
MONGO_PORT=${LICHENG_MONGO_PORT:-27017}
S3_PORT=${LICHENG_S3_PORT:-8333}
TIMEOUT=${LICHENG_INFRA_TIMEOUT:-120} # seconds each server may take to become healthy

# data and logs; the fault suite's own database pair lives elsewhere (deploy/native/cluster.sh)
infra=${LICHENG_INFRA_DIR:-$root/var/infra}
bin=$root/var/bin
secrets_file=$root/var/secrets.env
ferretdb_bin=$bin/ferretdb-$FERRETDB_VERSION
weed_bin=$bin/weed-$SEAWEEDFS_VERSION
rabbit_sbin=/usr/lib/rabbitmq/bin # Debian's /usr/sbin wrappers would `su rabbitmq`; we run as root

require_root() { [ "$(id -u)" -eq 0 ] || die "'$1' needs root (apt-get, and running PostgreSQL as its own user)"; }

# newest installed PostgreSQL server (the client package alone leaves a bin/ without initdb)
pg_bindir() {
  find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null |
    sort -V | tail -n1 | xargs -r dirname
}

# --- installation -------------------------------------------------------------------------------

ensure_packages() {
  local need=()
  [ -x "$rabbit_sbin/rabbitmq-server" ] || need+=(rabbitmq-server)
  [ -n "$(pg_bindir)" ] || need+=(postgresql)
  if [ ! -x "$ferretdb_bin" ] || [ ! -x "$weed_bin" ]; then
    # the Go build fetches modules over HTTPS from the module proxy
    [ -s /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
  fi
  [ -x "$root/var/venv/bin/python" ] || command -v python3 >/dev/null || need+=(python3)
  # printed documents: WeasyPrint lays out text with Pango (HarfBuzz subsets the embedded fonts),
  # set in Noto CJK; the tests read the PDFs back with poppler-utils (pdftotext, pdffonts, pdftoppm).
  ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || need+=(libpango-1.0-0 libpangoft2-1.0-0)
  ldconfig -p | grep -q 'libharfbuzz-subset.so.0' || need+=(libharfbuzz-subset0)
  [ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
  command -v pdftotext >/dev/null || need+=(poppler-utils)
  [ ${#need[@]} -gt 0 ] || return 0

  log "installing ${need[*]} with apt-get"
  # Debian's maintainer scripts start system-wide rabbitmq/postgresql services after install.
  # We run our own instances, so a temporary policy-rc.d answering 101 ("action forbidden")
  # keeps the system ones off, as Docker images do. An existing policy-rc.d is left alone.
  local policy=/usr/sbin/policy-rc.d rc=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"; } || rc=$?
  if trap -p EXIT | grep -q policy-rc.d; then rm -f "$policy"; trap - EXIT; fi
  [ $rc -eq 0 ] || die "apt-get install ${need[*]} failed"
}

ensure_binaries() {
  [ -x "$ferretdb_bin" ] && [ -x "$weed_bin" ] || bash "$here/build-servers.sh" all
  bash "$here/build-servers.sh" oidc # cheap when built: it compares a hash of its sources
}

# S3 keys: env wins, then var/secrets.env, else generate once and append them there.
ensure_s3_keys() {
  local key
  for key in LICHENG_S3_ACCESS_KEY LICHENG_S3_SECRET_KEY; do
    if [ -z "${!key:-}" ] && [ -f "$secrets_file" ]; then
      printf -v "$key" '%s' "$(sed -n "s/^\(export \)\{0,1\}$key=[\"']\{0,1\}\([^\"']*\)[\"']\{0,1\}\$/\2/p" "$secrets_file" | tail -n1)"
    fi
  done
  if [ -z "${LICHENG_S3_ACCESS_KEY:-}" ] || [ -z "${LICHENG_S3_SECRET_KEY:-}" ]; then
    mkdir -p "$(dirname "$secrets_file")"
    LICHENG_S3_ACCESS_KEY=${LICHENG_S3_ACCESS_KEY:-LCH$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n' | tr a-f A-F)}
    LICHENG_S3_SECRET_KEY=${LICHENG_S3_SECRET_KEY:-$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')}
    (umask 077 && printf 'export LICHENG_S3_ACCESS_KEY=%s\nexport LICHENG_S3_SECRET_KEY=%s\n' \
      "$LICHENG_S3_ACCESS_KEY" "$LICHENG_S3_SECRET_KEY" >>"$secrets_file")
    log "generated S3 credentials into ${secrets_file#"$root"/}"
  fi
}

# wait_healthy NAME PIDFILE PATTERN LOG PROBE...: waits for PROBE, failing early if the process
# we started has exited. On failure prints the tail of LOG and exits non-zero.
wait_healthy() {
  local name=$1 pidfile=$2 pattern=$3 logfile=$4 deadline=$((SECONDS + TIMEOUT))
  shift 4
  until "$@" >/dev/null 2>&1; do
    pid_alive "$pidfile" "$pattern" >/dev/null ||
      fail_with_log "$name" "$logfile" "$name exited during startup"
    [ $SECONDS -lt $deadline ] ||
      fail_with_log "$name" "$logfile" "$name not healthy after ${TIMEOUT}s (LICHENG_INFRA_TIMEOUT)"
    sleep 0.5
  done
}

# refuse to start over a port held by something that failed our health probe
check_port_free() {
  local name=$1 port=$2 var=$3
  ! port_open "$HOST" "$port" ||
    die "$HOST:$port is taken by something that is not a healthy $name; stop it or set $var"
}

# --- RabbitMQ -------------------------------------------------------------------------------------

rabbit_dir=$infra/rabbitmq
# Everything the node and the CLI read, pointed into var/infra/rabbitmq (nothing under /etc or
# /var/lib/rabbitmq): own cookie via HOME, own config, and the Erlang distribution (epmd, the
# node's dist port, the CLI's own dist listener) on loopback only.
rabbit_env=(
  HOME="$rabbit_dir/home"
  RABBITMQ_NODENAME="$RABBIT_NODE"
  RABBITMQ_USE_LONGNAME=false
  RABBITMQ_CONF_ENV_FILE="$rabbit_dir/rabbitmq-env.conf"
  RABBITMQ_CONFIG_FILE="$rabbit_dir/rabbitmq.conf"
  RABBITMQ_ADVANCED_CONFIG_FILE="$rabbit_dir/advanced.config"
  RABBITMQ_ENABLED_PLUGINS_FILE="$rabbit_dir/enabled_plugins"
  RABBITMQ_MNESIA_BASE="$rabbit_dir/mnesia"
  RABBITMQ_LOG_BASE="$rabbit_dir/log"
  RABBITMQ_PID_FILE="$rabbit_dir/rabbitmq.pid"
  RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT"
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  ERL_EPMD_ADDRESS=127.0.0.1
  ERL_EPMD_PORT="$EPMD_PORT"
  ERL_CRASH_DUMP="$rabbit_dir/log/erl_crash.dump"
)

rabbitmqctl_() { env "${rabbit_env[@]}" "$rabbit_sbin/rabbitmqctl" -n "$RABBIT_NODE" "$@"; }

rabbit_healthy() {
  port_open "$HOST" "$RABBIT_PORT" &&
    probe_http "http://$HOST:$RABBIT_MGMT_PORT/api/overview" guest:guest
}

rabbit_launch() {
  if rabbit_healthy; then
    log "rabbitmq: already up on $HOST:$RABBIT_PORT (reused)"
    return 1 # nothing to wait for
  fi
  if ! pid_alive "$rabbit_dir/rabbitmq.pid" rabbit >/dev/null; then
    check_port_free rabbitmq "$RABBIT_PORT" LICHENG_RABBIT_PORT
    check_port_free "rabbitmq management" "$RABBIT_MGMT_PORT" LICHENG_RABBIT_MGMT_PORT
    mkdir -p "$rabbit_dir"/{home,mnesia,log}
    : >"$rabbit_dir/rabbitmq-env.conf" # empty, so /etc/rabbitmq/rabbitmq-env.conf is not read
    cat >"$rabbit_dir/rabbitmq.conf" <<EOF
# Written by deploy/native/infra.sh at every start; change it there.
listeners.tcp.1 = $HOST:$RABBIT_PORT
management.tcp.ip = $HOST
management.tcp.port = $RABBIT_MGMT_PORT
# guest/guest may log in from loopback only (the default, stated for the reader)
loopback_users.guest = true
log.console = false
log.file.level = info
EOF
    echo '[].' >"$rabbit_dir/advanced.config"
    echo '[rabbitmq_management].' >"$rabbit_dir/enabled_plugins"
    # The node starts epmd if none runs; remember that, so `down` stops only an epmd we caused.
    if ! epmd -port "$EPMD_PORT" -names >/dev/null 2>&1; then
      touch "$rabbit_dir/epmd.started-by-us"
    fi
    log "rabbitmq: starting node $RABBIT_NODE"
    start_detached "$rabbit_dir" "$rabbit_dir/log/console.log" "$rabbit_dir/rabbitmq.pid" \
      env "${rabbit_env[@]}" "$rabbit_sbin/rabbitmq-server"
  fi
  return 0
}

rabbit_await() {
  wait_healthy rabbitmq "$rabbit_dir/rabbitmq.pid" rabbit "$rabbit_dir/log/console.log" rabbit_healthy
  log "rabbitmq: up, amqp://$HOST:$RABBIT_PORT, management http://$HOST:$RABBIT_MGMT_PORT"
}

rabbit_stop() {
  local pid
  if pid=$(pid_alive "$rabbit_dir/rabbitmq.pid" rabbit); then
    log "stopping rabbitmq (pid $pid)"
    # a clean shutdown flushes quorum-queue logs; fall back to signals if the CLI cannot reach it
    rabbitmqctl_ -q shutdown -t 60 >/dev/null 2>&1 || stop_pidfile rabbitmq "$rabbit_dir/rabbitmq.pid" rabbit 60
    stop_pidfile rabbitmq "$rabbit_dir/rabbitmq.pid" rabbit 10 # the wrapper script, if left
  fi
  rm -f "$rabbit_dir/rabbitmq.pid"
  if [ -e "$rabbit_dir/epmd.started-by-us" ]; then
    # refuses (and we ignore it) while other Erlang nodes are still registered with this epmd
    epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1 || true
    rm -f "$rabbit_dir/epmd.started-by-us"
  fi
}

# --- PostgreSQL -----------------------------------------------------------------------------------

# FerretDB 1.24 holds its metadata lock while it waits for a pool connection (creating an index), and
# every open cursor keeps a connection: with its default pool of 50, a test session's services starting
# while others stream results can take every connection and wait on that lock for ever (a goroutine dump
# showed 50 connections in use, IndexesCreate holding the lock in Pool.Acquire, 45 readers in RLock).
# A pool far larger than the cursors we ever keep open, and PostgreSQL room for it.
FERRET_POOL_CONNS=${LICHENG_FERRET_POOL_CONNS:-200}
PG_MAX_CONNECTIONS=${LICHENG_PG_MAX_CONNECTIONS:-300}

pg_dir=$infra/postgres
pg_data=$pg_dir/data

as_postgres() { (cd "$pg_dir" && runuser -u postgres -- "$@"); }
psql_() { "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PG_PORT" -U postgres -d postgres "$@"; }
pg_healthy() { "$(pg_bindir)/pg_isready" -q -h "$HOST" -p "$PG_PORT" -U postgres -d postgres -t 2; }

# PostgreSQL refuses to run as root, so its files belong to the postgres user, which must be able
# to reach them: grant search (o+x, not read) on any parent directory that blocks it.
ensure_postgres_can_reach() {
  runuser -u postgres -- test -x "$1" && return 0
  local path="" part
  local -a parts
  IFS=/ read -ra parts <<<"${1#/}"
  for part in "${parts[@]}"; do
    path="$path/$part"
    if ! runuser -u postgres -- test -x "$path"; then
      log "postgres: granting search permission (o+x) on $path so the postgres user can reach its data"
      chmod o+x "$path"
    fi
  done
}

pg_start() {
  if pg_healthy; then
    log "postgres: already up on $HOST:$PG_PORT (reused)"
  else
    local bindir socket_dir
    bindir=$(pg_bindir)
    mkdir -p "$pg_dir"/{log,run}
    ensure_postgres_can_reach "$pg_dir"
    chown postgres:postgres "$pg_dir" "$pg_dir/log" "$pg_dir/run"
    if [ ! -s "$pg_data/PG_VERSION" ]; then
      log "postgres: creating cluster in ${pg_data#"$root"/}"
      as_postgres "$bindir/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 --locale=C \
        >"$pg_dir/log/initdb.log" 2>&1 || fail_with_log postgres "$pg_dir/log/initdb.log" "initdb failed"
    fi
    # Unix socket paths are limited to 107 bytes; without room we go without one (we use TCP).
    socket_dir=$pg_dir/run
    [ ${#socket_dir} -le 90 ] || socket_dir=""
    if ! as_postgres "$bindir/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; then
      check_port_free postgres "$PG_PORT" LICHENG_PG_PORT
      log "postgres: starting"
      # settings on the command line (not in postgresql.conf) so a changed port applies at once
      as_postgres "$bindir/pg_ctl" -D "$pg_data" -l "$pg_dir/log/postgresql.log" -w -t "$TIMEOUT" \
        -o "-c listen_addresses=$HOST -c port=$PG_PORT -c unix_socket_directories='$socket_dir' -c max_connections=$PG_MAX_CONNECTIONS" \
        start >/dev/null || fail_with_log postgres "$pg_dir/log/postgresql.log" "postgres did not start"
    fi
    wait_until "$TIMEOUT" pg_healthy ||
      fail_with_log postgres "$pg_dir/log/postgresql.log" "postgres not accepting connections on $HOST:$PG_PORT"
    head -n1 "$pg_data/postmaster.pid" >"$pg_dir/postgres.pid"
    log "postgres: up, $HOST:$PG_PORT"
  fi
  # FerretDB keeps its data in database `ferretdb`, owned by role `licheng`.
  if [ "$(psql_ -tAc "select 1 from pg_roles where rolname = 'licheng'")" != 1 ]; then
    psql_ -c "create role licheng login"
  fi
  if [ "$(psql_ -tAc "select 1 from pg_database where datname = 'ferretdb'")" != 1 ]; then
    psql_ -c "create database ferretdb owner licheng"
  fi
  # GIN indexes beside FerretDB's own, so its equality filters use an index (see the file)
  "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PG_PORT" -U postgres -d ferretdb \
    -f "$here/ferretdb-equality-indexes.sql" >/dev/null
}

pg_stop() {
  local pid
  pid=$(pid_alive "$pg_dir/postgres.pid" postgres) || { rm -f "$pg_dir/postgres.pid"; return 0; }
  # only if the running postmaster is the one in our data directory
  if [ "$(head -n1 "$pg_data/postmaster.pid" 2>/dev/null)" = "$pid" ]; then
    log "stopping postgres (pid $pid)"
    as_postgres "$(pg_bindir)/pg_ctl" -D "$pg_data" -m fast -w -t 60 stop >/dev/null
  fi
  rm -f "$pg_dir/postgres.pid"
}

# --- FerretDB -------------------------------------------------------------------------------------

ferret_dir=$infra/ferretdb

ferret_healthy() { probe_mongo "$HOST" "$MONGO_PORT"; }

ferret_launch() {
  if ferret_healthy; then
    log "ferretdb: already up on $HOST:$MONGO_PORT (reused)"
    return 1
  fi
  if ! pid_alive "$ferret_dir/ferretdb.pid" "ferretdb-" >/dev/null; then
    check_port_free "MongoDB server" "$MONGO_PORT" LICHENG_MONGO_PORT
    mkdir -p "$ferret_dir"
    log "ferretdb: starting"
    start_detached "$ferret_dir" "$ferret_dir/ferretdb.log" "$ferret_dir/ferretdb.pid" \
      "$ferretdb_bin" --listen-addr="$HOST:$MONGO_PORT" \
      --postgresql-url="postgres://licheng@$HOST:$PG_PORT/ferretdb?pool_max_conns=$FERRET_POOL_CONNS"
  fi
  return 0
}

ferret_await() {
  wait_healthy ferretdb "$ferret_dir/ferretdb.pid" "ferretdb-" "$ferret_dir/ferretdb.log" ferret_healthy
  log "ferretdb: up, mongodb://$HOST:$MONGO_PORT/"
}

# --- SeaweedFS ------------------------------------------------------------------------------------

weed_dir=$infra/seaweedfs

weed_healthy() { probe_http "http://$HOST:$S3_PORT/healthz"; }

# The S3 identities file: its presence alone turns authentication on in `weed mini` (without it
# mini allows anonymous access to everything). One identity, allowed everything.
weed_identities() {
  printf '{"identities": [{"name": "licheng", "credentials": [{"accessKey": "%s", "secretKey": "%s"}],\n  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}\n' \
    "$LICHENG_S3_ACCESS_KEY" "$LICHENG_S3_SECRET_KEY"
}

weed_launch() {
  if weed_healthy; then
    log "seaweedfs: already up on $HOST:$S3_PORT (reused)"
    if [ -f "$weed_dir/s3-identities.json" ] && [ "$(weed_identities)" != "$(cat "$weed_dir/s3-identities.json")" ]; then
      log "seaweedfs: warning: it runs with other S3 keys than the current ones; run down, then up"
    fi
    return 1
  fi
  if ! pid_alive "$weed_dir/weed.pid" "weed-" >/dev/null; then
    check_port_free "SeaweedFS S3" "$S3_PORT" LICHENG_S3_PORT
    mkdir -p "$weed_dir"/{data,log,config}
    (umask 077 && weed_identities >"$weed_dir/s3-identities.json")
    log "seaweedfs: starting weed mini"
    # -ip/-ip.bind: every component (master, volume, filer, S3, admin) on loopback; the defaults
    #   are the host's address and 0.0.0.0. -master.telemetry=false: it reports usage by default.
    # -webdav=false, -admin.ui=false, iceberg/lance/legacy-admin ports 0: components we do not use.
    # -config_dir: read *.toml only from var/ (never /etc/seaweedfs or ~/.seaweedfs).
    # Internal ports (master 9333, volume 9340, filer 8888, admin 12535, gRPC +10000) keep
    # mini's defaults; mini moves them itself if taken. Its local gRPC sockets go to /tmp.
    start_detached "$weed_dir" "$weed_dir/weed.log" "$weed_dir/weed.pid" \
      "$weed_bin" -logdir="$weed_dir/log" -config_dir="$weed_dir/config" \
      mini -dir="$weed_dir/data" -ip="$HOST" -ip.bind="$HOST" \
      -master.telemetry=false -webdav=false -admin.ui=false -admin.port.legacy=0 \
      -s3.port="$S3_PORT" -s3.port.iceberg=0 -s3.port.lance=0 \
      -s3.config="$weed_dir/s3-identities.json"
  fi
  return 0
}

weed_await() {
  wait_healthy seaweedfs "$weed_dir/weed.pid" "weed-" "$weed_dir/weed.log" weed_healthy
  log "seaweedfs: up, S3 http://$HOST:$S3_PORT"
}

# --- subcommands ----------------------------------------------------------------------------------

cmd_install() {
  require_root install
  ensure_packages
  ensure_binaries
}

cmd_up() {
  require_root up
  local start=$SECONDS wait_rabbit=0 wait_weed=0 wait_ferret=0
  ensure_packages
  ensure_binaries
  ensure_s3_keys
  mkdir -p "$infra"
  # RabbitMQ and SeaweedFS boot in the background while PostgreSQL and FerretDB come up.
  if rabbit_launch; then wait_rabbit=1; fi
  if weed_launch; then wait_weed=1; fi
  pg_start
  if ferret_launch; then wait_ferret=1; fi
  [ $wait_ferret = 0 ] || ferret_await
  [ $wait_weed = 0 ] || weed_await
  [ $wait_rabbit = 0 ] || rabbit_await
  log "all servers up in $((SECONDS - start)) s"
}

# PostgreSQL and FerretDB alone: the fault suite runs a pair of its own that it may kill
cmd_db_up() {
  require_root db-up
  ensure_packages
  ensure_binaries
  mkdir -p "$infra"
  pg_start
  if ferret_launch; then ferret_await; fi
}

cmd_db_down() {
  require_root db-down
  stop_pidfile ferretdb "$ferret_dir/ferretdb.pid" "ferretdb-" 30
  pg_stop
}

cmd_down() {
  require_root down
  stop_pidfile ferretdb "$ferret_dir/ferretdb.pid" "ferretdb-" 30
  stop_pidfile seaweedfs "$weed_dir/weed.pid" "weed-" 60
  rabbit_stop
  pg_stop
  log "stopped (data kept under ${infra#"$root"/})"
}

# Always exits 0 (the Makefile's `status` target runs app.sh status after it).
cmd_status() {
  line() { # NAME HEALTHY(0/1) ADDRESS PIDFILE PATTERN
    local state=down origin=""
    if [ "$2" = 0 ]; then
      state=up
      if pid_alive "$4" "$5" >/dev/null; then origin="(pid $(head -n1 "$4"))"; else origin="(not started by infra.sh)"; fi
    fi
    printf '%-10s %-5s %s %s\n' "$1" "$state" "$3" "$origin"
  }
  local h
  rabbit_healthy >/dev/null 2>&1 && h=0 || h=1
  line rabbitmq $h "amqp://$HOST:$RABBIT_PORT mgmt http://$HOST:$RABBIT_MGMT_PORT" "$rabbit_dir/rabbitmq.pid" rabbit
  [ -n "$(pg_bindir)" ] && pg_healthy >/dev/null 2>&1 && h=0 || h=1
  line postgres $h "$HOST:$PG_PORT" "$pg_dir/postgres.pid" postgres
  ferret_healthy >/dev/null 2>&1 && h=0 || h=1
  line ferretdb $h "mongodb://$HOST:$MONGO_PORT/" "$ferret_dir/ferretdb.pid" "ferretdb-"
  weed_healthy >/dev/null 2>&1 && h=0 || h=1
  line seaweedfs $h "s3 http://$HOST:$S3_PORT" "$weed_dir/weed.pid" "weed-"
}

cmd_env() {
  ensure_s3_keys
  local name value
  for name in LICHENG_AMQP_URI LICHENG_RABBIT_MGMT_URL LICHENG_MONGO_URI LICHENG_S3_ENDPOINT \
    LICHENG_S3_ACCESS_KEY LICHENG_S3_SECRET_KEY LICHENG_S3_SECURE; do
    case $name in
      LICHENG_AMQP_URI) value="amqp://guest:guest@$HOST:$RABBIT_PORT/" ;;
      LICHENG_RABBIT_MGMT_URL) value="http://$HOST:$RABBIT_MGMT_PORT" ;;
      LICHENG_MONGO_URI) value="mongodb://$HOST:$MONGO_PORT/" ;;
      LICHENG_S3_ENDPOINT) value="$HOST:$S3_PORT" ;;
      LICHENG_S3_SECURE) value=0 ;;
      *) value=${!name} ;;
    esac
    printf 'export %s=%q\n' "$name" "$value"
  done
}

cmd_check() {
  local py=$root/var/venv/bin/python
  [ -x "$py" ] || die "check needs the project venv (var/venv) with pymongo, minio and requests"
  eval "$(cmd_env)"
  log "rabbitmq: vhost + quorum queue through the management API"
  "$py" - <<'PY'
import os, secrets, requests
base, auth = os.environ["LICHENG_RABBIT_MGMT_URL"], ("guest", "guest")
vhost = "licheng-check-" + secrets.token_hex(4)
requests.put(f"{base}/api/vhosts/{vhost}", auth=auth, timeout=10).raise_for_status()
try:
    requests.put(f"{base}/api/permissions/{vhost}/guest", auth=auth, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    requests.put(f"{base}/api/queues/{vhost}/q", auth=auth, timeout=10,
                 json={"durable": True, "arguments": {"x-queue-type": "quorum"}}).raise_for_status()
    q = requests.get(f"{base}/api/queues/{vhost}/q", auth=auth, timeout=10).json()
    assert q["type"] == "quorum", q.get("type")
    print("ok    rabbitmq vhost created, quorum queue declared, depth", q.get("messages", 0))
finally:
    requests.delete(f"{base}/api/vhosts/{vhost}", auth=auth, timeout=10)
PY
  log "ferretdb: insert / find / index / drop through pymongo"
  "$py" - <<'PY'
import os, secrets, pymongo
client = pymongo.MongoClient(os.environ["LICHENG_MONGO_URI"], serverSelectionTimeoutMS=5000)
db = client["licheng_check_" + secrets.token_hex(4)]
try:
    db.c.create_index([("k", 1)], unique=True)
    db.c.insert_one({"k": 1, "v": "x"})
    assert db.c.find_one({"k": 1})["v"] == "x"
    try:
        db.c.insert_one({"k": 1})
        raise AssertionError("unique index not enforced")
    except pymongo.errors.DuplicateKeyError:
        pass
    print("ok    mongodb ping, insert, find, unique index on", client.server_info().get("version"))
finally:
    client.drop_database(db.name)
PY
  log "seaweedfs: S3 features (check_s3.py)"
  "$py" "$here/check_s3.py"
}

case "${1:-}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  db-up) cmd_db_up ;;
  db-down) cmd_db_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  check) cmd_check ;;
  rabbitmqctl) shift; rabbitmqctl_ "$@" ;;
  *)
    sed -n '2,11s/^# \{0,1\}//p' "$0" >&2
    exit 2
    ;;
esac
