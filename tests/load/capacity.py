"""Service capacity: the highest arrival rate (students a minute) the system carries through the
deadline journey with every step's p99 under a second, no errors and nothing lost.

One started system, a ladder of short rushes: each step lets students arrive at one rate for about
`window_s` seconds (RushConfig.ramp_s over RushConfig.students), runs the whole journey and the
rush's own audit (tests/load/audit.py: a step that lost anything fails, whatever its latencies), and
meters the CPU of every process between the first arrival and the last journey, then over the
national upload that follows. The rate doubles until a step fails, then bisects between the last pass
and the first failure until they are within `precision`. The same ladder runs against the floor:
the same students at the same rates sending the same planned files straight to the store by
presigned POST (as tests/bench/bench_evidence.py's direct path does), with no gateway or service.

`Ladder` and `judge` are pure (tests/load/test_capacity.py); `search` drives either journey.
"""

from __future__ import annotations

import math
import os
import random
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from typing import Any

import requests

from services.evidence.storage import Storage
from shared.clock import utcnow
from tests.bench.cpu import CpuMeter
from tests.bench.harness import percentiles
from tests.load.rush import MB, Payloads, Recorder, RushConfig, StepFailed, Target, run_rush

# The registrar's roster check and start of the national upload are a few calls per school and run,
# not a student's step.
NOT_A_STUDENT_STEP = ("national_check", "national_progress", "national_start")
LATE_ARRIVALS_MS = 1000.0  # the load client itself could not keep the schedule: the step measured less than its rate


@dataclass
class CapacityConfig:
    """The search's knobs (flags --capacity-<name>, env RUSH_CAPACITY_<NAME>; tests/load/__main__.py)."""

    start: float = 30.0  # students a minute at the first step
    factor: float = 2.0  # the climb until a step fails
    precision: float = 0.15  # stop when the last pass is within this share of the first failure
    max_steps: int = 7  # per journey (ours, then the direct-store floor)
    window_s: float = 60.0  # how long students keep arriving at a step's rate
    min_students: int = 30  # fewer make a p99 of one or two samples
    limit_ms: float = 1000.0  # every step's p99 must stay under this
    direct: bool = True  # search the direct-store floor as well (from our knee up: it is not lower)
    confirm: bool = True  # run our knee once more: is it repeatable?
    profile: bool = True  # and once more with py-spy on the gateway and the busiest service (py-spy costs CPU: no verdict)
    # A failed rung is run once more and fails only if it fails again: with a few dozen samples a step's p99
    # is its slowest answer or two, and one stall of another session's run on these cores sets it.
    retry_failed: bool = True


@dataclass(frozen=True)
class Ladder:
    start: float
    factor: float = 2.0
    precision: float = 0.15
    max_steps: int = 7
    floor: float = 1.0

    def next_rate(self, tried: list[tuple[float, bool]]) -> float | None:
        """The next rate to try given (rate, passed) so far, or None when the knee is found or steps ran out."""
        if len(tried) >= self.max_steps:
            return None
        if not tried:
            return float(round(self.start))
        rates = {r for r, _ in tried}
        fails = [r for r, ok in tried if not ok]
        if not fails:
            nxt = float(round(max(rates) * self.factor))
        else:
            high = min(fails)
            below = [r for r, ok in tried if ok and r < high]
            if not below:
                nxt = float(round(high / self.factor))  # the first step failed already: down
                if nxt < self.floor:
                    return None
            else:
                low = max(below)
                if high - low <= max(1.0, self.precision * low):
                    return None
                nxt = float(round(math.sqrt(low * high)))  # the middle of a ratio ladder
        return None if nxt in rates else nxt

    @staticmethod
    def knee(tried: list[tuple[float, bool]]) -> dict[str, Any]:
        """The highest passing rate below the lowest failing one; noise may make a pass above a failure, ignored."""
        fails = [r for r, ok in tried if not ok]
        high = min(fails) if fails else math.inf
        below = [r for r, ok in tried if ok and r < high]
        return {
            "students_per_minute": max(below) if below else None,
            "first_failure_per_minute": None if math.isinf(high) else high,
            # without a failure the figure is only a floor: the ladder ran out of steps before the system did
            "bounded": not math.isinf(high),
        }


