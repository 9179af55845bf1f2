#!/usr/bin/env bash
# The replicated topology for the fault suite, natively on loopback: a three-node RabbitMQ cluster
# and a SeaweedFS of one master, three volume servers (replication 001: every volume on two servers)
# and a filer with the S3 gateway, and a PostgreSQL + FerretDB pair of its own that faults may kill.
# It runs beside the single-node servers of infra.sh (other ports, other data dirs), so `make test`
# and `make chaos` can run together.
#
#   deploy/native/cluster.sh up            start what is not running (idempotent)
#   deploy/native/cluster.sh down          stop everything this script started, keep the data
#   deploy/native/cluster.sh status        one line per process
#   deploy/native/cluster.sh env           `export` lines pointing the services at the cluster
#   deploy/native/cluster.sh kill PART     SIGKILL one part: rabbit1..3, volume1..3, postgres, ferretdb
#   deploy/native/cluster.sh start PART    start that part again (a killed node rejoins by itself)
#
# Ports: RabbitMQ node N (rabbit1..3) AMQP 127.0.0.1:570N, management 1570N, dist 2570N, nodes
# licheng-cN@localhost; SeaweedFS master 9433, volumes 848N, filer 8899, S3 8434 (gRPC ports +10000);
# PostgreSQL 55532, FerretDB 27117.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=versions.env
. "$here/versions.env"

HOST=127.0.0.1
TIMEOUT=${LICHENG_INFRA_TIMEOUT:-120}
EPMD_PORT=${LICHENG_EPMD_PORT:-4369}
NODES=(1 2 3)
cluster=$root/var/cluster
weed_bin=$root/var/bin/weed-$SEAWEEDFS_VERSION
rabbit_sbin=/usr/lib/rabbitmq/bin
secrets_file=$root/var/secrets.env

amqp_port() { echo $((5700 + $1)); }
mgmt_port() { echo $((15700 + $1)); }
dist_port() { echo $((25700 + $1)); }
node_name() { echo "licheng-c$1@localhost"; }
MASTER_PORT=9433
FILER_PORT=8899
S3_PORT=8434
volume_port() { echo $((8480 + $1)); }
PG_PORT=55532
MONGO_PORT=27117

# --- PostgreSQL + FerretDB, through infra.sh pointed at our own directory and ports ----------------

db() { LICHENG_INFRA_DIR="$cluster/db" LICHENG_PG_PORT=$PG_PORT LICHENG_MONGO_PORT=$MONGO_PORT "$here/infra.sh" "$@"; }

db_kill() {
  local name=$1 file pid
  case $name in
    postgres) file=$cluster/db/postgres/data/postmaster.pid ;;
    ferretdb) file=$cluster/db/ferretdb/ferretdb.pid ;;
  esac
  pid=$(head -n1 "$file" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || { log "$name: not running"; return 0; }
  log "$name: SIGKILL pid $pid"
  kill -KILL "$pid"
  # PostgreSQL's backends outlive a killed postmaster for a moment; a restart waits for them
  [ "$name" != postgres ] || sleep 1
}

# --- RabbitMQ cluster ---------------------------------------------------------------------------

rabbit_env() {
  local n=$1 dir=$cluster/rabbit$1
  echo HOME="$dir/home" RABBITMQ_NODENAME="$(node_name "$n")" RABBITMQ_USE_LONGNAME=false \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/rabbitmq.pid" \
    RABBITMQ_DIST_PORT="$(dist_port "$n")" ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$EPMD_PORT" \
    ERL_CRASH_DUMP="$dir/log/erl_crash.dump"
}

# the inet_dist_use_interface tuple has spaces-free braces but must reach erl as one argument
rabbit_erl_args='-kernel inet_dist_use_interface {127,0,0,1}'

ctl() {
  local n=$1
  shift
  # shellcheck disable=SC2046  # word splitting of the VAR=value list is intended
  env $(rabbit_env "$n") RABBITMQ_CTL_ERL_ARGS="$rabbit_erl_args" "$rabbit_sbin/rabbitmqctl" -n "$(node_name "$n")" "$@"
}

rabbit_healthy() {
  port_open "$HOST" "$(amqp_port "$1")" && probe_http "http://$HOST:$(mgmt_port "$1")/api/overview" guest:guest
}

