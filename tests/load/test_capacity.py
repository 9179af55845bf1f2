"""The capacity search's own logic (tests/load/capacity.py): which rate comes next, where the knee is,
and why a rung fails. Pure: the rungs' reports are made up here, nothing is run or timed."""

from __future__ import annotations

import pytest

from tests.load.capacity import CapacityConfig, Ladder, PhaseMeter, judge, search, step_config
from tests.load.rush import RushConfig

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it


def climb(ladder: Ladder, capacity: float) -> list[tuple[float, bool]]:
    """The rates a ladder tries against a system that passes every rate up to `capacity`."""
    tried: list[tuple[float, bool]] = []
    while (rate := ladder.next_rate(tried)) is not None:
        tried.append((rate, rate <= capacity))
    return tried


def test_the_ladder_doubles_until_a_failure_then_bisects_to_within_its_precision():
    ladder = Ladder(start=30, factor=2, precision=0.15, max_steps=10)
    tried = climb(ladder, capacity=100)
    assert [r for r, _ in tried][:3] == [30, 60, 120]
    knee = Ladder.knee(tried)
    assert knee["bounded"] and knee["students_per_minute"] <= 100 < knee["first_failure_per_minute"]
    assert knee["first_failure_per_minute"] - knee["students_per_minute"] <= 0.15 * knee["students_per_minute"]
    assert len({r for r, _ in tried}) == len(tried)  # no rate twice


def test_a_first_rung_that_fails_walks_down():
    tried = climb(Ladder(start=120, max_steps=10), capacity=40)
    assert [r for r, _ in tried][:3] == [120, 60, 30]
    assert 30 <= Ladder.knee(tried)["students_per_minute"] <= 40


def test_nothing_passing_down_to_the_floor_has_no_knee():
    tried = climb(Ladder(start=8, max_steps=10, floor=1), capacity=0)
    assert Ladder.knee(tried) == {"students_per_minute": None, "first_failure_per_minute": 1.0, "bounded": True}


def test_a_ladder_out_of_steps_before_any_failure_reports_a_floor_not_a_knee():
    tried = climb(Ladder(start=30, max_steps=3), capacity=10_000)
    assert tried == [(30, True), (60, True), (120, True)]
    assert Ladder.knee(tried) == {"students_per_minute": 120, "first_failure_per_minute": None, "bounded": False}


def test_a_noisy_pass_above_a_failure_is_not_the_knee():
    tried = [(30.0, True), (60.0, False), (42.0, True), (50.0, True), (90.0, True)]
    assert Ladder.knee(tried)["students_per_minute"] == 50
    assert Ladder(start=30, precision=0.15).next_rate(tried) == 55  # between 50 and 60


def report(**overrides):
    body = {
        "error_total": 0,
        "errors": {},
        "students_unfinished": 0,
        "audit": {"lost": 0, "verdict": "0 lost"},
        "steps": {"login": {"p99_ms": 420.0}, "complete": {"p99_ms": 880.0}, "national_start": {"p99_ms": 4000.0}},
        "arrival_lag_ms": {"p99_ms": 12.0},
    }
    return {**body, **overrides}


def test_a_rung_passes_with_every_students_step_under_the_limit_whatever_the_registrars_start_took():
    assert judge(report(), 1000) == []


@pytest.mark.parametrize(
    "overrides,why",
    [
        ({"error_total": 2, "errors": {"complete: HTTP 503": 2}}, "2 errors (complete: HTTP 503 x2)"),
        ({"audit": {"lost": 1, "verdict": "1 lost: upload e1 (acknowledged but not stored)"}}, "1 lost: 1 lost: upload e1"),
        ({"students_unfinished": 3}, "3 students unfinished"),
        ({"steps": {"complete": {"p99_ms": 1000.0}}}, "complete p99 1000 ms"),
        ({"arrival_lag_ms": {"p99_ms": 2500.0}}, "arrivals 2500 ms late"),
    ],
)
def test_a_rung_fails_on_any_error_loss_unfinished_student_slow_step_or_late_arrivals(overrides, why):
    reasons = judge(report(**overrides), 1000)
    assert len(reasons) == 1 and reasons[0].startswith(why), reasons


def test_a_rungs_students_arrive_at_its_rate_over_the_window_and_never_too_few():
    settings = CapacityConfig(window_s=60, min_students=30)
    fast = step_config(RushConfig(), settings, 120)
    assert (fast.students, fast.ramp_s, fast.concurrency) == (120, 60.0, 120)
    slow = step_config(RushConfig(), settings, 10)
    assert slow.students == 30 and slow.ramp_s == 180.0  # 30 students at 10 a minute


def test_the_phase_meter_splits_the_journeys_from_the_national_upload(monkeypatch):
    stopped: list[str] = []

    class FakeMeter:
        def __init__(self, pids):
            self.n = len(stopped)

        def start(self):
            return self

        def stop(self, operations, label):
            stopped.append(label)
            return {"operations": operations, "n": self.n}

    monkeypatch.setattr("tests.load.capacity.CpuMeter", FakeMeter)
    meter = PhaseMeter({}, students=7)
    for phase in ("journeys", "national", "audit"):
        meter(phase)
    assert set(meter.phases) == {"journeys", "national"} and meter.phases["journeys"]["operations"] == 7


def test_search_records_each_rung_and_finds_the_knee():
    def run(rate):
        steps = {"login": {"p99_ms": 300.0 if rate <= 60 else 1500.0, "p50_ms": 100.0}}
        return RushConfig(students=int(rate)), report(steps=steps)

    found = search(run, Ladder(start=30, max_steps=6, precision=0.2), 1000, "test")
    assert found["knee"]["students_per_minute"] == 60 and found["at_knee"]["passed"]
    failed = [s for s in found["steps"] if not s["passed"]]
    assert failed and all(s["why_not"] == ["login p99 1500 ms"] for s in failed)


def test_a_failed_rung_run_once_more_is_decided_by_its_second_run():
    runs: dict[float, int] = {}

    def run(rate):
        runs[rate] = runs.get(rate, 0) + 1
        stalled = rate == 60 and runs[rate] == 1  # one stall at 60, then clean; 120 fails every time
        slow = stalled or rate >= 120
        return RushConfig(students=int(rate)), report(steps={"login": {"p99_ms": 1500.0 if slow else 300.0, "p50_ms": 90.0}})

    found = search(run, Ladder(start=30, max_steps=4, precision=0.5), 1000, "test", retry_failed=True)
    by_rate = {s["students_per_minute"]: s for s in found["steps"]}
    assert by_rate[60]["passed"] and not by_rate[60]["first_try"]["passed"] and runs[60] == 2
    assert not by_rate[120]["passed"] and runs[120] == 2
    assert found["knee"]["students_per_minute"] >= 60
