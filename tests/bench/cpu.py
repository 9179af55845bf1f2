"""Where the CPU of a benchmark run goes: per-process CPU, CPU-ms and database operations per operation.

Used by both harnesses (`make bench`, `make rush`):

    meter = CpuMeter(own=system_pids(system))
    meter.start()
    ... run the operations ...
    report["cpu"] = meter.stop(operations=n)

CPU comes from /proc/<pid>/stat (utime + stime, clock ticks) read before and after, so no package is
needed. Our own processes (gateway, services, upload workers) are named by the pids the harness
started, with their children (gunicorn's workers); the shared servers (RabbitMQ, FerretDB,
PostgreSQL, SeaweedFS) are named by command line. Those servers are shared by every test session on
the machine, so their figures include whatever else ran meanwhile: read them beside the load average
recorded with them. Database operations are pg_stat_database deltas of FerretDB's backing database
(same caveat). A process that starts during the run counts from zero; one that ends before `stop()`
is missing, so stop the meter before stopping what it measures.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK")
PG_PORT = int(os.environ.get("LICHENG_PG_PORT", "55432"))
PG_FIELDS = ("xact_commit", "tup_returned", "tup_fetched", "tup_inserted", "tup_updated", "tup_deleted")

# Shared servers by command line (first match wins); anything else unnamed is not reported.
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


def system_pids(system: Any) -> dict[int, str]:
    """The processes a TestSystem started, by name (gateway, identity, …, upload workers)."""
    return {proc.pid: name for name, proc in getattr(system, "processes", {}).items() if proc.poll() is None}


class CpuMeter:
    def __init__(self, own: dict[int, str] | None = None, client_name: str = "load client") -> None:
        self.own = dict(own or {})
        self.own.setdefault(os.getpid(), client_name)
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
                name = _shared_name(_cmdline(pid))
            if name is not None:
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
            "shared_servers_note": "rabbitmq/ferretdb/postgresql/seaweedfs are shared with other sessions on this machine",
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
