"""Evidence upload throughput: our full flow (form, POST to the store, complete) against direct
presigned POSTs of the same files to the same store, measured in the same run, alternating rounds.

    python -m tests.bench.bench_evidence        (starts an isolated system; writes var/bench/evidence-upload.json)

`bench_upload(system, district_password)` is the entry for tests/bench/run.py's registry.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from services.evidence.storage import Storage
from shared.clock import utcnow
from tests.bench.harness import percentiles
from tests.support.api import Client, login

BENCH_DIR = Path(__file__).resolve().parents[2] / "var" / "bench"
MB = 1024 * 1024
CONCURRENCY = int(os.environ.get("BENCH_EVIDENCE_CONCURRENCY", "8"))
PLAN = [(1 * MB, int(os.environ.get("BENCH_EVIDENCE_N_1MB", "48"))), (4 * MB, int(os.environ.get("BENCH_EVIDENCE_N_4MB", "24")))]
ROUNDS = 2


def _payload(size: int) -> bytes:
    head = b"%PDF-1.4\n"
    return head + os.urandom(size - len(head))


def _setup(system, district_password: str) -> tuple[list[Client], Storage]:
    district = login(system.base_url, "", "district", district_password)
    code = "BE" + secrets.token_hex(2).upper()
    assert district.post("/api/v1/schools", json={"code": code, "name": "效能測試高中"}).status_code == 201
    password = "Bench-pass-1"
    registrar_created = district.post(
        f"/api/v1/schools/{code}/registrars", json={"username": "registrar", "display_name": "註冊組", "password": password}
    )
    assert registrar_created.status_code == 201, registrar_created.text
    registrar = login(system.base_url, code, "registrar", password)
    students = []
    for i in range(CONCURRENCY):
        created = registrar.post(
            "/api/v1/accounts",
            json={"username": f"bench{i}", "display_name": "學生", "roles": ["student"], "password": password, "student_id": f"B{i}"},
        )
        assert created.status_code == 201, created.text
        students.append(login(system.base_url, code, f"bench{i}", password))
    return students, Storage(system.settings())


def _flow_one(client: Client, data: bytes, completes: list[float], phases: dict[str, list[float]]) -> None:
    started = time.perf_counter()
    form = client.post(
        "/api/v1/evidence/uploads",
        json={"kind": "document", "purpose": "outcome", "filename": "bench.pdf", "size": len(data), "content_type": "application/pdf"},
    )
    assert form.status_code == 201, form.text
    form = form.json()
    phases["request"].append(time.perf_counter() - started)
    started = time.perf_counter()
    stored = client.session.post(form["url"], data=form["fields"], files={"file": ("bench.pdf", data)}, timeout=60)
    assert stored.status_code in (200, 201, 204), stored.text
    phases["post"].append(time.perf_counter() - started)
    started = time.perf_counter()
    done = client.post(f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={})
    completes.append(time.perf_counter() - started)
    assert done.status_code == 200, done.text


def _direct_one(storage: Storage, session: requests.Session, data: bytes) -> None:
    url, fields = storage.upload_form(f"bench/{uuid.uuid4().hex}", len(data), utcnow() + timedelta(minutes=10))
    stored = session.post(url, data=fields, files={"file": ("bench.pdf", data)}, timeout=60)
    assert stored.status_code in (200, 201, 204), stored.text


def _round(workers: list, count: int) -> float:
    """Runs `count` uploads over the workers (one thread each); returns the wall time."""
    per = [count // len(workers) + (1 if i < count % len(workers) else 0) for i in range(len(workers))]
    barrier = threading.Barrier(len(workers) + 1)

    def run(worker, n):
        barrier.wait()
        for _ in range(n):
            worker()

    with ThreadPoolExecutor(len(workers)) as pool:
        futures = [pool.submit(run, w, n) for w, n in zip(workers, per, strict=True)]
        barrier.wait()
        started = time.perf_counter()
        for f in futures:
            f.result()
        return time.perf_counter() - started


def bench_upload(system, district_password: str) -> dict[str, Any]:
    students, storage = _setup(system, district_password)
    results: dict[str, Any] = {"concurrency": CONCURRENCY, "rounds": ROUNDS, "sizes": {}}
    for size, count in PLAN:
        data = _payload(size)
        completes: list[float] = []
        phases: dict[str, list[float]] = {"request": [], "post": []}
        sessions = [requests.Session() for _ in range(CONCURRENCY)]
        flow_workers = [functools.partial(_flow_one, c, data, completes, phases) for c in students]
        direct_workers = [functools.partial(_direct_one, storage, s, data) for s in sessions]
        _round(direct_workers, CONCURRENCY)  # warm connections on both paths
        _round(flow_workers, CONCURRENCY)
        completes.clear()
        phases = {"request": [], "post": []}
        flow_workers = [functools.partial(_flow_one, c, data, completes, phases) for c in students]
        direct_time = flow_time = 0.0
        for _ in range(ROUNDS):
            direct_time += _round(direct_workers, count)
            flow_time += _round(flow_workers, count)
        uploads = count * ROUNDS
        direct_rate, flow_rate = uploads / direct_time, uploads / flow_time
        results["sizes"][f"{size // MB}MB"] = {
            "uploads_per_path": uploads,
            "direct_uploads_per_s": round(direct_rate, 2),
            "direct_mb_per_s": round(direct_rate * size / MB, 2),
            "flow_uploads_per_s": round(flow_rate, 2),
            "flow_mb_per_s": round(flow_rate * size / MB, 2),
            "ratio": round(flow_rate / direct_rate, 3),
            **{f"complete_{k}": v for k, v in percentiles(completes).items()},
            "flow_request_form_p50_ms": percentiles(phases["request"])["p50_ms"],
            "flow_post_to_store_p50_ms": percentiles(phases["post"])["p50_ms"],
        }
        print(json.dumps({f"{size // MB}MB": results["sizes"][f"{size // MB}MB"]}), flush=True)
    results["goal_ratio"] = 0.7
    results["meets_goal"] = all(s["ratio"] >= 0.7 for s in results["sizes"].values())
    return results


def main() -> int:
    """`python -m tests.bench.bench_evidence`: this benchmark alone, through the same runner as make bench."""
    from tests.bench.run import main as run

    return run(["evidence-upload"])


if __name__ == "__main__":
    raise SystemExit(main())
