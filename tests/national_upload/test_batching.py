"""The group commit the upload workers write their claims and results with, and the lanes it groups by."""

from __future__ import annotations

import threading

import pytest

from services.national_upload.batching import GroupCommit
from services.national_upload.domain import LANE_SIZE, assign_lanes

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it


def test_lanes_number_each_uploads_items_in_blocks_in_id_order():
    docs = [{"_id": f"u1:e{n:04d}", "upload_id": "u1"} for n in reversed(range(2 * LANE_SIZE + 1))]
    docs += [{"_id": "u2:e0000", "upload_id": "u2"}, {"_id": "u1:kept", "upload_id": "u1", "lane": 7}]
    assign_lanes(docs)
    lanes = {d["_id"]: d["lane"] for d in docs}
    assert lanes["u1:e0000"] == 0 and lanes[f"u1:e{LANE_SIZE - 1:04d}"] == 0 and lanes[f"u1:e{LANE_SIZE:04d}"] == 1
    assert lanes[f"u1:e{2 * LANE_SIZE:04d}"] == 2
    assert lanes["u2:e0000"] == 0  # every upload starts at its own first block
    assert lanes["u1:kept"] == 7  # a lane already given is kept


def test_requests_that_arrive_during_a_write_go_together_in_the_next_and_each_gets_its_own_answer():
    first_write_started, release = threading.Event(), threading.Event()
    batches: list[list[int]] = []

    def write(batch: list[int]) -> list[int]:
        batches.append(batch)
        if len(batches) == 1:
            first_write_started.set()
            release.wait(10)
        return [n * 10 for n in batch]

    commit: GroupCommit[int, int] = GroupCommit(write)
    answers: dict[int, int] = {}

    def call(n: int) -> None:
        answers[n] = commit(n)

    first = threading.Thread(target=call, args=(0,))
    first.start()
    assert first_write_started.wait(10)
    waiting = [threading.Thread(target=call, args=(n,)) for n in range(1, 6)]
    for thread in waiting:
        thread.start()
    while len(commit._pending) < 5:  # all five queued behind the write under way
        threading.Event().wait(0.01)
    release.set()
    for thread in (first, *waiting):
        thread.join(10)
    assert answers == {n: n * 10 for n in range(6)}
    assert batches[0] == [0] and sorted(batches[1]) == [1, 2, 3, 4, 5] and len(batches) == 2
    assert (commit.batches, commit.requests) == (2, 6)


def test_a_failed_write_raises_in_every_caller_of_its_batch_and_the_next_batch_is_written():
    calls = []

    def write(batch: list[str]) -> list[str]:
        calls.append(batch)
        if "bad" in batch:
            raise ConnectionError("database away")
        return batch

    commit: GroupCommit[str, str] = GroupCommit(write)
    with pytest.raises(ConnectionError):
        commit("bad")
    assert commit("good") == "good"
    assert calls == [["bad"], ["good"]]


def test_a_batch_never_exceeds_its_size():
    sizes: list[int] = []
    gate = threading.Event()

    def write(batch: list[int]) -> list[int]:
        sizes.append(len(batch))
        gate.wait(5)
        return batch

    commit: GroupCommit[int, int] = GroupCommit(write, max_batch=3)
    threads = [threading.Thread(target=commit, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join(10)
    assert sum(sizes) == 10 and max(sizes) <= 3
