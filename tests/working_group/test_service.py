"""WorkingGroupService's view of national_upload, with the peer replaced (a unit test of one service)."""

from __future__ import annotations

import pytest
from nameko.exceptions import MethodNotFound
from nameko.testing.services import worker_factory

from services.working_group.service import WorkingGroupService


class Reply:
    def __init__(self, answer) -> None:
        self.answer = answer

    def result(self):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class TermOutcome:
    """national_upload.term_outcome as the service's proxy has it: asked, then its reply taken."""

    def __init__(self, answer) -> None:
        self.answer = answer

    def call_async(self, school_id, year, term):
        return Reply(self.answer)


class National:
    def __init__(self, answer) -> None:
        self.term_outcome = TermOutcome(answer)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"total": 5, "accepted": 3, "rejected": 1, "dead": 1}, {"total": 5, "accepted": 3, "rejected": 1, "dead": 1}),
        ({"total": 0, "accepted": 0, "rejected": 0, "dead": 0}, None),  # nothing uploaded: 尚無上傳
        (None, None),
        (MethodNotFound("term_outcome"), None),  # a national_upload without the RPC yet
        (RuntimeError("down"), None),
    ],
)
def test_the_national_outcome_or_nothing_to_show(answer, expected):
    service = worker_factory(WorkingGroupService, national_upload=National(answer))
    assert service._national(service._national_async("A00001", 115, 1)) == expected
