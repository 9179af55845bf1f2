# shellcheck shell=bash disable=SC2154
# Helpers for infra.sh: logging, pid files, waiting, and protocol probes.
# Sourced, not run. Expects $root (repo root) to be set.

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] error: %s\n' "$*" >&2; exit 1; }

# Python for the probes: the project venv if it exists, else the system python3. The probes use
# only the standard library, so they work before the venv is created.
infra_python() {
  if [ -x "$root/var/venv/bin/python" ]; then echo "$root/var/venv/bin/python"
  elif command -v python3 >/dev/null; then command -v python3
  else die "python3 not found"; fi
}

# pid_alive PIDFILE PATTERN: prints the pid and succeeds if the process in PIDFILE runs (not a
# zombie) and its command line contains PATTERN (guards against a recycled pid).
pid_alive() {
  local file=$1 pattern=$2 pid state
  [ -s "$file" ] || return 1
  pid=$(head -n1 "$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  # field 3 of /proc/PID/stat is the state; the command name before it may contain spaces
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern" || return 1
  echo "$pid"
}

# stop_pidfile NAME PIDFILE PATTERN [TIMEOUT]: SIGTERM, wait, SIGKILL as a last resort.
stop_pidfile() {
  local name=$1 file=$2 pattern=$3 timeout=${4:-30} pid i
  if ! pid=$(pid_alive "$file" "$pattern"); then
    rm -f "$file"
    return 0
  fi
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 5; i++)); do
    pid_alive "$file" "$pattern" >/dev/null || { rm -f "$file"; return 0; }
    sleep 0.2
  done
  log "$name did not stop within ${timeout}s, killing pid $pid"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

# start_detached DIR LOG PIDFILE CMD...: runs CMD in DIR as a daemon in its own session
# (so it survives the calling terminal), output appended to LOG, pid written to PIDFILE.
# setsid execs in place here (a background job of a non-interactive shell is not a process
# group leader), so $! is the server's own pid.
start_detached() {
  local dir=$1 logfile=$2 pidfile=$3
  shift 3
  printf '\n=== %s: started by deploy/native/infra.sh ===\n' "$(date -Is)" >>"$logfile"
  (cd "$dir" && exec setsid "$@" >>"$logfile" 2>&1 </dev/null) &
  echo $! >"$pidfile"
}

# port_open HOST PORT: something accepts TCP connections there.
port_open() {
  # shellcheck disable=SC2016  # $1/$2 expand in the inner shell
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# wait_until TIMEOUT CMD...: polls CMD every 0.5 s until it succeeds or TIMEOUT seconds pass.
wait_until() {
  local timeout=$1 deadline
  shift
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

# fail_with_log NAME LOGFILE MESSAGE: prints the tail of the server's log and exits non-zero.
fail_with_log() {
  local name=$1 logfile=$2 msg=$3
  printf '[infra] error: %s\n' "$msg" >&2
  if [ -f "$logfile" ]; then
    printf '[infra] ---- last lines of %s ----\n' "$logfile" >&2
    tail -n 40 "$logfile" >&2
    printf '[infra] ---- end of %s log ----\n' "$name" >&2
  fi
  exit 1
}

# probe_http URL [USER:PASS] [EXPECTED_STATUS]: succeeds if URL answers with that HTTP status
# (default 200). Standard library only.
probe_http() {
  "$(infra_python)" - "$@" <<'PY'
import base64, sys, urllib.error, urllib.request
url = sys.argv[1]
auth = sys.argv[2] if len(sys.argv) > 2 else ""
want = int(sys.argv[3]) if len(sys.argv) > 3 else 200
req = urllib.request.Request(url)
if auth:
    req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
try:
    status = urllib.request.urlopen(req, timeout=3).status
except urllib.error.HTTPError as err:
    status = err.code
except Exception:
    sys.exit(1)
sys.exit(0 if status == want else 1)
PY
}

# probe_mongo HOST PORT: sends a MongoDB `ping` (OP_MSG) over a raw socket and succeeds if the
# reply says ok: 1. Hand-built BSON, so no driver is needed.
probe_mongo() {
  "$(infra_python)" - "$1" "$2" <<'PY'
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
def cstr(s): return s.encode() + b"\0"
body = (b"\x10" + cstr("ping") + struct.pack("<i", 1)
        + b"\x02" + cstr("$db") + struct.pack("<i", 6) + cstr("admin"))
doc = struct.pack("<i", 4 + len(body) + 1) + body + b"\0"
payload = struct.pack("<I", 0) + b"\x00" + doc          # flagBits, section kind 0, document
msg = struct.pack("<iiii", 16 + len(payload), 1, 0, 2013) + payload   # header, opCode OP_MSG
try:
    with socket.create_connection((host, port), timeout=3) as s:
        s.settimeout(3)
        s.sendall(msg)
        header = b""
        while len(header) < 16:
            chunk = s.recv(16 - len(header))
            if not chunk: sys.exit(1)
            header += chunk
        length, _, _, opcode = struct.unpack("<iiii", header)
        rest = b""
        while len(rest) < length - 16:
            chunk = s.recv(length - 16 - len(rest))
            if not chunk: sys.exit(1)
            rest += chunk
except OSError:
    sys.exit(1)
i = rest.find(b"\x01ok\x00")   # element: type double, name "ok"
ok = opcode == 2013 and i >= 0 and struct.unpack("<d", rest[i + 4:i + 12])[0] == 1.0
sys.exit(0 if ok else 1)
PY
}
