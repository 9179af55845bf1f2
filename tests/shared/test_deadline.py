"""A service refuses an RPC whose caller's deadline has passed, before any of the method runs."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from nameko.events import EventHandler
from nameko.rpc import Rpc

from shared.deadline import DEADLINE_KEY, DeadlineExceeded, has_passed
from shared.service_base import DeadlineGuard


class _Service:
    def __init__(self) -> None:
        self.done: list[str] = []

    def create(self, name: str) -> str:
        self.done.append(name)
        return name


def _ctx(entrypoint, deadline: float | None) -> SimpleNamespace:
    entrypoint.method_name = "create"
    data = {"request_id": "r1"} if deadline is None else {"request_id": "r1", DEADLINE_KEY: f"{deadline:.3f}"}
    return SimpleNamespace(service=_Service(), entrypoint=entrypoint, data=data, service_name="demo")


def _run(ctx) -> str:
    DeadlineGuard().worker_setup(ctx)
    return getattr(ctx.service, ctx.entrypoint.method_name)("x")  # what nameko's container calls next


def test_a_late_rpc_is_refused_and_nothing_runs():
    ctx = _ctx(Rpc(), time.time() - 0.5)
    with pytest.raises(DeadlineExceeded) as refused:
        _run(ctx)
    assert ctx.service.done == []
    assert refused.value.status == 503 and refused.value.detail and refused.value.detail_en


@pytest.mark.parametrize("seconds_left", [None, 60])
def test_an_rpc_in_time_or_without_deadline_runs(seconds_left):
    ctx = _ctx(Rpc(), None if seconds_left is None else time.time() + seconds_left)
    assert _run(ctx) == "x" and ctx.service.done == ["x"]


def test_events_keep_nobody_waiting_and_are_never_refused():
    ctx = _ctx(EventHandler("identity", "school_created"), time.time() - 10)
    assert _run(ctx) == "x"
    assert DEADLINE_KEY not in ctx.data  # the handler's own RPCs do not inherit the dispatching request's deadline


def test_malformed_deadlines_count_as_none():
    assert not has_passed({DEADLINE_KEY: "soon"}) and not has_passed({}) and has_passed({DEADLINE_KEY: "1"})