def judge(report: dict[str, Any], limit_ms: float) -> list[str]:
    """Why a step fails (empty: it passed): any error, anything lost or unfinished, a step's p99 at the limit,
    or a load client that fell behind its own arrival schedule."""
    reasons = []
    if report.get("error_total"):
        first = sorted(report.get("errors", {}).items(), key=lambda kv: -kv[1])[:3]
        reasons.append(f"{report['error_total']} errors ({'; '.join(f'{k} x{n}' for k, n in first)})")
    lost = report.get("audit", {}).get("lost", 0)
    if lost:
        reasons.append(f"{lost} lost: {report['audit'].get('verdict', '')[:200]}")
    if report.get("students_unfinished"):
        reasons.append(f"{report['students_unfinished']} students unfinished")
    for step, figures in sorted(report.get("steps", {}).items()):
        if step not in NOT_A_STUDENT_STEP and figures["p99_ms"] >= limit_ms:
            reasons.append(f"{step} p99 {figures['p99_ms']:.0f} ms")
    lag = report.get("arrival_lag_ms", {}).get("p99_ms", 0.0)
    if lag >= LATE_ARRIVALS_MS:
        reasons.append(f"arrivals {lag:.0f} ms late at p99 (the load client fell behind)")
    return reasons


def step_config(base: RushConfig, settings: CapacityConfig, rate: float) -> RushConfig:
    """`rate` students a minute for about window_s (at least min_students, who then take longer to arrive)."""
    students = max(settings.min_students, base.schools, round(rate * settings.window_s / 60))
    return replace(base, students=students, ramp_s=students * 60 / rate, concurrency=min(students, 400))


class PhaseMeter:
    """Meters every process's CPU over a rush's journeys and, separately, over its national upload."""

    def __init__(self, pids: dict[int, str], students: int) -> None:
        self.pids, self.students = pids, students
        self.meter: CpuMeter | None = None
        self.phases: dict[str, dict] = {}

    def __call__(self, phase: str) -> None:
        if self.meter is not None:
            self.phases["journeys" if phase == "national" else "national"] = self.meter.stop(self.students, "student")
            self.meter = None
        if phase in ("journeys", "national"):
            self.meter = CpuMeter(self.pids).start()


def measure_idle(pids: dict[int, str], seconds: float = 15.0) -> dict[str, float]:
    """CPU-ms a second each named process spends with no student about (services' timers, other sessions
    on the shared servers): at a low rate a student's share of it would read as the journey's cost."""
    meter = CpuMeter(pids).start()
    time.sleep(seconds)
    idle = meter.stop(1)
    return {name: round(ms / idle["wall_s"], 2) for name, ms in idle["cpu_ms"].items()}


def where_cpu_went(cpu: dict[str, Any], idle: dict[str, float] | None = None) -> dict[str, Any]:
    """CPU-seconds per student (also net of what the processes spend idle), the share of the machine's
    cores busy, and the processes that took most."""
    total_ms = sum(cpu["cpu_ms"].values())
    cores = os.cpu_count() or 1
    top = sorted(cpu["cpu_ms"].items(), key=lambda kv: -kv[1])[:6]
    client = cpu["cpu_ms_per_op"].get("load client", 0.0)
    idle_ms = sum((idle or {}).get(name, 0.0) * cpu["wall_s"] for name in cpu["cpu_ms"])
    students = max(cpu["operations"], 1)
    store_and_client = cpu["cpu_ms_per_op"].get("seaweedfs", 0.0) + client
    return {
        # what a direct-store journey can cost at all (the rest is other sessions on the shared servers)
        "cpu_s_per_student_store_and_client": round(store_and_client / 1000, 3),
        "cpu_s_per_student_all": round(cpu["all_cpu_ms_per_op"] / 1000, 3),
        "cpu_s_per_student_without_load_client": round((cpu["all_cpu_ms_per_op"] - client) / 1000, 3),
        "cpu_s_per_student_net_of_idle": round(max(0.0, total_ms - idle_ms) / students / 1000, 3),
        "cores_busy": f"{total_ms / 1000 / max(cpu['wall_s'], 1e-6):.2f} of {cores}",
        "other_processes_cores_busy": round(cpu.get("other_processes_cpu_ms", 0.0) / 1000 / max(cpu["wall_s"], 1e-6), 2),
        "top": {name: f"{ms / max(total_ms, 1e-6):.0%}" for name, ms in top},
    }


