"""Throughput of the simulator for small evidence items, with 0 and 50 ms added latency.

    var/venv/bin/python -m deploy.national_sim.bench [--items 600] [--clients 32]

Starts its own simulator (gunicorn, default workers/threads) on a free port with a temporary data
dir, uploads unique ~200-byte PDFs (each its own idempotency key) from client threads, and writes
var/bench/national-sim.json. Baseline in the same run: GET /healthz on the same server. The client
shares the machine's cores with the server, so absolute numbers are a floor.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from deploy.national_sim.config import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(total: int, clients: int, call) -> dict:
    local = threading.local()
    errors = 0
    lock = threading.Lock()

    def one(i: int) -> None:
        nonlocal errors
        if not hasattr(local, "session"):
            local.session = requests.Session()
        response = call(local.session, i)
        if response.status_code >= 300:
            with lock:
                errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(total)))
    elapsed = time.perf_counter() - started
    return {"requests": total, "seconds": round(elapsed, 3), "per_second": round(total / elapsed, 1), "errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=600)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    admin = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "LICHENG_NATIONAL_BIND": f"127.0.0.1:{port}",
            "LICHENG_NATIONAL_DATA_DIR": data_dir,
            "LICHENG_NATIONAL_SECRET": secrets.token_urlsafe(16),
            "LICHENG_NATIONAL_ADMIN_TOKEN": admin,
        }
        server = subprocess.Popen([sys.executable, "-m", "deploy.national_sim", "serve"], env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(url + "/healthz", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the simulator did not start")
                time.sleep(0.2)
            headers = {"Authorization": f"Bearer {admin}"}
            token = requests.get(f"{url}/admin/keys/123456", headers=headers, timeout=5).json()["token"]
            results = {"items": args.items, "clients": args.clients, "workers": env.get("LICHENG_NATIONAL_WORKERS", "2")}
            for latency in (0, 50):
                requests.post(f"{url}/admin/faults", json={"latency_ms": latency}, headers=headers, timeout=5).raise_for_status()
                run_id = secrets.token_hex(4)

                def upload(session, i, run_id=run_id):
                    body = b"%PDF-1.4\n" + f"{run_id}-{i}".encode() + b"\n" * 180 + b"%%EOF\n"
                    return session.post(
                        f"{url}/api/v1/evidence",
                        params={"filename": f"{i}.pdf", "sha256": hashlib.sha256(body).hexdigest()},
                        data=body,
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"{run_id}-{i}"},
                        timeout=30,
                    )

                results[f"evidence_latency_{latency}ms"] = _run(args.items, args.clients, upload)
            # Baseline: the same server's /healthz (no auth, no faults, one SELECT 1).
            results["baseline_healthz"] = _run(args.items, args.clients, lambda s, i: s.get(url + "/healthz", timeout=30))
            for latency in (0, 50):
                r = results[f"evidence_latency_{latency}ms"]
                r["ratio_to_healthz"] = round(r["per_second"] / results["baseline_healthz"]["per_second"], 2)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    Path(out / "national-sim.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
