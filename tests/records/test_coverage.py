"""登錄進度: of the enrolled students a caller reaches, how many have a record of a type in a semester,
for the school and per class; a 導師 counts their class only, a student only themselves, another
school its own; without a year and term the current semester is counted; bad questions are 422 and
types not recorded per student have no coverage."""

from __future__ import annotations

import pytest

from shared.roles import Role
from tests.records.conftest import RecordsSchool, fresh_school
from tests.support.api import assert_problem


@pytest.fixture(scope="module")
def rec(system, district) -> RecordsSchool:
    school = fresh_school(system, district, "K00042", "進度高中", "kv")
    discipline = school.clients[Role.DISCIPLINE]
    for student, kind in (("S001", "事假"), ("S001", "病假"), ("S003", "曠課")):  # S001 twice: one student
        body = {"year": school.year, "term": school.term, "student_id": student, "absence_type": kind, "periods": 2}
        assert discipline.post("/api/v1/records/attendance", json=body).status_code in (200, 201)
    return school


def _coverage(client, rec: RecordsSchool, **params):
    return client.get("/api/v1/records/attendance/coverage", params={"year": rec.year, "term": rec.term, **params})


def test_the_office_sees_the_school_and_each_class(rec):
    answer = _coverage(rec.clients[Role.DISCIPLINE], rec)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["students"], body["recorded"], body["label"]) == (3, 2, "出缺勤")
    assert body["classes"] == [
        {"class_code": "101", "students": 2, "recorded": 1},
        {"class_code": "102", "students": 1, "recorded": 1},
    ]
    other_term = _coverage(rec.clients[Role.DISCIPLINE], rec, term=3 - rec.term).json()
    assert (other_term["students"], other_term["recorded"]) == (3, 0)


def test_a_homeroom_teacher_counts_their_class_and_a_student_themselves(rec):
    homeroom = _coverage(rec.clients[Role.HOMEROOM], rec).json()
    assert (homeroom["students"], homeroom["recorded"]) == (2, 1)
    assert [c["class_code"] for c in homeroom["classes"]] == ["101"]
    own = _coverage(rec.students["S002"], rec).json()
    assert (own["students"], own["recorded"]) == (1, 0)


def test_another_school_counts_only_its_own(rec, rec_b):
    theirs = _coverage(rec_b.registrar, rec).json()
    assert theirs["students"] <= len(rec_b.students)  # school B's three, never ours as well
    assert {c["class_code"] for c in theirs["classes"]} <= {"101", "102"}


def test_without_a_semester_named_the_current_one_is_counted(rec):
    office = rec.clients[Role.DISCIPLINE]
    current = office.get("/api/v1/records/attendance/coverage")
    assert current.status_code == 200, current.text
    assert current.json() == _coverage(office, rec).json()


def test_bad_questions_are_422_and_other_types_have_none(rec):
    office = rec.clients[Role.DISCIPLINE]
    assert_problem(office.get("/api/v1/records/attendance/coverage", params={"year": rec.year}), 422, "validation_failed")
    assert_problem(_coverage(office, rec, term=3), 422, "validation_failed")
    assert_problem(office.get("/api/v1/records/attendance/coverage", params={"year": "abc", "term": 1}), 422)
    assert office.get("/api/v1/records/students/coverage", params={"year": rec.year}).status_code == 404
    assert_problem(rec.clients[Role.CURRICULUM].get("/api/v1/records/attendance/coverage", params={"year": rec.year, "term": 1}), 403)