def _step_summary(rate: float, config: RushConfig, report: dict[str, Any], reasons: list[str]) -> dict[str, Any]:
    steps = report.get("steps", {})
    worst = max(((v["p99_ms"], k) for k, v in steps.items() if k not in NOT_A_STUDENT_STEP), default=(0.0, ""))
    return {
        "students_per_minute": rate,
        "students": config.students,
        "ramp_s": round(config.ramp_s, 1),
        "passed": not reasons,
        "why_not": reasons,
        "worst_step": {"step": worst[1], "p99_ms": worst[0]},
        "p99_ms": {k: v["p99_ms"] for k, v in sorted(steps.items())},
        "p50_ms": {k: v["p50_ms"] for k, v in sorted(steps.items())},
        "errors": report.get("errors", {}),
        # one bulk certification takes whatever waits: its latency grows with the rate, per outcome it should not
        "bulk_certify_ms_per_outcome": round(
            steps["bulk_certify"]["mean_ms"] * steps["bulk_certify"]["count"] / report["bulk_certify_outcomes"], 1
        )
        if "bulk_certify" in steps and report.get("bulk_certify_outcomes")
        else None,
        "arrival_lag_p99_ms": report.get("arrival_lag_ms", {}).get("p99_ms"),
        "rush_seconds": report.get("rush_seconds"),
        "load_average": report.get("load_average"),
    }


def summarize_step(
    rate: float, config: RushConfig, report: dict[str, Any], limit_ms: float, idle: dict[str, float] | None = None
) -> dict[str, Any]:
    """A rung's verdict, latencies, CPU per phase and audit, without the raw samples."""
    reasons = judge(report, limit_ms)
    summary = _step_summary(rate, config, report, reasons)
    for phase, cpu in report.get("cpu", {}).items():
        summary[f"cpu_{phase}"] = {**where_cpu_went(cpu, idle), "per_process_ms_per_student": cpu["cpu_ms_per_op"], "db": cpu.get("db")}
    if "audit" in report:
        summary["audit"] = report["audit"]["verdict"]
        summary["audit_checked"] = report["audit"].get("checked")
        summary["lost"] = report["audit"]["lost"]
    return summary


def search(
    run_step: Callable[[float], tuple[RushConfig, dict[str, Any]]],
    ladder: Ladder,
    limit_ms: float,
    name: str,
    idle: dict[str, float] | None = None,
    retry_failed: bool = False,
) -> dict:
    """Runs the ladder; each step's summary (with its CPU) and the knee. With `retry_failed` a failed rung
    is run again and its second run decides (the first is kept in the summary as `first_try`)."""
    tried: list[tuple[float, bool]] = []
    steps = []
    while (rate := ladder.next_rate(tried)) is not None:
        print(f"== capacity ({name}): {rate:.0f} students/min", flush=True)
        config, report = run_step(rate)
        summary = summarize_step(rate, config, report, limit_ms, idle)
        if retry_failed and not summary["passed"]:
            print(f"   FAIL: {'; '.join(summary['why_not'])}; once more", flush=True)
            first = summary
            config, report = run_step(rate)
            summary = {**summarize_step(rate, config, report, limit_ms, idle), "first_try": first}
        steps.append(summary)
        tried.append((rate, summary["passed"]))
        print(f"   {'pass' if summary['passed'] else 'FAIL: ' + '; '.join(summary['why_not'])}", flush=True)
    knee = Ladder.knee(tried)
    at_knee = next((s for s in steps if s["students_per_minute"] == knee["students_per_minute"]), None)
    return {"knee": knee, "at_knee": at_knee, "steps": steps}


# ---------------------------------------------------------------- the two journeys


