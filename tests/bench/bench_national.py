"""Drain time of a school's national upload through 1, 2 and 4 worker processes (make bench).

The school: N students (default 200, `LICHENG_BENCH_STUDENTS=2000` for the issue's full school),
each with 13 small evidence files (3 outcomes + 10 performances) and their rows in the rosters
學生資料, 學生成績 and 課程學習成果; the simulator answers after 50 ms. Items go through the whole path:
work queue, a worker's claim in MongoDB, a presigned GET from the evidence service (RPC), the bytes
from the object store, the POST to the simulator, the result recorded, then the ack. Seeding writes
the evidence records directly (this is a benchmark of the delivery, not of uploading).
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import requests

from services.evidence.storage import Storage
from services.evidence.store import EvidenceStore
from services.national_upload.domain import assign_lanes, idempotency_key
from services.national_upload.pacing import publish_upload
from services.national_upload.publisher import Publisher
from services.national_upload.store import UploadStore
from services.national_upload.worker import RetryPolicy
from shared.clock import utcnow
from shared.crypto import FieldCipher
from shared.mongo import make_client
from shared.national.roster_io import write_roster
from shared.national.rules import rules_for
from tests.bench.cpu import CpuMeter, profile, system_pids
from tests.bench.harness import BENCH_DIR
from tests.national.samples import PDF, valid_sheets
from tests.national.simulator import SimClient, SimProcess
from tests.support.system import ROOT, TestSystem, free_port, wait_until

SCHOOL = "654321"
RULES = rules_for(114)
FILES_PER_STUDENT = 13
DISTINCT_FILES = 50  # small PDFs (2-20 KB); items refer to them round-robin (each item is its own send)
FINAL = ("accepted", "rejected", "dead")


def _small_pdf(n: int) -> bytes:
    if n == 0:
        return PDF  # the file the sample roster rows refer to
    return PDF[:-6] + b"%" + bytes(str(n), "ascii") * (2000 + 360 * (n % 50)) + b"\n%%EOF\n"


def _seed_evidence(system: TestSystem, school: str = SCHOOL, count: int = DISTINCT_FILES) -> list[dict[str, Any]]:
    settings = system.settings()
    storage = Storage(settings)
    storage.ensure_bucket()
    client = make_client(settings)
    store = EvidenceStore(client[settings.database_name("evidence")])
    docs = []
    for n in range(count):
        data = _small_pdf(n)
        key = f"{school}/bench/{uuid.uuid4().hex}"
        version = storage.put(key, io.BytesIO(data), len(data), "application/pdf")
        doc = {
            "_id": uuid.uuid4().hex,
            "school_id": school,
            "student_id": "BENCH",
            "purpose": "outcome",
            "kind": "document",
            "key": key,
            "version_id": version,
            "filename": f"file{n}.pdf",
            "content_type": "application/pdf",
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "state": "locked",
            "uploaded_by": "bench",
            "upload_id": uuid.uuid4().hex,
            "grants": [],
            "versions": [],
            "created_at": utcnow(),
        }
        store.insert_evidence(doc)
        docs.append(doc)
    client.close()
    return docs


def _items(store: UploadStore, students: int, files: list[dict[str, Any]], school: str = SCHOOL) -> list[dict[str, Any]]:
    upload_id = uuid.uuid4().hex[:12]
    items: list[dict[str, Any]] = []
    for s in range(students):
        for k in range(FILES_PER_STUDENT):
            f = files[(s * FILES_PER_STUDENT + k) % len(files)]
            item_id = f"{upload_id}:e{s:05d}-{k:02d}"
            items.append(
                {
                    "_id": item_id,
                    "upload_id": upload_id,
                    "kind": "evidence",
                    "ref": f["_id"],
                    "student_id": f"S{s:05d}",
                    "year": 114,
                    "term": 1,
                    "filename": f["filename"],
                    "content_sha256": f["sha256"],
                    "idempotency_key": idempotency_key(school, 114, 1, "evidence", f"S{s:05d}", item_id, f["sha256"]),
                    "after_evidence": False,
                }
            )
    for code in (1, 2, 26):
        data = write_roster(RULES, school, 0 if code == 26 else 1, code, valid_sheets(RULES, code, students=students))
        sha = hashlib.sha256(data).hexdigest()
        file_id = f"{upload_id}-r{code}"
        filename = RULES.roster_filename(school, 0 if code == 26 else 1, code, datetime.now(UTC))
        store.put_file(school, {"_id": file_id, "upload_id": upload_id, "code": code, "filename": filename, "sha256": sha, "data": data})
        item_id = f"{upload_id}:r{code:02d}"
        items.append(
            {
                "_id": item_id,
                "upload_id": upload_id,
                "kind": "roster",
                "roster": code,
                "ref": file_id,
                "year": 114,
                "term": 1,
                "uploader": "註冊組長",
                "content_sha256": sha,
                "idempotency_key": idempotency_key(school, 114, 1, f"roster-{code}", "", file_id, sha),
                "after_evidence": code == 26,
            }
        )
    assign_lanes(items)  # as the store would: the messages published from this list carry each item's lane
    store.insert_items(school, [{**i, "state": "queued", "attempts": 0} for i in items])
    return items


def _done(store: UploadStore, upload_id: str, school: str = SCHOOL) -> int:
    counts = store.progress(school, upload_id)
    return sum(counts[s] for s in FINAL)


def _ended_by_workers(ports: list[int]) -> int:
    """Items the workers have recorded as ended, from their own Prometheus counters. Asking MongoDB
    instead (progress of a 26,000-item upload) cost FerretDB seconds of CPU per look: with a look a
    second, the bench itself took a core from the drain it measured."""
    ended = 0
    for port in ports:
        try:
            text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except requests.RequestException:
            continue  # not listening yet
        for line in text.splitlines():
            if line.startswith("licheng_upload_items_total{") and any(f'result="{s}"' in line for s in FINAL):
                ended += int(float(line.rsplit(" ", 1)[1]))
    return ended


def _batch_sizes(ports: list[int]) -> dict[str, float]:
    """Mean items per batched claim, result and URL request over the workers (1.0: nothing was batched)."""
    sums: dict[str, list[float]] = {}
    for port in ports:
        try:
            text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except requests.RequestException:
            continue
        for line in text.splitlines():
            for part, at in (("_sum{", 0), ("_count{", 1)):
                if line.startswith("licheng_upload_batch_size" + part):
                    kind = line.split('kind="', 1)[1].split('"', 1)[0]
                    sums.setdefault(kind, [0.0, 0.0])[at] += float(line.rsplit(" ", 1)[1])
    return {kind: round(total / count, 2) for kind, (total, count) in sums.items() if count}


def _wait_drained(store: UploadStore, upload_id: str, total: int, ports: list[int]) -> None:
    """Until every item is final: the workers' counters first (cheap), then MongoDB once to confirm
    (a redelivered item may be counted twice by the workers, so a short count is looked at again)."""
    while True:
        wait_until(lambda: _ended_by_workers(ports) >= total, 3600, "the upload drained", interval=0.5)
        if _done(store, upload_id) >= total:
            return
        time.sleep(5)


def _run(system: TestSystem, store: UploadStore, sim: SimClient, sim_pid: int, files: list, students: int, workers: int) -> dict[str, Any]:
    sim.admin("POST", "/admin/reset")
    sim.faults({"latency_ms": 50})
    items = _items(store, students, files)
    upload_id = items[0]["upload_id"]
    policy = RetryPolicy(delays=(1, 5), max_attempts=5)
    started = time.perf_counter()
    with Publisher(system.settings().amqp_uri, policy) as publisher:
        for item in items:
            publisher.enqueue({**item, "school_id": SCHOOL})
    enqueue_s = time.perf_counter() - started
    meter = CpuMeter({**system_pids(system), sim_pid: "national simulator"}).start()
    ports = [free_port() for _ in range(workers)]
    processes = _workers(system, workers, ports)
    for n, process in enumerate(processes):
        meter.add(process.pid, f"upload worker {n}")
    try:
        # profiled once it is under way (its first seconds are imports, not items)
        wait_until(lambda: _ended_by_workers(ports) >= min(20, len(items)), 600, "the first items sent", interval=0.5)
        spy = profile(processes[0].pid, 20, BENCH_DIR / f"national-drain-{workers}w-worker.svg")
        _wait_drained(store, upload_id, len(items), ports)
        drain_s = time.perf_counter() - started
        cpu = meter.stop(len(items), "item")
        batches = _batch_sizes(ports)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
    counts = store.progress(SCHOOL, upload_id)
    return {
        "workers": workers,
        "threads_per_worker": int(os.environ.get("LICHENG_UPLOAD_CONCURRENCY", "8")),
        "mean_batch": batches,
        "items": len(items),
        "enqueue_s": round(enqueue_s, 2),
        "drain_s": round(drain_s, 2),
        "items_per_s": round(len(items) / drain_s, 1),
        "counts": {k: v for k, v in counts.items() if v},
        "cpu": cpu,
        "workers_cpu_ms_per_item": round(sum(v for k, v in cpu["cpu_ms_per_op"].items() if k.startswith("upload worker")), 2),
        # everything on this machine for one item but the national side's own work (the simulator)
        "system_cpu_ms_per_item": round(cpu["all_cpu_ms_per_op"] - cpu["cpu_ms_per_op"].get("national simulator", 0.0), 2),
        "profile": spy.args[spy.args.index("-o") + 1].rsplit("/", 1)[-1] if spy else None,
    }


def bench_drain(system: TestSystem) -> dict[str, Any]:
    students = int(os.environ.get("LICHENG_BENCH_STUDENTS", "200"))
    worker_counts = [int(w) for w in os.environ.get("LICHENG_BENCH_WORKERS", "1,2,4").split(",")]
    settings = system.settings()
    client = make_client(settings)
    store = UploadStore(client[settings.database_name("national_upload")])
    store.ensure_indexes()
    process = SimProcess(ROOT / "var" / "bench" / f"sim-{uuid.uuid4().hex[:6]}", port=system.national_port)
    process.data_dir.mkdir(parents=True, exist_ok=True)
    process.start()
    sim = SimClient(process)
    try:
        store.set_credentials(SCHOOL, FieldCipher(system.env["LICHENG_FIELD_KEY"]).encrypt(sim.token(SCHOOL)), "bench")
        files = _seed_evidence(system)
        runs = [_run(system, store, sim, process.process.pid, files, students, w) for w in worker_counts]
    finally:
        process.stop()
        client.close()
    base = runs[0]["drain_s"]
    for run in runs:
        run["speedup_vs_first"] = round(base / run["drain_s"], 2)
    return {
        "students": students,
        "files_per_student": FILES_PER_STUDENT,
        "national_latency_ms": 50,
        "runs": runs,
        "cpu": runs[-1]["cpu"],
        "goal": "2,000 students (26,003 items) drained in <= 300 s by 4 workers; 1 -> 4 workers >= 3.5x; <= 15 ms of our CPU per item",
        "note": "2 cores shared by RabbitMQ, FerretDB+PostgreSQL, SeaweedFS, the evidence service, the simulator and the workers",
    }


# --- fairness: thirty schools share the work queue (services/national_upload/pacing.py) ---

SMALL_SCHOOLS = [f"66{n:04d}" for n in range(1, 31)]  # one timed alone, then 29 beside the large one: 30 schools


def _workers(system: TestSystem, count: int, metrics_ports: list[int] | None = None) -> list[subprocess.Popen]:
    env = {**system.env, "LICHENG_UPLOAD_RETRY_DELAYS": "1,5", "LICHENG_UPLOAD_PREFETCH": "4"}
    ports = metrics_ports or [0] * count
    return [
        subprocess.Popen(
            [sys.executable, "-m", "services.national_upload.worker"],
            cwd=ROOT,
            env={**env, "LICHENG_METRICS_PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for port in ports
    ]


def _paced_upload(store: UploadStore, school: str, students: int, files: list[dict[str, Any]]) -> tuple[str, int]:
    """An upload as the service leaves it before publishing (its items queued, its cursor at the start), and its item count."""
    items = _items(store, students, files, school)
    upload_id = items[0]["upload_id"]
    store.insert_upload(school, {"_id": upload_id, "year": 114, "term": 1, "created_at": utcnow(), "state": "publishing", "cursor": ""})
    return upload_id, len(items)


def _publish_in_background(system: TestSystem, store: UploadStore, school: str, upload_id: str, window: int) -> threading.Thread:
    policy = RetryPolicy(delays=(1, 5), max_attempts=5)

    def run() -> None:
        with Publisher(system.settings().amqp_uri, policy, name=f"bench-publisher-{school}") as publisher:
            publish_upload(store, publisher, school, upload_id, window)

    thread = threading.Thread(target=run, daemon=True, name=f"publish-{school}")
    thread.start()
    return thread


def _drained_at(store: UploadStore, uploads: dict[str, str], totals: dict[str, int], started: float, timeout: float) -> dict[str, float]:
    """Seconds from `started` at which each school's upload had every item final."""
    finished: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(finished) < len(uploads) and time.monotonic() < deadline:
        for school, upload_id in uploads.items():
            if school not in finished and _done(store, upload_id, school) >= totals[school]:
                finished[school] = round(time.perf_counter() - started, 2)
        time.sleep(0.5)
    return finished


