"""A claim's release or outcome that the database refused (it went away under the request) is written
again in the background, so the retries meet a free key or the first answer once the database is back
rather than 409s until the claim counts as abandoned. Needs no server."""

from __future__ import annotations

import time

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from gateway import idempotency

pytestmark = pytest.mark.unit


def test_a_refused_write_is_written_again_once_the_database_answers(monkeypatch):
    monkeypatch.setattr(idempotency, "LATE_WRITE_INTERVAL_S", 0.01)
    calls = []

    def write() -> None:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise ServerSelectionTimeoutError("the database is away")

    idempotency._write_soon(write)  # returns at once: the request's answer does not wait
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    assert len(calls) == 3  # refused twice, written on the third try, then left alone


def test_a_write_that_succeeds_is_done_once(monkeypatch):
    calls = []
    idempotency._write_soon(lambda: calls.append(1))
    time.sleep(0.05)
    assert calls == [1]