def our_step(target: Target, base: RushConfig, settings: CapacityConfig, pids: dict[int, str], used_tags: set[str]):
    """One rung of our journey: a fresh pair of schools on the running system, the whole rush and its audit."""

    def run(rate: float, also: Callable[[str, RushConfig], None] | None = None) -> tuple[RushConfig, dict[str, Any]]:
        """`also(phase, config)` hears the rush's phases too (the confirming run starts its profiles there)."""
        config = step_config(base, settings, rate)
        tag = _fresh_tag(used_tags)
        meter = PhaseMeter(pids, config.students)

        def on_phase(phase: str) -> None:
            meter(phase)
            if also is not None:
                also(phase, config)

        report, _ = run_rush(target, config, tag=tag, on_phase=on_phase)
        return config, {**report, "cpu": meter.phases}

    return run


def _fresh_tag(used: set[str]) -> str:
    while (tag := uuid.uuid4().hex[:3].upper()) in used:
        pass
    used.add(tag)
    return tag


class DirectStore:
    """The floor: students arriving at the same rate, each sending its planned files (RushConfig.file_sizes,
    the same thinking between them) straight to the store by presigned POST. The forms are signed in the
    load client; the objects are removed after each step."""

    def __init__(self, storage: Storage, config: RushConfig, pids: dict[int, str]) -> None:
        self.storage, self.config, self.pids = storage, config, pids
        self.rec = Recorder()
        self.lags: list[float] = []
        self.payloads = Payloads(int(max(config.media_mb, config.doc_mb_max) * MB) + 64)
        self.prefix = f"capacity-direct/{uuid.uuid4().hex}/"

    def journey(self, k: int, arrives_at: float) -> None:
        rng = random.Random(f"{self.config.seed}-direct-{k}")
        time.sleep(max(0.0, arrives_at - time.monotonic()))
        self.lags.append(max(0.0, time.monotonic() - arrives_at))
        with requests.Session() as session:
            for n, (kind, size) in enumerate(self.config.file_sizes(rng)):
                data, _, name, _ = self.payloads.make(kind, size)
                url, fields = self.storage.upload_form(f"{self.prefix}{k}-{n}", len(data), utcnow() + timedelta(minutes=10))
                try:
                    self.rec.call(
                        "store_post",
                        lambda u=url, f=fields, d=data, m=name: session.post(u, data=f, files={"file": (m, d)}, timeout=120),
                        200,
                        201,
                        204,
                        size=len(data),
                    )
                except StepFailed:
                    return
                if self.config.think_s > 0:
                    time.sleep(rng.uniform(0, 2 * self.config.think_s))

    def run(self) -> dict[str, Any]:
        load_before, started = os.getloadavg(), time.perf_counter()
        now, spacing = time.monotonic(), self.config.ramp_s / max(self.config.students, 1)
        meter = CpuMeter(self.pids).start()
        with ThreadPoolExecutor(self.config.concurrency) as pool:
            list(pool.map(lambda k: self.journey(k, now + k * spacing), range(self.config.students)))
        cpu = meter.stop(self.config.students, "student")
        report = {
            "rush_seconds": round(time.perf_counter() - started, 2),
            "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
            **self.rec.report(),
            "arrival_lag_ms": percentiles(self.lags) if self.lags else {},
            "cpu": {"journeys": cpu},
        }
        for found in self.storage.versions(self.prefix):
            self.storage.remove_version(found.key, found.version_id)
        return report


def direct_step(storage: Storage, base: RushConfig, settings: CapacityConfig, pids: dict[int, str]):
    def run(rate: float) -> tuple[RushConfig, dict[str, Any]]:
        config = step_config(base, settings, rate)
        return config, DirectStore(storage, config, pids).run()

    return run


Profiler = Callable[[str, RushConfig, str], None]  # (phase, config, busiest service): starts profiles at "journeys"