def bench_fairness(system: TestSystem) -> dict[str, Any]:
    """A large school's upload under way, then 29 small schools start theirs: how long each small one
    waits, against its time alone and against what a first-in-first-out queue would have made it wait."""
    big_students = int(os.environ.get("LICHENG_BENCH_FAIR_STUDENTS", "200"))
    window = system.settings().upload_publish_window
    settings = system.settings()
    client = make_client(settings)
    store = UploadStore(client[settings.database_name("national_upload")])
    store.ensure_indexes()
    process = SimProcess(ROOT / "var" / "bench" / f"sim-{uuid.uuid4().hex[:6]}", port=system.national_port)
    process.data_dir.mkdir(parents=True, exist_ok=True)
    process.start()
    sim = SimClient(process)
    cipher = FieldCipher(system.env["LICHENG_FIELD_KEY"])
    workers = _workers(system, 4)
    try:
        sim.faults({"latency_ms": 50})
        files = {school: _seed_evidence(system, school, 5 if school != SCHOOL else DISTINCT_FILES) for school in [SCHOOL, *SMALL_SCHOOLS]}
        for school in files:
            store.set_credentials(school, cipher.encrypt(sim.token(school)), "bench")
        # one small school alone first: its own drain time with nothing else queued
        alone_id, alone_total = _paced_upload(store, SMALL_SCHOOLS[0], 1, files[SMALL_SCHOOLS[0]])
        started = time.perf_counter()
        _publish_in_background(system, store, SMALL_SCHOOLS[0], alone_id, window)
        alone_s = _drained_at(store, {SMALL_SCHOOLS[0]: alone_id}, {SMALL_SCHOOLS[0]: alone_total}, started, 300)[SMALL_SCHOOLS[0]]
        # the large school starts; once it is well under way the 29 small ones start together
        big_id, big_total = _paced_upload(store, SCHOOL, big_students, files[SCHOOL])
        big_started = time.perf_counter()
        _publish_in_background(system, store, SCHOOL, big_id, window)
        wait_until(lambda: _done(store, big_id) >= min(big_total // 4, 2 * window), 1800, "the large upload under way", interval=0.5)
        big_left = big_total - _done(store, big_id)
        rate = _done(store, big_id) / (time.perf_counter() - big_started)
        paced = {school: _paced_upload(store, school, 1, files[school]) for school in SMALL_SCHOOLS[1:]}
        uploads = {school: upload_id for school, (upload_id, _) in paced.items()}
        totals = {school: total for school, (_, total) in paced.items()}
        small_started = time.perf_counter()
        for school, upload_id in uploads.items():
            _publish_in_background(system, store, school, upload_id, window)
        small = _drained_at(store, uploads, totals, small_started, 1800)
        big = _drained_at(store, {SCHOOL: big_id}, {SCHOOL: big_total}, big_started, 3600)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
        process.stop()
        client.close()
    waits = sorted(small.values())
    small_items = sum(totals.values())
    return {
        "large_school": {"items": big_total, "drain_s": big.get(SCHOOL), "items_left_when_the_small_ones_started": big_left},
        "small_schools": {
            "schools": len(uploads),
            "items_each": alone_total,
            "finished": len(small),
            "drain_s_p50": waits[len(waits) // 2] if waits else None,
            "drain_s_max": waits[-1] if waits else None,
        },
        "one_small_school_alone_s": alone_s,
        # first in, first out: the small schools' items behind every item the large school had left
        "fifo_estimate_s": round((big_left + small_items) / rate, 1) if rate else None,
        "window": window,
        "workers": 4,
        "national_latency_ms": 50,
        "operations": big_total + small_items + alone_total,
        "goal": "one school's large upload does not starve the others: the last small school done long before the large one",
        "note": "every school publishes through publish_upload (the service's pacing) to the same quorum queue",
    }
