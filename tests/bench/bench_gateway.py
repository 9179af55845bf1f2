"""RPC round trip through the pool, and the gateway read path against bare Flask (docs/architecture.md §10)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from shared.caller import Caller
from shared.rpc_pool import RpcPool
from tests.bench.cpu import CpuMeter, system_pids
from tests.bench.harness import percentiles, timed, wrk
from tests.support.api import login
from tests.support.system import ROOT, TestSystem, free_port, wait_until


def bench_rpc(system: TestSystem) -> dict:
    settings = system.settings()
    with ClusterRpcProxy(settings.nameko_config()) as direct:
        direct.identity.health()
        bare = timed(direct.identity.health, 300)
    pool = RpcPool(settings.nameko_config(), size=4, timeout=10)
    context = Caller.system("bench").to_context()

    def pooled() -> None:
        with pool.rpc(context) as services:
            services.identity.health()

    pooled()
    through_pool = timed(pooled, 300)
    pool.close()
    result = {"direct_proxy": percentiles(bare), "through_pool": percentiles(through_pool)}
    result["pool_overhead_ratio_p50"] = round(result["through_pool"]["p50_ms"] / result["direct_proxy"]["p50_ms"], 2)
    return result


def _serve_bare(port: int, app: str = "tests.bench.bare_app:app", env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, **(env or {}), "LICHENG_GATEWAY_BIND": f"127.0.0.1:{port}", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py", app],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _metered_wrk(url: str, own: dict[int, str], **kwargs) -> tuple[dict, dict]:
    """wrk against `url`, with the CPU the serving processes spent per request (own processes only:
    their figure holds under a loaded machine, where requests per second do not)."""
    meter = CpuMeter(own).start()
    result = wrk(url, **kwargs)
    return result, meter.stop(result["requests"], "request")


def _bare_rpc_read(system: TestSystem, me: dict) -> dict:
    """Bare Flask on the same gunicorn, making the same RPC through the same pool (tests/bench/bare_rpc_app.py)."""
    port = free_port()
    env = {
        **system.env,
        "BENCH_CALLER_ID": me["id"],
        "BENCH_CALLER_USERNAME": me["username"],
        "BENCH_CALLER_SCHOOL": me.get("school_id") or "",
        "BENCH_CALLER_ROLES": ",".join(me["roles"]),
    }
    served = _serve_bare(port, "tests.bench.bare_rpc_app:app", env)
    try:
        wait_until(lambda: requests.get(f"http://127.0.0.1:{port}/me", timeout=5).ok, 30, "bare flask with one RPC")
        result, cpu = _metered_wrk(f"http://127.0.0.1:{port}/me", {**system_pids(system), served.pid: "bare rpc flask"})
    finally:
        served.terminate()
        served.wait()
    return {**result, "cpu_ms_per_request": cpu["cpu_ms_per_op"]}


def bench_read_path(system: TestSystem, district_password: str) -> dict:
    port = free_port()
    bare = _serve_bare(port)
    try:
        wait_until(lambda: requests.get(f"http://127.0.0.1:{port}/ping", timeout=2).ok, 30, "bare flask")
        baseline, baseline_cpu = _metered_wrk(f"http://127.0.0.1:{port}/ping", {bare.pid: "bare flask"})
    finally:
        bare.terminate()
        bare.wait()
    time.sleep(1)  # let the machine settle between the runs
    client = login(system.base_url, "", "district", district_password)
    ours, ours_cpu = _metered_wrk(system.base_url + "/api/v1/me", system_pids(system), headers={"Authorization": f"Bearer {client.token}"})
    time.sleep(1)
    rpc_floor = _bare_rpc_read(system, client.get("/api/v1/me").json())
    bare_ms = baseline_cpu["cpu_ms_per_op"].get("bare flask", 0.0)
    path_ms = ours_cpu["ours_cpu_ms_per_op"]  # the gateway and identity (the other services stay idle)
    return {
        "bare_flask": baseline,
        "gateway_me": ours,
        "ratio": round(ours["requests_per_second"] / baseline["requests_per_second"], 3),
        "goal_ratio": 0.25,
        "cpu_ms_per_request": {
            "bare_flask": bare_ms,
            "gateway_me": ours_cpu["cpu_ms_per_op"],
            "gateway_me_ours": path_ms,
            "shared_servers_note": ours_cpu["shared_servers_note"],
        },
        # CPU per request of the baseline over ours: the ratio's meaning (cost against bare Flask), from
        # figures a loaded machine leaves alone
        "cpu_ratio": round(bare_ms / path_ms, 3) if path_ms else None,
        "load_average": ours_cpu["load_average"],
        # the goal's second form: where one RPC is the floor, the gateway at >= 0.8 of bare Flask making that RPC
        "bare_rpc_read": rpc_floor,
        "ratio_to_bare_rpc_read": round(ours["requests_per_second"] / rpc_floor["requests_per_second"], 3),
        "goal_ratio_to_bare_rpc_read": 0.8,
        "note": (
            "GET /api/v1/me: token verified locally (its session checked against the revocation feed), "
            "one RPC to identity, one MongoDB read"
        ),
    }
