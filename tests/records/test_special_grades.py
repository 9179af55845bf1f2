"""註冊組's special records (補修, 重修, 重讀, 轉學轉科, 借讀) and the 部別 of students, on the running system.

They are ordinary rows of the division table: the generic routes, pages, imports, windows and audit
serve them; roster_data hands them to the national upload.
"""

from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.records.division import TYPES
from shared.caller import Caller
from shared.roles import Role
from tests.records.bodies import write_body
from tests.records.conftest import COURSE_A, COURSE_B, national_id
from tests.support.api import assert_problem

SPECIAL = ("makeup_grades", "retake_grades", "repeat_grades", "transfer_grades", "guest_study")


@pytest.fixture(scope="module")
def system_rpc(system):
    with ClusterRpcProxy(system.settings().nameko_config(), context_data=Caller.system().to_context(), timeout=30) as proxy:
        yield proxy


@pytest.mark.parametrize("key", SPECIAL)
def test_registrar_saves_lists_and_sees_the_generic_page(rec_a, key):
    registrar = rec_a.registrar
    saved = registrar.post(f"/api/v1/records/{key}", json=write_body(rec_a, key, 1))
    assert saved.status_code in (200, 201), saved.text
    again = registrar.post(f"/api/v1/records/{key}", json=write_body(rec_a, key, 1))
    assert again.status_code == 200 and again.json()["created"] is False  # the natural key holds
    listed = registrar.get(f"/api/v1/records/{key}", params={"student_id": "S001"}).json()
    assert listed["total"] >= 1
    page = registrar.get(f"/records/{key}")
    assert page.status_code == 200 and TYPES[key].label in page.text
    for _, header in TYPES[key].columns[:6]:
        assert header in page.text
    assert_problem(rec_a.clients[Role.CURRICULUM].post(f"/api/v1/records/{key}", json=write_body(rec_a, key, 2)), 403)


def test_bad_rows_are_field_errors_in_both_languages(rec_a):
    body = write_body(rec_a, "retake_grades")
    problem = assert_problem(rec_a.registrar.post("/api/v1/records/retake_grades", json={**body, "original_year": rec_a.year + 1}), 422)
    assert "原修課學期須早於重修學期" in str(problem)
    body = write_body(rec_a, "guest_study")
    problem = assert_problem(rec_a.registrar.post("/api/v1/records/guest_study", json={**body, "host_school_code": "12"}), 422)
    assert "host_school_code" in str(problem)
    body = write_body(rec_a, "transfer_grades")
    assert_problem(rec_a.registrar.post("/api/v1/records/transfer_grades", json={**body, "student_id": "NOBODY"}), 404)


def test_import_then_reimport_and_audit(rec_a):
    registrar = rec_a.registrar
    header = "學年度,學期,學號,應修課學年度,應修課學期,課程代碼,科目名稱,開課年級,修課學分,補修成績,補考成績,補修方式"
    rows = [f"{rec_a.year},{rec_a.term},S002,{rec_a.year - 1},2,{COURSE_B},數學,1,3,55,62,1"]
    text = "\n".join([header, *rows]) + "\n"
    first = registrar.post("/api/v1/records/makeup_grades/import", files={"file": ("m.csv", text.encode())}).json()
    assert (first["status"], first["inserted"]) == ("done", 1), first
    again = registrar.post("/api/v1/records/makeup_grades/import", files={"file": ("m.csv", text.encode())}).json()
    assert again["already_imported"] is True and again["import_id"] == first["import_id"]  # the same file: a no-op
    record = registrar.get("/api/v1/records/makeup_grades", params={"student_id": "S002"}).json()["items"][0]
    assert (record["passed"], record["makeup_passed"], record["method"]) == (False, True, "1")
    trail = registrar.get("/api/v1/records/audit", params={"target": record["id"]}).json()
    assert trail and trail[-1]["action"].startswith("makeup_grades.")


def test_windows_gate_the_new_types(rec_a):
    sid = f"{rec_a.year}-{rec_a.term}"
    closed = {"transfer_grades": {"opens_at": "2000-01-01T08:00:00+08:00", "closes_at": "2000-02-01T00:00:00+08:00"}}
    assert rec_a.registrar.patch(f"/api/v1/records/semesters/{sid}", json={"windows": closed}).status_code == 200
    try:
        problem = assert_problem(
            rec_a.registrar.post("/api/v1/records/transfer_grades", json=write_body(rec_a, "transfer_grades", 9)), 409, "window_closed"
        )
        assert "轉學轉科生成績" in problem["detail"]
    finally:
        assert rec_a.registrar.patch(f"/api/v1/records/semesters/{sid}", json={"windows": {}}).status_code == 200


def test_division_on_basic_data_defaults_to_day_and_reaches_the_roster(rec_a, system_rpc):
    registrar = rec_a.registrar
    body = {
        "student_id": "N001",
        "national_id": national_id(4701, "1"),
        "name": "進修生",
        "birth_date": "0950101",
        "gender": "1",
        "class_code": "102",
        "seat_no": 48,
        "division": "5",
    }
    assert registrar.post("/api/v1/records/students", json=body).status_code in (200, 201)
    assert_problem(registrar.post("/api/v1/records/students", json={**body, "division": "9"}), 422)
    data = system_rpc.records.roster_data(rec_a.code, rec_a.year, rec_a.term)
    divisions = {s["student_id"]: s.get("division") for s in data["students"]}
    assert divisions["N001"] == "5" and divisions["S001"] == "1"
    for key in SPECIAL:
        assert key in data, key
    assert any(r["course_code"] == COURSE_A for r in data["repeat_grades"])
