"""A roster waits while any file it refers to is on its way, even when that file moves while the
states are asked one at a time. The items collection here is a scripted stand-in (a unit test of the
store's question order); the real queries are exercised by the rosters' flow tests."""

from __future__ import annotations

from typing import Any

import pytest

from services.national_upload.domain import ItemState
from services.national_upload.store import UploadStore

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it


class MovingItem:
    """One evidence item's state, which moves to `then` right after the question named `moves_after`
    (None: the first question) has been answered: a worker claiming it, or its send failing, at that
    very moment."""

    def __init__(self, state: ItemState, moves_after: ItemState | None, then: ItemState) -> None:
        self.state, self.moves_after, self.then = state, moves_after, then
        self.asked: list[str] = []

    def find_one(self, school_id: str, where: dict[str, Any], projection: dict[str, int] | None = None) -> dict[str, Any] | None:
        assert where["kind"] == "evidence" and where["upload_id"] == "u1"
        found = {"_id": "e1"} if where["state"] == self.state.value else None
        self.asked.append(where["state"])
        if (self.moves_after is None or where["state"] == self.moves_after.value) and self.state != self.then:
            self.state = self.then
        return found


def pending(item: MovingItem) -> bool:
    store = UploadStore.__new__(UploadStore)  # only its items collection is asked
    store.items = item
    return store.evidence_pending("A00001", "u1")


def test_a_file_claimed_while_the_states_are_asked_still_holds_its_roster_back():
    assert pending(MovingItem(ItemState.QUEUED, moves_after=None, then=ItemState.SENDING))


def test_a_send_failing_while_the_states_are_asked_still_holds_its_roster_back():
    assert pending(MovingItem(ItemState.SENDING, moves_after=ItemState.RETRYING, then=ItemState.RETRYING))


def test_files_that_are_all_final_let_the_roster_go():
    item = MovingItem(ItemState.ACCEPTED, moves_after=ItemState.QUEUED, then=ItemState.ACCEPTED)
    assert not pending(item)
    assert item.asked == ["queued", "retrying", "sending", "retrying"]
