#!/usr/bin/env bash
# The national database simulator on the native path.
#   deploy/national-sim/run.sh start | stop | status | run   (run = in the foreground)
# Env: LICHENG_NATIONAL_BIND (127.0.0.1:8090), LICHENG_NATIONAL_DATA_DIR (var/national-sim),
# LICHENG_NATIONAL_SECRET, ... (see README.md). Log var/log/national-sim.log, pid var/run/national-sim.pid.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
py="$root/var/venv/bin/python"
run_dir="$root/var/run"; log_dir="$root/var/log"; pid_file="$run_dir/national-sim.pid"
mkdir -p "$run_dir" "$log_dir"
[ -f "$root/var/secrets.env" ] && . "$root/var/secrets.env"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
: "${LICHENG_NATIONAL_BIND:=127.0.0.1:8090}"
export LICHENG_NATIONAL_BIND

alive() { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

start() {
  if alive; then echo "national-sim: already up (pid $(cat "$pid_file"))"; return 0; fi
  nohup "$py" -m deploy.national_sim serve >>"$log_dir/national-sim.log" 2>&1 &
  echo $! >"$pid_file"
  local deadline=$((SECONDS + 30))
  until curl -fsS "http://$LICHENG_NATIONAL_BIND/healthz" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ] || ! alive; then
      echo "national-sim did not come up; log tail:" >&2; tail -n 20 "$log_dir/national-sim.log" >&2; exit 1
    fi
    sleep 0.3
  done
  echo "national-sim: http://$LICHENG_NATIONAL_BIND (pid $(cat "$pid_file"))"
}

stop() {
  if alive; then
    kill -TERM "$(cat "$pid_file")"
    local n=0
    while alive && [ $n -lt 40 ]; do sleep 0.25; n=$((n + 1)); done
    alive && kill -KILL "$(cat "$pid_file")" || true
  fi
  rm -f "$pid_file"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if alive; then echo "national-sim: up (pid $(cat "$pid_file"))"; else echo "national-sim: down"; fi ;;
  run) exec "$py" -m deploy.national_sim serve ;;
  *) echo "usage: $0 start|stop|status|run" >&2; exit 2 ;;
esac
