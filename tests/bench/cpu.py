"""Where the CPU of a benchmark run goes: per-process CPU, CPU-ms and database operations per operation.

Used by both harnesses (`make bench`, `make rush`):

    meter = CpuMeter(own=system_pids(system))
    meter.start()
    ... run the operations ...
    report["cpu"] = meter.stop(operations=n)

CPU comes from /proc/<pid>/stat (utime + stime, clock ticks) read before and after, so no package is
needed. Our own processes (gateway, services, upload workers) are named by the pids the harness
started, with their children (gunicorn's workers); the shared servers (RabbitMQ, FerretDB,
PostgreSQL, SeaweedFS) are the processes listening on the ports the environment names, with their
children (by command line when /proc does not say); every other process is one "other processes"
figure. Those servers are shared by every test session on the machine, so their figures include
whatever else ran meanwhile: read them beside the load average and "other processes" recorded with
them. Database operations are pg_stat_database deltas of FerretDB's backing database (same caveat).
A process that starts during the run counts from zero; one that ends before `stop()` is missing, so
stop the meter before stopping what it measures.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK")
PG_PORT = int(os.environ.get("LICHENG_PG_PORT", "55432"))
PG_FIELDS = ("xact_commit", "tup_returned", "tup_fetched", "tup_inserted", "tup_updated", "tup_deleted")

# Shared servers by command line (first match wins); anything else unnamed is not reported.
OTHER = "other processes"
SHARED = (
    ("rabbitmq", "beam.smp"),
    ("ferretdb", "ferretdb"),
    ("postgresql", "postgres"),
    ("seaweedfs", "weed"),
)


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, utime + stime ticks) of one process; None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # the command name may hold spaces; skip past it
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _shared_name(cmdline: str) -> str | None:
    program = cmdline.split(" ", 1)[0].rsplit("/", 1)[-1]
    head = cmdline[:200]
    for name, needle in SHARED:
        if needle in program or (name == "postgresql" and head.startswith("postgres:")):
            return name
    return None


def _port(value: str, default: int) -> int:
    """The port of an address or URI (`amqp://u:p@127.0.0.1:5672/v`, `127.0.0.1:8333`), else the default."""
    first = value.split(";")[0].strip()
    try:
        port = urllib.parse.urlsplit(first if "://" in first else f"//{first}").port
    except ValueError:
        port = None
    return port or default


def _our_server_ports() -> dict[int, str]:
    """The ports of the servers this run's system talks to (the environment infra.sh exports)."""
    env = os.environ
    return {
        _port(env.get("LICHENG_AMQP_URI", ""), 5672): "rabbitmq",
        _port(env.get("LICHENG_MONGO_URI", ""), 27017): "ferretdb",
        PG_PORT: "postgresql",
        _port(env.get("LICHENG_S3_ENDPOINT", ""), 8333): "seaweedfs",
    }