rabbit_start() {
  local n=$1 dir=$cluster/rabbit$1
  rabbit_healthy "$n" && { log "rabbit$n: already up"; return 0; }
  pid_alive "$dir/rabbitmq.pid" "$dir/home" >/dev/null && { rabbit_wait "$n"; return 0; }
  mkdir -p "$dir"/{home,mnesia,log}
  # one Erlang cookie for the three nodes, or they refuse to talk to each other
  [ -s "$cluster/erlang.cookie" ] || (umask 077 && od -An -tx1 -N20 /dev/urandom | tr -d ' \n' >"$cluster/erlang.cookie")
  install -m 400 "$cluster/erlang.cookie" "$dir/home/.erlang.cookie"
  : >"$dir/rabbitmq-env.conf"
  cat >"$dir/rabbitmq.conf" <<EOF
# Written by deploy/native/cluster.sh at every start; change it there.
listeners.tcp.1 = $HOST:$(amqp_port "$n")
management.tcp.ip = $HOST
management.tcp.port = $(mgmt_port "$n")
loopback_users.guest = true
log.console = false
log.file.level = info
# a node that comes back after a kill rejoins its peers instead of starting a cluster of its own
cluster_formation.peer_discovery_backend = classic_config
cluster_formation.classic_config.nodes.1 = $(node_name 1)
cluster_formation.classic_config.nodes.2 = $(node_name 2)
cluster_formation.classic_config.nodes.3 = $(node_name 3)
# a partitioned minority pauses instead of accepting writes it would later lose
cluster_partition_handling = pause_minority
EOF
  echo '[].' >"$dir/advanced.config"
  echo '[rabbitmq_management].' >"$dir/enabled_plugins"
  log "rabbit$n: starting node $(node_name "$n")"
  # shellcheck disable=SC2046
  start_detached "$dir" "$dir/log/console.log" "$dir/rabbitmq.pid" \
    env $(rabbit_env "$n") RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="$rabbit_erl_args" "$rabbit_sbin/rabbitmq-server"
}

rabbit_wait() {
  local n=$1 dir=$cluster/rabbit$1
  wait_until "$TIMEOUT" rabbit_healthy "$n" || fail_with_log "rabbit$n" "$dir/log/console.log" "rabbit$n not healthy"
}

rabbit_join() {
  # classic_config forms the cluster only on a node's first boot with an empty database; a node
  # started before its peers were reachable runs alone, so join it explicitly (idempotent).
  local n
  for n in 2 3; do
    if ! ctl "$n" -q cluster_status --formatter json 2>/dev/null | grep -q "$(node_name 1)"; then
      log "rabbit$n: joining $(node_name 1)"
      ctl "$n" -q stop_app && ctl "$n" -q reset && ctl "$n" -q join_cluster "$(node_name 1)" && ctl "$n" -q start_app
    fi
  done
}

rabbit_kill() {
  local n=$1 dir=$cluster/rabbit$1 pid
  # the node's beam.smp carries its own home directory on the command line
  pid=$(pgrep -f -- "-home $dir/home " | head -n1 || true)
  [ -n "$pid" ] || { log "rabbit$n: not running"; return 0; }
  log "rabbit$n: SIGKILL pid $pid"
  kill -KILL "$pid"
  rm -f "$dir/rabbitmq.pid"
}

rabbit_stop() {
  local n=$1 dir=$cluster/rabbit$1
  if rabbit_healthy "$n" || pid_alive "$dir/rabbitmq.pid" "$dir/home" >/dev/null; then
    log "rabbit$n: stopping"
    ctl "$n" -q shutdown -t 60 >/dev/null 2>&1 || rabbit_kill "$n"
  fi
  rm -f "$dir/rabbitmq.pid"
}

# --- SeaweedFS, replicated ----------------------------------------------------------------------

weed_identities() {
  printf '{"identities": [{"name": "licheng", "credentials": [{"accessKey": "%s", "secretKey": "%s"}],\n  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}\n' \
    "$LICHENG_S3_ACCESS_KEY" "$LICHENG_S3_SECRET_KEY"
}

weed_part_start() {
  # weed_part_start NAME PROBE_URL ARGS...: one SeaweedFS process in var/cluster/NAME
  local name=$1 probe=$2 dir=$cluster/$1
  shift 2
  probe_http "$probe" && { log "$name: already up"; return 0; }
  pid_alive "$dir/weed.pid" "weed-" >/dev/null && return 0
  mkdir -p "$dir"/{data,log}
  log "$name: starting"
  start_detached "$dir" "$dir/weed.log" "$dir/weed.pid" "$weed_bin" -logdir="$dir/log" "$@"
}

weed_wait() {
  local name=$1 probe=$2
  wait_until "$TIMEOUT" probe_http "$probe" || fail_with_log "$name" "$cluster/$name/weed.log" "$name not healthy"
}

master_start() {
  weed_part_start master "http://$HOST:$MASTER_PORT/cluster/status" \
    master -ip="$HOST" -ip.bind="$HOST" -port="$MASTER_PORT" -mdir="$cluster/master/data" \
    -defaultReplication=001 -volumeSizeLimitMB=64 -telemetry=false
}

