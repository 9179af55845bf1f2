"""Import files name teachers by 帳號 (the username on 帳號管理), never by account id: 任課教師帳號 for
courses, 導師帳號 for classes, 課程諮詢教師帳號 for counsellor assignments. An unknown, disabled or student
username stops the file with its row named, and nothing is imported."""

from __future__ import annotations

import pytest

from shared.roles import Role
from tests.records.conftest import RecordsSchool, fresh_school
from tests.support.api import assert_problem

WAIT = {"Prefer": "wait=20"}


@pytest.fixture(scope="module")
def rec(system, district) -> RecordsSchool:
    return fresh_school(system, district, "K00041", "帳號欄高中", "kc")


def _import(client, key: str, text: str):
    return client.post(f"/api/v1/records/{key}/import", files={"file": (f"{key}.csv", text.encode(), "text/csv")}, headers=WAIT)


def _courses(rec: RecordsSchool, teachers: str, code: str = "11300000010000000000031") -> str:
    return f"學年度,學期,課程代碼,課程名稱,學分,開課班級,任課教師帳號,選修\n{rec.year},{rec.term},{code},數學,4,101,{teachers},否\n"


def test_courses_import_names_teachers_by_username_in_any_case(rec):
    curriculum = rec.clients[Role.CURRICULUM]
    answer = _import(curriculum, "courses", _courses(rec, "KC-Teacher、kc-homeroom"))
    assert answer.status_code == 200 and answer.json()["status"] == "done", answer.text
    found = curriculum.get("/api/v1/records/courses", params={"class_code": "101", "per_page": 100}).json()["items"]
    course = next(c for c in found if c["code"] == "11300000010000000000031")
    assert course["teacher_ids"] == [rec.ids[Role.TEACHER], rec.ids[Role.HOMEROOM]]


def test_an_unknown_or_student_username_names_its_row_and_imports_nothing(rec):
    curriculum = rec.clients[Role.CURRICULUM]
    text = _courses(rec, "kc-teacher", "11300000010000000000032")
    text += f"{rec.year},{rec.term},11300000010000000000033,物理,2,101,國文老師,否\n"
    text += f"{rec.year},{rec.term},11300000010000000000034,化學,2,101,kc-stu-s001,否\n"
    problem = assert_problem(_import(curriculum, "courses", text), 422, "validation_failed")
    rows = {(e["row"], e["field"], e["code"]) for e in problem["errors"]}
    assert rows == {(3, "任課教師帳號", "staff_not_found"), (4, "任課教師帳號", "staff_not_found")}
    assert "國文老師" in problem["errors"][0]["message"] and problem["errors"][0]["message_en"]
    found = curriculum.get("/api/v1/records/courses", params={"class_code": "101", "per_page": 100}).json()["items"]
    assert not {c["code"] for c in found} & {"11300000010000000000032", "11300000010000000000033"}  # the good row neither


def test_a_disabled_teacher_cannot_be_named(rec):
    registrar = rec.registrar
    created = registrar.post(
        "/api/v1/accounts", json={"username": "kc-left", "display_name": "已離職", "roles": ["teacher"], "password": "Left-pass-123"}
    )
    assert created.status_code == 201, created.text
    assert registrar.patch(f"/api/v1/accounts/{created.json()['account']['id']}", json={"disabled": True}).status_code == 200
    problem = assert_problem(_import(rec.clients[Role.CURRICULUM], "courses", _courses(rec, "kc-left", "11300000010000000000035")), 422)
    assert problem["errors"][0]["row"] == 2


def test_classes_and_counsellor_assignments_name_their_teacher_by_username(rec):
    registrar = rec.registrar
    answer = _import(registrar, "classes", f"學年度,班級代碼,班級名稱,導師帳號\n{rec.year},103,103 班,kc-homeroom\n")
    assert answer.status_code == 200 and answer.json()["status"] == "done", answer.text
    classes = registrar.get("/api/v1/records/classes", params={"per_page": 100}).json()["items"]
    assert next(c for c in classes if c["code"] == "103")["homeroom_teacher_id"] == rec.ids[Role.HOMEROOM]
    answer = _import(registrar, "counsellor_assignments", "課程諮詢教師帳號,學號\nkc-counselor,S003\n")
    assert answer.status_code == 200 and answer.json()["status"] == "done", answer.text
    listed = registrar.get("/api/v1/records/counsellor_assignments", params={"per_page": 100}).json()["items"]
    assert [a["counselor_id"] for a in listed if a["student_id"] == "S003"] == [rec.ids[Role.COUNSELOR]]


def test_the_import_help_names_the_username_column(rec):
    page = rec.clients[Role.CURRICULUM].get("/records/courses")
    assert page.status_code == 200
    assert "任課教師帳號" in page.text and "任課教師帳號編號" not in page.text