def listening_servers(ports: dict[int, str]) -> dict[int, str]:
    """pid -> server name of the processes listening on `ports`. Another engineer's servers of the same
    kind (a fault suite's cluster on other ports) share the machine; named by command line alone, their
    CPU was counted as ours. {} when /proc does not tell (the command-line names are then used)."""
    inodes: dict[str, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A":  # LISTEN
                port = int(fields[1].rsplit(":", 1)[1], 16)
                if port in ports:
                    inodes[fields[9]] = ports[port]
    found: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            links = [os.readlink(f"/proc/{entry}/fd/{fd}") for fd in os.listdir(f"/proc/{entry}/fd")]
        except OSError:
            continue
        for link in links:
            if link.startswith("socket:[") and link[8:-1] in inodes:
                found[int(entry)] = inodes[link[8:-1]]
                break
    return found


def system_pids(system: Any) -> dict[int, str]:
    """The processes a TestSystem started, by name (gateway, identity, …, upload workers)."""
    return {proc.pid: name for name, proc in getattr(system, "processes", {}).items() if proc.poll() is None}


class CpuMeter:
    def __init__(self, own: dict[int, str] | None = None, client_name: str = "load client") -> None:
        self.own = dict(own or {})
        self.own.setdefault(os.getpid(), client_name)
        self.servers = listening_servers(_our_server_ports())  # and their children: PostgreSQL's backends
        self._before: dict[int, tuple[str, int]] = {}
        self._pg_before: dict[str, int] = {}
        self._started = 0.0

    def add(self, pid: int, name: str) -> None:
        """A process started after the meter (an upload worker): counted from its first tick."""
        self.own[pid] = name

    def _snapshot(self) -> dict[int, tuple[str, int]]:
        stats: dict[int, tuple[int, int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (stat := _stat(int(entry))) is not None:
                stats[int(entry)] = stat
        named: dict[int, tuple[str, int]] = {}
        for pid, (ppid, ticks) in stats.items():
            name = self.own.get(pid) or self.own.get(ppid)  # gunicorn's workers are the master's children
            if name is None and ppid not in self.own:
                if self.servers:
                    name = self.servers.get(pid) or self.servers.get(ppid) or OTHER
                else:
                    name = _shared_name(_cmdline(pid)) or OTHER
            named[pid] = (name, ticks)
        return named

    def start(self) -> CpuMeter:
        self._pg_before = pg_counters()
        self._before = self._snapshot()
        self._started = time.perf_counter()
        return self

    def stop(self, operations: int, label: str = "operation") -> dict[str, Any]:
        wall = time.perf_counter() - self._started
        after = self._snapshot()
        pg_after = pg_counters()
        by_name: dict[str, float] = {}
        for pid, (name, ticks) in after.items():
            earlier = self._before.get(pid)
            spent = ticks - (earlier[1] if earlier and earlier[0] == name else 0)
            by_name[name] = by_name.get(name, 0.0) + spent * 1000 / TICKS
        ops = max(operations, 1)
        other = by_name.pop(OTHER, 0.0)
        ours = {n: ms for n, ms in by_name.items() if n not in {s for s, _ in SHARED}}
        report: dict[str, Any] = {
            "per": label,
            "operations": operations,
            "wall_s": round(wall, 2),
            "load_average": load_average(),
            "cpu_ms": {n: round(ms, 1) for n, ms in sorted(by_name.items(), key=lambda kv: -kv[1])},
            "cpu_ms_per_op": {n: round(ms / ops, 3) for n, ms in sorted(by_name.items(), key=lambda kv: -kv[1])},
            "ours_cpu_ms_per_op": round(sum(ours.values()) / ops, 3),
            "all_cpu_ms_per_op": round(sum(by_name.values()) / ops, 3),
            # everything else on the machine meanwhile (other engineers' runs): read the figures beside it
            "other_processes_cpu_ms": round(other, 1),
            "shared_servers_note": "rabbitmq/ferretdb/postgresql/seaweedfs are our servers (by their listening ports), "
            "which other sessions on this machine may use too",
        }
        if self._pg_before and pg_after:
            delta = {k: pg_after[k] - self._pg_before[k] for k in PG_FIELDS}
            report["db"] = {"delta": delta, "per_op": {k: round(v / ops, 2) for k, v in delta.items()}}
        return report


def pg_counters() -> dict[str, int]:
    """pg_stat_database of FerretDB's database (psql, no Python driver needed); {} when unreachable."""
    psql = shutil.which("psql")
    if psql is None:
        return {}
    query = f"select {','.join(PG_FIELDS)} from pg_stat_database where datname='ferretdb'"
    try:
        out = subprocess.run(
            [psql, "-X", "-Atc", query, "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "licheng", "-d", "ferretdb"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return {}
    values = out.split("|")
    return dict(zip(PG_FIELDS, map(int, values), strict=True)) if len(values) == len(PG_FIELDS) else {}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def profile(pid: int, seconds: int, path: Path, *, children: bool = False) -> subprocess.Popen | None:
    """`py-spy record` of one process for `seconds`, in the background (it stops by itself); writes an
    SVG flame graph at `path` (`children`: gunicorn's workers too). None when py-spy (requirements-dev) is missing."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            "50",
            "--nonblocking",
            "-o",
            str(path),
            "--format",
            "flamegraph",
        ]
        + (["--subprocesses"] if children else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