volume_start() {
  local n=$1
  # small volumes, so that three servers can host new replicated volumes after one dies
  weed_part_start "volume$n" "http://$HOST:$(volume_port "$n")/status" \
    volume -ip="$HOST" -ip.bind="$HOST" -port="$(volume_port "$n")" -dir="$cluster/volume$n/data" \
    -mserver="$HOST:$MASTER_PORT" -dataCenter=dc1 -rack=rack1 -max=30
}

filer_start() {
  (umask 077 && mkdir -p "$cluster/filer" && weed_identities >"$cluster/filer/s3-identities.json")
  weed_part_start filer "http://$HOST:$S3_PORT/healthz" \
    filer -ip="$HOST" -ip.bind="$HOST" -port="$FILER_PORT" -master="$HOST:$MASTER_PORT" \
    -defaultReplicaPlacement=001 -s3 -s3.port="$S3_PORT" -s3.config="$cluster/filer/s3-identities.json"
}

weed_kill() {
  local name=$1 pid
  pid=$(pid_alive "$cluster/$name/weed.pid" "weed-") || { log "$name: not running"; return 0; }
  log "$name: SIGKILL pid $pid"
  kill -KILL "$pid"
  rm -f "$cluster/$name/weed.pid"
}

# --- subcommands --------------------------------------------------------------------------------

load_s3_keys() {
  [ -f "$secrets_file" ] && . "$secrets_file"
  [ -n "${LICHENG_S3_ACCESS_KEY:-}" ] || die "no S3 keys: run deploy/native/infra.sh up first"
}

cmd_up() {
  [ -x "$rabbit_sbin/rabbitmq-server" ] && [ -x "$weed_bin" ] || die "run deploy/native/infra.sh install first"
  load_s3_keys
  mkdir -p "$cluster"
  local n
  for n in "${NODES[@]}"; do rabbit_start "$n"; done
  master_start
  db db-up
  for n in "${NODES[@]}"; do rabbit_wait "$n"; done
  rabbit_join
  weed_wait master "http://$HOST:$MASTER_PORT/cluster/status"
  for n in "${NODES[@]}"; do volume_start "$n"; done
  for n in "${NODES[@]}"; do weed_wait "volume$n" "http://$HOST:$(volume_port "$n")/status"; done
  filer_start
  weed_wait filer "http://$HOST:$S3_PORT/healthz"
  log "cluster: up (RabbitMQ $(node_name 1) $(node_name 2) $(node_name 3), S3 http://$HOST:$S3_PORT)"
}

cmd_down() {
  local n
  for n in 3 2 1; do rabbit_stop "$n"; done
  stop_pidfile filer "$cluster/filer/weed.pid" weed- 30
  for n in "${NODES[@]}"; do stop_pidfile "volume$n" "$cluster/volume$n/weed.pid" weed- 30; done
  stop_pidfile master "$cluster/master/weed.pid" weed- 30
  db db-down
}

cmd_status() {
  local n
  for n in "${NODES[@]}"; do
    if rabbit_healthy "$n"; then echo "up    rabbit$n  amqp://$HOST:$(amqp_port "$n")"; else echo "down  rabbit$n"; fi
  done
  db status | grep -E '^(postgres|ferretdb)' || true
  for part in master volume1 volume2 volume3 filer; do
    if pid=$(pid_alive "$cluster/$part/weed.pid" weed-); then echo "up    $part  pid $pid"; else echo "down  $part"; fi
  done
}

cmd_env() {
  # services take every node, separated by ";" (kombu's failover form), and fail over between them
  local uris=() n
  for n in "${NODES[@]}"; do uris+=("amqp://guest:guest@$HOST:$(amqp_port "$n")/"); done
  local IFS=";"
  echo "export LICHENG_AMQP_URI='${uris[*]}'"
  echo "export LICHENG_RABBIT_MGMT_URL=http://$HOST:$(mgmt_port 1)"
  echo "export LICHENG_S3_ENDPOINT=$HOST:$S3_PORT"
  echo "export LICHENG_MONGO_URI=mongodb://$HOST:$MONGO_PORT/"
}

part_cmd() {
  local action=$1 part=${2:-}
  case "$action:$part" in
    kill:rabbit[123]) rabbit_kill "${part#rabbit}" ;;
    start:rabbit[123]) rabbit_start "${part#rabbit}"; rabbit_wait "${part#rabbit}" ;;
    kill:volume[123]) weed_kill "$part" ;;
    start:volume[123])
      volume_start "${part#volume}"
      weed_wait "$part" "http://$HOST:$(volume_port "${part#volume}")/status"
      ;;
    kill:postgres | kill:ferretdb) db_kill "$part" ;;
    start:postgres | start:ferretdb) db db-up ;;
    *) die "usage: cluster.sh $action rabbit1|rabbit2|rabbit3|volume1|volume2|volume3|postgres|ferretdb" ;;
  esac
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  kill | start) part_cmd "$1" "${2:-}" ;;
  *) sed -n '2,18p' "$0"; exit 2 ;;
esac
