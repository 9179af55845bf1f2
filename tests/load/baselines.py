"""Same-run baselines for the rush report: direct presigned POSTs to the store against our upload flow
(same files, same concurrency, alternating rounds), bare Flask on the same gunicorn settings, one bare RPC."""

from __future__ import annotations

import random
import secrets
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests

from services.evidence.storage import Storage
from shared.clock import utcnow
from tests.bench import bench_gateway
from tests.load.rush import MB, PASSWORD, Payloads, RushConfig, Target, setup_school
from tests.support.api import Client, login

ROUNDS = 2


def _timed_round(jobs: list, concurrency: int) -> float:
    """Runs the jobs over `concurrency` threads; returns the wall time."""
    lock, pending = threading.Lock(), list(jobs)

    def run() -> None:
        while True:
            with lock:
                if not pending:
                    return
                job = pending.pop()
            job()

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(run) for _ in range(concurrency)]:
            future.result()
    return time.perf_counter() - started


def _drop_idle(sessions: list[requests.Session], students: list[Client]) -> None:
    for session in [*sessions, *(c.session for c in students)]:
        session.close()


def upload_comparison(target: Target, config: RushConfig, concurrency: int = 16, files: int = 48) -> dict:
    """MB/s of our flow (form, POST to the store, complete) over MB/s of bare presigned POSTs of the same files."""
    assert target.settings is not None
    storage = Storage(target.settings)
    school = setup_school(target, 99, concurrency, "B" + secrets.token_hex(1).upper())
    students = [login(target.base_url, school.code, username, PASSWORD) for _, username in school.students]
    rng = random.Random(config.seed)
    plan = [config.file_sizes(rng)[0] for _ in range(files)]
    payloads = Payloads(int(max(config.media_mb, config.doc_mb_max) * MB) + 64)
    files_data = [payloads.make(kind, size) for kind, size in plan]
    total_bytes = sum(len(d) for d, *_ in files_data)
    sessions = [requests.Session() for _ in range(concurrency)]

    def direct(i: int, data: bytes, name: str) -> None:
        url, fields = storage.upload_form(f"baseline/{uuid.uuid4().hex}", len(data), utcnow() + timedelta(minutes=10))
        stored = sessions[i % concurrency].post(url, data=fields, files={"file": (name, data)}, timeout=120)
        assert stored.status_code in (200, 201, 204), stored.text

    def flow(i: int, data: bytes, sha: str, name: str, content_type: str, kind: str) -> None:
        client: Client = students[i % concurrency]
        body = {"kind": kind, "purpose": "outcome", "filename": name, "size": len(data), "content_type": content_type, "sha256": sha}
        form = client.post("/api/v1/evidence/uploads", json=body)
        assert form.status_code == 201, form.text
        form = form.json()
        stored = client.session.post(form["url"], data=form["fields"], files={"file": (name, data)}, timeout=120)
        assert stored.status_code in (200, 201, 204), stored.text
        done = client.post(f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={})
        assert done.status_code == 200, done.text

    direct_jobs = [lambda i=i, f=f: direct(i, f[0], f[2]) for i, f in enumerate(files_data)]
    flow_jobs = [lambda i=i, f=f, k=plan[i][0]: flow(i, f[0], f[1], f[2], f[3], k) for i, f in enumerate(files_data)]
    _timed_round(direct_jobs[:concurrency], concurrency)  # warm both paths
    _timed_round(flow_jobs[:concurrency], concurrency)
    _drop_idle(sessions, students)
    direct_s = flow_s = 0.0
    for _ in range(ROUNDS):
        _drop_idle(sessions, students)  # gunicorn closes keep-alive connections idle > 5 s: start each round fresh
        direct_s += _timed_round(direct_jobs, concurrency)
        _drop_idle(sessions, students)
        flow_s += _timed_round(flow_jobs, concurrency)
    direct_rate, flow_rate = ROUNDS * total_bytes / MB / direct_s, ROUNDS * total_bytes / MB / flow_s
    return {
        "files_per_round": len(files_data),
        "mb_per_round": round(total_bytes / MB, 1),
        "concurrency": concurrency,
        "direct_store_mb_per_s": round(direct_rate, 2),
        "flow_mb_per_s": round(flow_rate, 2),
        "ratio": round(flow_rate / direct_rate, 3),
    }


def all_baselines(system, district_password: str, target: Target, config: RushConfig, concurrency: int, files: int) -> dict:
    uploads = upload_comparison(target, config, concurrency, files)
    print(f"uploads: {uploads}", flush=True)
    return {
        "uploads": uploads,
        "bare_rpc": bench_gateway.bench_rpc(system),
        "read_path": bench_gateway.bench_read_path(system, district_password),
    }
