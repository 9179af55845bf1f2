"""Benchmark plumbing: results as JSON under var/bench, every figure beside a same-run baseline."""

from __future__ import annotations

import json
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from services.identity.bootstrap import ensure_district_admin
from services.identity.store import IdentityStore
from shared.clock import utcnow
from shared.mongo import make_client
from tests.support.system import TestSystem

BENCH_DIR = Path(__file__).resolve().parents[2] / "var" / "bench"


def write_result(name: str, result: dict[str, Any]) -> Path:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"{name}.json"
    payload = {"bench": name, "at": utcnow().isoformat(), "machine": {"cpus": _cpus(), "python": platform.python_version()}, **result}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {"p50_ms": pick(0.50), "p95_ms": pick(0.95), "p99_ms": pick(0.99), "mean_ms": round(statistics.fmean(ordered) * 1000, 2)}


def timed(call, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def wrk(url: str, *, seconds: int = 8, connections: int = 16, threads: int = 2, headers: dict[str, str] | None = None) -> dict[str, float]:
    """Requests per second and latency from wrk (Debian package), a load generator outside Python."""
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in (headers or {}).items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {
        "requests_per_second": rps,
        "requests": int(total.group(1)) if total else 0,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "p99_ms": round(float(p99.group(1)) * scale[p99.group(2)], 2) if p99 else None,
    }


@contextmanager
def bench_system() -> Iterator[tuple[TestSystem, str]]:
    """An isolated running system with a district admin; yields it and that admin's password."""
    system = TestSystem()
    system.start()
    try:
        settings = system.settings()
        client = make_client(settings)
        password = secrets.token_urlsafe(12)
        ensure_district_admin(IdentityStore(client[settings.database_name("identity")]), "district", password)
        client.close()
        yield system, password
    finally:
        system.stop()
