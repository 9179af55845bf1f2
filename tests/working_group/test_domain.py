"""The working group's rules and charts, without any server."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from services.working_group import charts, domain
from services.working_group.domain import Position, TrainingKind

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it

SEMESTER = {"year": 115, "term": 1, "starts_on": "2026-08-01", "ends_on": "2027-01-31"}


def member(id_: str, position: Position, starts="2026-01-01", ends=None, subject="") -> dict:
    return {"_id": id_, "position": position.value, "subject": subject, "term_starts": starts, "term_ends": ends, "name": id_}


MEMBERS = {
    "p": member("p", Position.PRINCIPAL),
    "s": member("s", Position.ACADEMIC_DIRECTOR),
    "old": member("old", Position.PARENT_REPRESENTATIVE, ends="2026-06-30"),
}


def meeting(**changes) -> dict:
    return {"held_on": date(2026, 9, 1), "chair_id": "p", "attendee_ids": ["p", "s"], "attachment_ids": [], **changes}


@pytest.mark.parametrize(
    ("changes", "semester", "expected"),
    [
        ({}, SEMESTER, {}),
        ({"held_on": date(2026, 7, 31)}, SEMESTER, {"held_on": "outside_semester"}),
        ({"held_on": date(2027, 2, 1)}, SEMESTER, {"held_on": "outside_semester"}),
        ({}, None, {"term": "unknown_semester"}),
        ({"chair_id": "s"}, SEMESTER, {"chair_id": "not_convener"}),
        ({"chair_id": "x", "attendee_ids": ["p"]}, SEMESTER, {"chair_id": "unknown_member"}),
        ({"attendee_ids": ["p", "ghost"]}, SEMESTER, {"attendee_ids.1": "unknown_member"}),
        ({"attendee_ids": ["p", "old"]}, SEMESTER, {"attendee_ids.1": "not_member"}),
        ({"attendee_ids": ["s"]}, SEMESTER, {"attendee_ids": "chair_absent"}),
        ({"attachment_ids": ["e1", "e2"]}, SEMESTER, {"attachment_ids.1": "incomplete_evidence"}),
    ],
)
def test_meeting_errors(changes, semester, expected):
    attachments = {"e1": {"state": "stored"}, "e2": {"state": "pending"}}
    errors = domain.meeting_errors(meeting(**changes), semester, MEMBERS, attachments)
    assert {e["field"]: e["code"] for e in errors} == expected
    assert all(e["message"] and e["message_en"] for e in errors)


def test_a_seat_holds_one_person_at_a_time_and_subject_chairs_hold_one_seat_per_subject():
    existing = [member("a", Position.PRINCIPAL, "2025-08-01", "2026-07-31"), member("c", Position.SUBJECT_CHAIR, subject="國文")]
    assert domain.seat_conflict(member("b", Position.PRINCIPAL, "2026-07-01"), existing)["_id"] == "a"
    assert domain.seat_conflict(member("b", Position.PRINCIPAL, "2026-08-01"), existing) is None  # the successor
    assert domain.seat_conflict(member("d", Position.SUBJECT_CHAIR, subject="英文"), existing) is None
    assert domain.seat_conflict(member("d", Position.SUBJECT_CHAIR, subject="國文"), existing)["_id"] == "c"
    assert domain.seat_conflict({**existing[0]}, existing) is None  # a member does not conflict with itself


def test_semesters_without_a_meeting_are_those_begun_and_unmet():
    second = {"year": 115, "term": 2, "starts_on": "2027-02-01", "ends_on": "2027-07-31"}
    assert domain.terms_without_meeting([SEMESTER, second], [], date(2026, 9, 1)) == [SEMESTER]
    assert domain.terms_without_meeting([SEMESTER, second], [{"year": 115, "term": 1}], date(2027, 3, 1)) == [second]


def test_trainings_count_only_when_held_and_gaps_list_who_was_not_there():
    trainings = [
        {"kind": "student_training", "held_on": "2026-09-10", "attendee_ids": ["S1"]},
        {"kind": "teacher_workshop", "held_on": None, "attendee_ids": []},
    ]
    assert domain.kinds_not_held(trainings) == [TrainingKind.TEACHER_WORKSHOP, TrainingKind.PARENT_BRIEFING]
    people = [{"id": "S1"}, {"id": "S2"}]
    assert domain.not_attended(people, "id", trainings) == [{"id": "S2"}]
    span = domain.year_span([SEMESTER, {"starts_on": "2027-02-01", "ends_on": "2027-07-31"}])
    assert span == (date(2026, 8, 1), date(2027, 7, 31))
    assert domain.date_in_year_error("planned_on", date(2027, 8, 1), span)["code"] == "outside_year"
    assert domain.date_in_year_error("planned_on", date(2027, 7, 31), span) is None
    assert domain.date_in_year_error("planned_on", date(2027, 7, 31), None)["code"] == "unknown_year"


def test_proposals_name_units_people_and_teachers_that_earned_them():
    units = [
        {"unit": "discipline", "name": "生輔組", "on_time": 3, "late": 0},
        {"unit": "activities", "name": "訓育組", "on_time": 2, "late": 1},
    ]
    people = [{"account_id": "u1", "name": "甲", "on_time": 0, "late": 0}]
    teachers = [
        {"account_id": "t1", "name": "乙", "count": 4, "waiting": 0, "median_hours": 10.0},
        {"account_id": "t2", "name": "丙", "count": 4, "waiting": 1, "median_hours": 1.0},
        {"account_id": "t3", "name": "丁", "count": 4, "waiting": 0, "median_hours": 100.0},
    ]
    assert [c["key"] for c in domain.propose(units, people, teachers)] == ["unit:discipline", "teacher:t1"]


def test_charts_are_well_formed_svg_with_escaped_text():
    timeline = charts.timeline(
        "累計 <test>",
        {"訓育組": [(date(2026, 8, 2), 1), (date(2026, 8, 9), 3)], "生輔組": []},
        date(2026, 8, 1),
        date(2026, 9, 1),
        date(2026, 8, 20),
    )
    bars = charts.share_bars("各班", [("101", 1, 2), ("102", 0, 0)], "已上傳", "尚未上傳")
    stacked = charts.on_time_bars("各單位", [("訓育組 & co", 2, 1)])
    for svg in (timeline, bars, stacked):
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg") and root.get("role") == "img"
    assert "&lt;test&gt;" in timeline and "50%" in bars and "—" in bars and "&amp; co" in stacked
