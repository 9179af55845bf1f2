"""The outcome state machine, deadlines and proxies as tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.certification.domain import Action, State, acting_for, check_deadline, is_repeat, next_state
from services.certification.errors import DeadlinePassed, InvalidTransition

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it

NOW = datetime(2027, 1, 20, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "state,action,expected",
    [
        (State.DRAFT, Action.SUBMIT, State.SUBMITTED),
        (State.RETURNED, Action.SUBMIT, State.SUBMITTED),
        (State.SUBMITTED, Action.CERTIFY, State.CERTIFIED),
        (State.SUBMITTED, Action.RETURN, State.RETURNED),
        (State.DRAFT, Action.EDIT, State.DRAFT),
        (State.RETURNED, Action.EDIT, State.RETURNED),
        (State.SUBMITTED, Action.WITHDRAW, State.WITHDRAWN),
    ],
)
def test_allowed_transitions(state, action, expected):
    assert next_state(state, action) == expected


@pytest.mark.parametrize(
    "state,action",
    [
        (State.DRAFT, Action.CERTIFY),
        (State.RETURNED, Action.CERTIFY),
        (State.CERTIFIED, Action.EDIT),
        (State.CERTIFIED, Action.WITHDRAW),
        (State.CERTIFIED, Action.RETURN),
        (State.WITHDRAWN, Action.SUBMIT),
        (State.SUBMITTED, Action.EDIT),
    ],
)
def test_refused_transitions_name_the_state(state, action):
    with pytest.raises(InvalidTransition) as info:
        next_state(state, action)
    assert info.value.detail and info.value.detail_en


def test_repeats_are_recognised():
    assert is_repeat(State.CERTIFIED, Action.CERTIFY)
    assert is_repeat(State.SUBMITTED, Action.SUBMIT)
    assert not is_repeat(State.DRAFT, Action.EDIT)
    assert not is_repeat(State.RETURNED, Action.SUBMIT)


def test_deadline_error_names_the_deadline_in_taipei_time():
    with pytest.raises(DeadlinePassed) as info:
        check_deadline(NOW - timedelta(minutes=1), NOW, "教師認證截止時間", "teacher certification deadline")
    assert "教師認證截止時間為 2027/01/20 11:59" in info.value.detail
    check_deadline(NOW, NOW, "x", "x")


def _proxy(start_days: int, end_days: int) -> dict:
    return {"teacher_id": "t1", "proxy_id": "p1", "starts_at": NOW + timedelta(days=start_days), "ends_at": NOW + timedelta(days=end_days)}


@pytest.mark.parametrize(
    "user,proxies,expected",
    [
        ("t1", [], "t1"),
        ("p1", [_proxy(-1, 1)], "t1"),
        ("p1", [_proxy(-5, -1)], None),  # expired
        ("p1", [_proxy(1, 5)], None),  # not yet
        ("x9", [_proxy(-1, 1)], None),
    ],
)
def test_acting_for(user, proxies, expected):
    assert acting_for(user, ["t1", "t2"], proxies, NOW) == expected


def test_turnaround_counts_waiting_items_until_now():
    from services.certification.domain import turnaround_hours

    items = [
        {"submitted_at": NOW - timedelta(hours=10), "certified_at": NOW - timedelta(hours=8), "state": "certified"},
        {"submitted_at": NOW - timedelta(hours=5), "certified_at": None, "state": "submitted"},
        {"submitted_at": NOW - timedelta(hours=30), "certified_at": NOW, "state": "certified"},
    ]
    assert turnaround_hours(items, NOW) == {"count": 3, "median_hours": 5.0, "longest_hours": 30.0, "waiting": 1}
    assert turnaround_hours([], NOW)["count"] == 0
