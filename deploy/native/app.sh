#!/usr/bin/env bash
# Starts and stops our own processes (every service and the gateway) on the native path.
#   app.sh start | stop | status | run   (run: start, seed the demo, print logins, wait for Ctrl-C, stop)
# Needs the servers of infra.sh; logs in var/log, pid files in var/run. The services, the upload
# worker and the gateway run under deploy/native/supervise.py, which restarts whichever dies within
# a second or so and logs it in var/log/supervisor.log (state: var/run/supervisor.json).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
py="$root/var/venv/bin/python"
run_dir="$root/var/run"; log_dir="$root/var/log"
mkdir -p "$run_dir" "$log_dir"

eval "$("$here/infra.sh" env)"
# shellcheck disable=SC1091
. "$root/var/secrets.env"
export PYTHONPATH="$root" PROMETHEUS_MULTIPROC_DIR="$root/var/run/metrics"
export LICHENG_SUPERVISOR_STATE="$run_dir/supervisor.json"
: "${LICHENG_GATEWAY_BIND:=127.0.0.1:8080}"
export LICHENG_GATEWAY_BIND LICHENG_PUBLIC_URL="${LICHENG_PUBLIC_URL:-http://$LICHENG_GATEWAY_BIND}"
export LICHENG_NATIONAL_URL="${LICHENG_NATIONAL_URL:-http://${LICHENG_NATIONAL_BIND:-127.0.0.1:8090}}"
# Reminders go to the district's SMTP relay (LICHENG_SMTP_HOST/PORT/USER/PASSWORD/SECURITY). Without
# one, a local relay (aiosmtpd) keeps every mail in var/mail (a Maildir) to read instead of sending it.
local_relay=""
if [ -z "${LICHENG_SMTP_HOST:-}" ]; then
  local_relay=1
  export LICHENG_SMTP_HOST=127.0.0.1 LICHENG_SMTP_PORT="${LICHENG_SMTP_PORT:-2525}"
fi

services=$("$py" -m services.run --list)

alive() { [ -f "$run_dir/$1.pid" ] && kill -0 "$(cat "$run_dir/$1.pid")" 2>/dev/null; }

spawn() {  # spawn NAME COMMAND...
  local name=$1; shift
  if alive "$name"; then return 0; fi
  nohup "$@" >>"$log_dir/$name.log" 2>&1 &
  echo $! >"$run_dir/$name.pid"
}

start() {
  "$root/deploy/national-sim/run.sh" start
  local programs=()
  for s in $services; do programs+=(--program "$s=$py -m services.run $s"); done
  programs+=(--program "upload-worker=$py -m services.national_upload.worker")
  programs+=(--program "mail-worker=$py -m services.reminders.worker")
  if [ -n "$local_relay" ]; then
    mkdir -p "$root/var/mail"
    programs+=(--program "mail-relay=$py -m aiosmtpd -n -l 127.0.0.1:$LICHENG_SMTP_PORT -c aiosmtpd.handlers.Mailbox $root/var/mail")
  fi
  programs+=(--program "gateway=$py -m gunicorn -c gateway/gunicorn.conf.py gateway.wsgi:app")
  spawn supervisor "$py" "$here/supervise.py" --run-dir "$run_dir" --log-dir "$log_dir" "${programs[@]}"
  local deadline=$((SECONDS + 90))
  until curl -fsS "$LICHENG_PUBLIC_URL/readyz" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "the system did not become ready; log tails:" >&2
      for s in $services gateway; do echo "--- $s" >&2; tail -n 20 "$log_dir/$s.log" >&2 || true; done
      exit 1
    fi
    sleep 0.5
  done
}

stop() {
  if alive supervisor; then  # it stops its programs itself (SIGTERM, then SIGKILL after 20 s)
    kill -TERM "$(cat "$run_dir/supervisor.pid")" 2>/dev/null || true
    local n=0
    while alive supervisor && [ $n -lt 60 ]; do sleep 0.5; n=$((n + 1)); done
    alive supervisor && kill -KILL "$(cat "$run_dir/supervisor.pid")" 2>/dev/null || true
    rm -f "$run_dir/supervisor.pid"
  fi
  for s in gateway upload-worker $services; do
    if alive "$s"; then
      kill -TERM "$(cat "$run_dir/$s.pid")" 2>/dev/null || true
    fi
  done
  for s in gateway upload-worker $services; do
    local n=0
    while alive "$s" && [ $n -lt 40 ]; do sleep 0.5; n=$((n + 1)); done
    alive "$s" && kill -KILL "$(cat "$run_dir/$s.pid")" 2>/dev/null || true
    rm -f "$run_dir/$s.pid"
  done
  "$root/deploy/national-sim/run.sh" stop
}

status() {
  for s in supervisor $services upload-worker gateway; do
    if alive "$s"; then echo "$s: up (pid $(cat "$run_dir/$s.pid"))"; else echo "$s: down"; fi
  done
  "$root/deploy/national-sim/run.sh" status
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  run)
    start
    "$py" deploy/seed_demo.py
    echo
    echo "Logs: var/log/. Press Ctrl-C (or run 'make down' elsewhere) to stop everything."
    trap 'echo; echo stopping...; stop; "$here/infra.sh" down; exit 0' INT TERM
    while :; do sleep 3600 & wait $!; done
    ;;
  *) echo "usage: $0 start|stop|status|run" >&2; exit 2 ;;
esac