def capacity(target: Target, base: RushConfig, settings: CapacityConfig, pids: dict[int, str], profiler: Profiler | None = None) -> dict:
    """Both searches on the one running system, ours first, then (`confirm`) our knee once more with
    `profiler` told the phases. The report's `summary` holds the figures asked for."""
    assert target.settings is not None
    ladder = Ladder(settings.start, settings.factor, settings.precision, settings.max_steps)
    run_ours = our_step(target, base, settings, pids, set())
    idle = measure_idle(pids)
    ours = search(run_ours, ladder, settings.limit_ms, "ours", idle, settings.retry_failed)
    rate = ours["knee"]["students_per_minute"]
    direct = None
    if settings.direct:
        direct_pids = {pid: name for pid, name in pids.items() if name != "national simulator"}
        direct_run = direct_step(Storage(target.settings), base, settings, direct_pids)
        floor_ladder = replace(ladder, start=max(settings.start, rate or 0))
        direct = search(direct_run, floor_ladder, settings.limit_ms, "direct store", idle, settings.retry_failed)
    confirm = profiled = None
    if settings.confirm and rate:
        print(f"== capacity (ours, {rate:.0f} students/min once more)", flush=True)
        config, report = run_ours(rate)
        confirm = summarize_step(rate, config, report, settings.limit_ms, idle)
    if settings.profile and rate and profiler is not None:
        busiest = _busiest_service(ours["at_knee"] or {})
        print(f"== capacity (ours, {rate:.0f} students/min with py-spy on the gateway and {busiest})", flush=True)
        config, report = run_ours(rate, lambda phase, config: profiler(phase, config, busiest))
        profiled = {**summarize_step(rate, config, report, settings.limit_ms, idle), "profiled": ["gateway", busiest]}
    summary = _summary(ours, direct, confirm)
    body = {"settings": asdict(settings), "base": asdict(base), "summary": summary, "idle_cpu_ms_per_s": idle}
    return {**body, "ours": ours, "direct_store": direct, "confirm": confirm, "profiled": profiled}


def _busiest_service(step: dict[str, Any]) -> str:
    """Our service (not the gateway, a worker, the client or a shared server) that took most CPU per student."""
    per = step.get("cpu_journeys", {}).get("per_process_ms_per_student", {})
    shared = {"rabbitmq", "ferretdb", "postgresql", "seaweedfs", "load client", "national simulator", "gateway"}
    ours = [(ms, name) for name, ms in per.items() if name not in shared and not name.startswith("uploader")]
    return max(ours)[1] if ours else "evidence"


def _summary(ours: dict, direct: dict | None, confirm: dict | None) -> dict[str, Any]:
    knee, failed_at = ours["knee"]["students_per_minute"], ours["knee"]["first_failure_per_minute"]
    at = ours["at_knee"] or {}
    journey = at.get("cpu_journeys", {})
    national = at.get("cpu_national", {})
    summary: dict[str, Any] = {
        "ours_students_per_minute": knee,
        "ours_bounded": ours["knee"]["bounded"],
        "ours_first_failure": {
            "students_per_minute": failed_at,
            "why": next((s["why_not"] for s in ours["steps"] if s["students_per_minute"] == failed_at), None),
        },
        "cpu_s_per_journey": {
            "journey": journey.get("cpu_s_per_student_all"),
            "journey_without_load_client": journey.get("cpu_s_per_student_without_load_client"),
            "journey_net_of_idle": journey.get("cpu_s_per_student_net_of_idle"),
            "national_upload_after": national.get("cpu_s_per_student_all"),
            "national_upload_after_net_of_idle": national.get("cpu_s_per_student_net_of_idle"),
        },
        "where_the_cpu_went_at_the_knee": {"journeys": journey.get("top"), "cores_busy": journey.get("cores_busy")},
    }
    if direct is not None:
        floor = direct["knee"]["students_per_minute"]
        summary["direct_store_students_per_minute"] = floor
        summary["direct_store_bounded"] = direct["knee"]["bounded"]
        summary["ours_over_direct_store"] = round(knee / floor, 3) if knee and floor else None
        floor_cpu = (direct["at_knee"] or {}).get("cpu_journeys", {})
        summary["direct_store_cpu_s_per_journey"] = floor_cpu.get("cpu_s_per_student_store_and_client")
        summary["ours_cpu_s_in_store_and_client_per_journey"] = journey.get("cpu_s_per_student_store_and_client")
    summary["bulk_certify_ms_per_outcome_at_the_knee"] = at.get("bulk_certify_ms_per_outcome")
    if confirm is not None:
        summary["knee_confirmed"] = {"passed": confirm.get("passed"), "why_not": confirm.get("why_not")}
    return summary
