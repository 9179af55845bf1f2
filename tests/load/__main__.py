"""`make rush` / `python -m tests.load [flags]`: the deadline rush against a running system.

By default it starts its own system (every service and the gateway on an own vhost, databases and
buckets), the national simulator and the upload workers; `--running` aims at the system `make up`
runs instead (its gateway, simulator and workers; new rush schools are added to its district). It
measures the baselines, runs the rush, writes var/bench/rush-<time>.json, then searches the service's
capacity on the same system (tests/load/capacity.py: the highest arrival rate of students a minute at
which every step's p99 stays under a second with nothing lost, beside the direct-store floor and the
CPU a journey costs; var/bench/rush-capacity.json), and exits non-zero when an audit finds anything
lost. `--capacity-only` skips the one rush, `--no-capacity` the search. Every flag has a RUSH_<NAME>
environment twin, e.g. `make rush RUSH_STUDENTS=50 RUSH_CONCURRENCY=50`,
`make rush ARGS="--capacity-only --capacity-start 60"` or `make rush ARGS="--running --students 20"`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from shared.config import Settings
from tests.bench.cpu import CpuMeter, profile, system_pids
from tests.bench.harness import BENCH_DIR, bench_system, write_result
from tests.load.baselines import all_baselines
from tests.load.capacity import CapacityConfig, capacity
from tests.load.rush import RushConfig, Target, run_rush
from tests.national.simulator import SimClient, SimProcess
from tests.support.api import login
from tests.support.system import ROOT

GOALS = {"p99_ms_per_step": 1000, "errors": 0, "lost": 0, "upload_ratio": 0.7, "read_ratio": 0.25}
# Steps the p99 goal applies to: the gateway's own steps (store_post is the bytes to the store, read_outcome/teacher polls are reads).
GATEWAY_STEPS = (
    "login",
    "read_mine",
    "request_upload",
    "complete",
    "create_outcome",
    "submit",
    "read_outcome",
    "select",
    "teacher_queue",
    "bulk_certify",
)


def parse_args(argv: list[str]) -> tuple[RushConfig, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m tests.load", description=__doc__.splitlines()[0])
    for f in dataclasses.fields(RushConfig):
        env = os.environ.get(f"RUSH_{f.name.upper()}")
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=type(f.default)(env) if env else f.default)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("RUSH_WORKERS", "2")), help="upload worker processes")
    parser.add_argument("--national-latency-ms", type=int, default=int(os.environ.get("RUSH_NATIONAL_LATENCY_MS", "50")))
    parser.add_argument("--running", action="store_true", help="against the `make up` system (LICHENG_PUBLIC_URL, var/secrets.env)")
    parser.add_argument("--no-baselines", action="store_true", default=os.environ.get("RUSH_NO_BASELINES") == "1")
    parser.add_argument("--baseline-concurrency", type=int, default=int(os.environ.get("RUSH_BASELINE_CONCURRENCY", "16")))
    parser.add_argument("--baseline-files", type=int, default=int(os.environ.get("RUSH_BASELINE_FILES", "48")))
    parser.add_argument("--no-capacity", action="store_true", default=os.environ.get("RUSH_NO_CAPACITY") == "1", help="skip the search")
    only = os.environ.get("RUSH_CAPACITY_ONLY") == "1"
    parser.add_argument("--capacity-only", action="store_true", default=only, help="only the search, not the one rush")
    for f in dataclasses.fields(CapacityConfig):
        env = os.environ.get(f"RUSH_CAPACITY_{f.name.upper()}")
        flag = f"--capacity-{f.name.replace('_', '-')}"
        if isinstance(f.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default if env is None else env == "1")
        else:
            parser.add_argument(flag, type=type(f.default), default=type(f.default)(env) if env else f.default)
    args = parser.parse_args(argv)
    config = RushConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(RushConfig)})
    args.capacity = CapacityConfig(**{f.name: getattr(args, f"capacity_{f.name}") for f in dataclasses.fields(CapacityConfig)})
    return config, args


def summarize(report: dict, baselines: dict | None) -> dict:
    """Ratios against the baselines and each goal, met or not."""
    steps = report["steps"]
    worst = max((steps[s]["p99_ms"], s) for s in GATEWAY_STEPS if s in steps) if steps else (0, "")
    summary: dict = {
        "worst_gateway_step_p99_ms": {"step": worst[1], "p99_ms": worst[0]},
        "p99_under_1s": worst[0] < GOALS["p99_ms_per_step"],
        "errors": report["error_total"],
        "lost": report["audit"]["lost"],
    }
    if "bulk_certify" in steps and report.get("bulk_certify_outcomes"):
        bulk = steps["bulk_certify"]
        summary["bulk_certify_ms_per_outcome"] = round(bulk["mean_ms"] * bulk["count"] / report["bulk_certify_outcomes"], 1)
    if baselines:
        rpc_p50 = baselines["bare_rpc"]["direct_proxy"]["p50_ms"]
        summary["step_p50_over_bare_rpc_p50"] = {s: round(v["p50_ms"] / rpc_p50, 1) for s, v in steps.items() if rpc_p50}
        summary["upload_ratio"] = baselines["uploads"]["ratio"]
        summary["read_ratio"] = baselines["read_path"]["ratio"]
    summary["goals"] = GOALS
    summary["met"] = {
        "p99_under_1s": summary["p99_under_1s"],
        "zero_errors": summary["errors"] == 0,
        "zero_lost": summary["lost"] == 0,
        **({"uploads_ge_0.7": summary["upload_ratio"] >= 0.7, "reads_ge_0.25": summary["read_ratio"] >= 0.25} if baselines else {}),
    }
    return summary


@dataclass
class RunningSystem:
    """The `make up` system, in the shape the baselines expect of a TestSystem."""

    base_url: str

    def settings(self) -> Settings:
        return Settings()


def run_against_running(config: RushConfig, args: argparse.Namespace) -> tuple[dict | None, dict | None, int]:
    base = os.environ.get("LICHENG_PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/")
    password = os.environ.get("LICHENG_DEMO_PASSWORD", "")
    if not password:
        raise SystemExit("--running needs LICHENG_DEMO_PASSWORD (source var/secrets.env, as make rush does)")
    try:
        requests.get(base + "/readyz", timeout=5).raise_for_status()
    except requests.RequestException as exc:
        raise SystemExit(f"no running system at {base} ({type(exc).__name__}): start it with `make up`") from None
    host, _, port = os.environ.get("LICHENG_NATIONAL_BIND", "127.0.0.1:8090").rpartition(":")
    sim = SimProcess(ROOT / "var" / "national-sim", admin_token=os.environ.get("LICHENG_NATIONAL_ADMIN_TOKEN", ""), port=int(port))
    system = RunningSystem(base)
    target = Target(base, login(base, "", "district", password), SimClient(sim), system.settings())
    baselines = (
        None if args.no_baselines else all_baselines(system, password, target, config, args.baseline_concurrency, args.baseline_files)
    )
    report = None if args.capacity_only else run_rush(target, config)[0]
    lost_in_search = 0
    if not args.no_capacity:
        # only the shared servers and this client are named: the running system's processes are not ours to know
        lost_in_search = finish_capacity(capacity(target, config, args.capacity, {}), baselines, {"target": "running system"})
    return report, baselines, lost_in_search


def main(argv: list[str]) -> int:
    config, args = parse_args(argv)
    if args.running:
        report, baselines, lost_in_search = run_against_running(config, args)
        code = finish(report, baselines, {"target": "running system", "national_latency_ms": "as configured"}) if report else 0
        return code or (1 if lost_in_search else 0)
    sim = SimProcess(ROOT / "var" / "rush-sim" / time.strftime("%Y%m%d-%H%M%S"))
    sim.data_dir.mkdir(parents=True, exist_ok=True)
    sim.start()
    try:
        sim_client = SimClient(sim)
        sim_client.faults({"latency_ms": args.national_latency_ms})
        with bench_system() as (system, password):
            for n in range(args.workers):
                system.start_upload_worker(f"uploader-{n}", {"LICHENG_NATIONAL_URL": sim.url})
            target = Target(system.base_url, _district_login(system.base_url, password), sim_client, system.settings())
            baselines = None
            if not args.no_baselines:
                print("== baselines", flush=True)
                baselines = all_baselines(system, password, target, config, args.baseline_concurrency, args.baseline_files)
                print(json.dumps(baselines, indent=1), flush=True)
            setting = {"target": "isolated system", "upload_workers": args.workers, "national_latency_ms": args.national_latency_ms}
            report, lost_in_search = None, 0
            if not args.capacity_only:
                report = one_rush(system, target, config)
            if not args.no_capacity:
                pids = {**system_pids(system), sim.process.pid: "national simulator"}
                profiles: list = []
                found = capacity(target, config, args.capacity, pids, profiler_of(system, profiles))
                for spy in profiles:
                    spy.wait(timeout=300)
                lost_in_search = finish_capacity(found, baselines, setting)
    finally:
        sim.stop()
    code = finish(report, baselines, setting) if report is not None else 0
    return code or (1 if lost_in_search else 0)


def _district_login(base: str, password: str):
    """The district admin's login, asked again for a while when a service just started is not seen yet
    (the gateway remembers for two seconds that it found no consumer: a 503 right after /readyz)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return login(base, "", "district", password)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def one_rush(system, target: Target, config: RushConfig) -> dict:
    """The rush as configured (by default 200 students at once), metered and with a profile of the gateway."""
    print(f"== rush: {config.students} students in {config.schools} schools, {config.concurrency} at once", flush=True)
    meter = CpuMeter(system_pids(system)).start()
    spy = profile(system.processes["gateway"].pid, 60, BENCH_DIR / f"rush-{time.strftime('%Y%m%d-%H%M%S')}-gateway.svg", children=True)
    report, _ = run_rush(target, config)
    report["cpu"] = meter.stop(config.students, "student (whole journey, with the schools' set-up)")
    if spy is not None:
        spy.wait(timeout=120)
        report["cpu"]["profile"] = Path(spy.args[spy.args.index("-o") + 1]).name
    return report


