"""The effectiveness figures from the peers' answers, without any server."""

from __future__ import annotations

from datetime import date

import pytest

from services.working_group import figures

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it

TIMELINESS = {
    "types": {
        "cadres": {
            "label": "幹部經歷",
            "writers": ["activities"],
            "on_time": 2,
            "late": 1,
            "people": {"u1": {"on_time": 2, "late": 1}},
            "days": {"2026-09-01": 2, "2026-09-03": 1},
        },
        "clubs": {
            "label": "社團",
            "writers": ["activities"],
            "on_time": 1,
            "late": 0,
            "people": {"u2": {"on_time": 1, "late": 0}},
            "days": {"2026-09-02": 1},
        },
    }
}


def test_units_sum_their_record_types_and_people_carry_names():
    units, people, days = figures.units_and_people(TIMELINESS, {"u1": "甲"})
    assert units == [
        {"unit": "activities", "name": "訓育組", "on_time": 3, "late": 1, "types": ["幹部經歷", "社團"], "on_time_share": 0.75}
    ]
    assert people == [
        {"account_id": "u2", "name": "u2", "on_time": 1, "late": 0},
        {"account_id": "u1", "name": "甲", "on_time": 2, "late": 1},
    ]
    assert figures.cumulative(days["訓育組"]) == [(date(2026, 9, 1), 2), (date(2026, 9, 2), 3), (date(2026, 9, 3), 4)]


def test_classes_count_uploads_and_list_who_has_none():
    students = [
        {"student_id": "S1", "name": "一", "class_code": "101", "seat_no": 1, "rechecked": True},
        {"student_id": "S2", "name": "二", "class_code": "101", "seat_no": 2, "rechecked": False},
        {"student_id": "S3", "name": "三", "class_code": None, "seat_no": 3, "rechecked": False},
    ]
    rows, days = figures.classes(students, {"S1": "2026-09-01T20:00:00+00:00"})  # 04:00 on 9/2 in Taipei
    assert [(r["class_code"], r["students"], r["uploaded"], r["rechecked"]) for r in rows] == [("101", 2, 1, 1), ("?", 1, 0, 0)]
    assert [s["student_id"] for s in rows[0]["not_uploaded"]] == ["S2"]
    assert days == {"101": {"2026-09-02": 1}}
    assert figures.cumulative(days["101"], 2) == [(date(2026, 9, 2), 50)]