def profiler_of(system, started: list) -> Callable[[str, RushConfig, str], None]:
    """py-spy on the gateway (with its workers) and one service while the confirming rung's students arrive."""

    def start(phase: str, config: RushConfig, busiest: str) -> None:
        if phase != "journeys":
            return
        for name, children in (("gateway", True), (busiest, False)):
            process = system.processes.get(name)
            if process is not None:
                spy = profile(process.pid, int(config.ramp_s) + 20, BENCH_DIR / f"rush-capacity-{name}.svg", children=children)
                if spy is not None:
                    started.append(spy)

    return start


def finish_capacity(found: dict, baselines: dict | None, setting: dict) -> int:
    """Writes var/bench/rush-capacity.json and prints its summary; the number of rungs whose audit lost anything."""
    path = write_result("rush-capacity", {**setting, **found, "baselines": baselines})
    print(json.dumps({"capacity": found["summary"]}, indent=1, ensure_ascii=False))
    print(f"report: {path}")
    rungs = [*found["ours"]["steps"], *[found[k] for k in ("confirm", "profiled") if found.get(k)]]
    return sum(1 for rung in rungs if rung.get("lost"))


def finish(report: dict, baselines: dict | None, setting: dict) -> int:
    body = {**report, **setting, "baselines": baselines}
    body["summary"] = summarize(report, baselines)
    path = write_result("rush-" + time.strftime("%Y%m%d-%H%M%S"), body)
    print(
        json.dumps(
            {"summary": body["summary"], "steps": report["steps"], "audit": report["audit"]["verdict"]}, indent=1, ensure_ascii=False
        )
    )
    print(f"report: {path}")
    return 0 if report["audit"]["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
