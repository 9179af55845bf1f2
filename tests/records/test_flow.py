"""Records through the gateway over HTTP against the running system: users' flows end to end."""

from __future__ import annotations

import io
import json

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import Workbook, load_workbook

from shared.caller import Caller
from shared.mongo import make_client
from shared.roles import Role
from tests.records.conftest import COURSE_A, national_id
from tests.support.api import assert_problem


@pytest.fixture(scope="module")
def records_db(system):
    settings = system.settings()
    client = make_client(settings)
    yield client[settings.database_name("records")]
    client.close()


@pytest.fixture(scope="module")
def system_rpc(system):
    with ClusterRpcProxy(system.settings().nameko_config(), context_data=Caller.system().to_context(), timeout=30) as proxy:
        yield proxy


def csv_file(text: str, encoding: str = "utf-8") -> dict:
    return {"file": ("data.csv", text.encode(encoding))}


def xlsx_file(rows: list[list]) -> dict:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return {"file": ("data.xlsx", buffer.getvalue())}


# --- student basic data: IDs encrypted, masked, unique; the clear ID only for the roster -------------


def test_national_id_is_encrypted_at_rest_masked_in_api_and_clear_only_in_the_roster(rec_a, records_db, system_rpc):
    clear = national_id(1)
    item = next(s for s in rec_a.registrar.get("/api/v1/records/students").json()["items"] if s["student_id"] == "S001")
    assert item["national_id_masked"] == clear[:3] + "****" + clear[-3:]
    assert "national_id" not in item and "national_id_enc" not in item and "national_id_hash" not in item
    stored = records_db["students"].find_one({"school_id": rec_a.code, "student_id": "S001"})
    assert clear not in json.dumps(stored, default=str) and stored["national_id_enc"]
    audit = rec_a.registrar.get("/api/v1/records/audit", params={"target": stored["_id"], "limit": 50}).json()
    assert audit and clear not in json.dumps(audit) and all("national_id_enc" not in (e["after"] or {}) for e in audit)
    roster = system_rpc.records.roster_students(rec_a.code)
    assert next(r for r in roster if r["student_id"] == "S001")["national_id"] == clear
    export = rec_a.registrar.get("/api/v1/records/students/export.xlsx")
    assert export.status_code == 200 and clear not in str(
        [c.value for row in load_workbook(io.BytesIO(export.content)).active for c in row]
    )


def test_roster_with_clear_ids_is_not_for_other_roles_or_schools(rec_a, rec_b, system):
    config = system.settings().nameko_config()
    for caller in (
        Caller("x", "curriculum", rec_a.code, frozenset({Role.CURRICULUM})),
        Caller("y", "registrar", rec_b.code, frozenset({Role.REGISTRAR})),
    ):
        with ClusterRpcProxy(config, context_data=caller.to_context(), timeout=30) as proxy:
            with pytest.raises(Exception) as exc:
                proxy.records.roster_students(rec_a.code)
            assert type(exc.value).__name__ in ("Forbidden", "NotFound"), exc.value  # another role: 403; another school: 404


def test_same_national_id_for_two_students_is_refused(rec_a):
    body = {
        "student_id": "S999",
        "national_id": national_id(1),
        "name": "重複",
        "birth_date": "2009-05-05",
        "gender": "1",
        "class_code": "101",
        "seat_no": 30,
    }
    body_response = assert_problem(rec_a.registrar.post("/api/v1/records/students", json=body), 409, "record_exists")
    assert "S001" in body_response["detail"]


def test_bad_id_checksum_and_date_mixups_are_field_errors(rec_a):
    body = {
        "student_id": "S998",
        "national_id": "A123456788",
        "name": "錯",
        "birth_date": "0098-01-01",
        "gender": "1",
        "class_code": "101",
        "seat_no": 31,
    }
    problem = assert_problem(rec_a.registrar.post("/api/v1/records/students", json=body), 422)
    fields = {e["field"]: e["message"] for e in problem["errors"]}
    assert "檢查碼" in fields["national_id"] and "民國" in fields["birth_date"]


def test_semester_recheck_lists_who_is_not_yet_confirmed(rec_a):
    semester = f"{rec_a.year}-{rec_a.term}"
    unchecked = {s["student_id"] for s in rec_a.registrar.get("/api/v1/records/students", params={"unchecked": semester}).json()["items"]}
    assert {"S001", "S002", "S003"} <= unchecked
    done = rec_a.registrar.post("/api/v1/records/students/recheck", json={"year": rec_a.year, "term": rec_a.term, "student_ids": ["S001"]})
    assert done.status_code == 200 and done.json()["confirmed"] == 1
    unchecked = {s["student_id"] for s in rec_a.registrar.get("/api/v1/records/students", params={"unchecked": semester}).json()["items"]}
    assert "S001" not in unchecked and "S002" in unchecked
    student = next(s for s in rec_a.registrar.get("/api/v1/records/students").json()["items"] if s["student_id"] == "S001")
    stamp = student["rechecks"][semester.replace("-", "_")]
    assert stamp["by"] == rec_a.ids[Role.REGISTRAR] and stamp["at"]
    assert_problem(
        rec_a.registrar.post("/api/v1/records/students/recheck", json={"year": rec_a.year, "term": rec_a.term, "student_ids": ["NOPE"]}),
        404,
    )


# --- courses, grades -----------------------------------------------------------------------------


def test_grades_need_a_course_of_that_semester_and_class(rec_a):
    base = {"year": rec_a.year, "term": rec_a.term, "student_id": "S002", "course_code": COURSE_A, "course_class": "101", "score": "59.5"}
    assert_problem(
        rec_a.registrar.post("/api/v1/records/grades", json={**base, "course_class": "102", "credits_counted": 0}), 404, "course_not_found"
    )
    assert_problem(rec_a.registrar.post("/api/v1/records/grades", json={**base, "credits_counted": 5}), 422)
    saved = rec_a.registrar.post("/api/v1/records/grades", json={**base, "credits_counted": 0})
    assert saved.status_code == 201, saved.text
    record = saved.json()["record"]
    assert record["passed"] is False and record["course_name"] == "國語文" and record["score"] == 59.5
    again = rec_a.registrar.post("/api/v1/records/grades", json={**base, "credits_counted": 0, "makeup_score": "70"})
    assert again.status_code == 200 and again.json()["record"]["makeup_passed"] is True  # same natural key: an update
    assert_problem(rec_a.registrar.post("/api/v1/records/grades", json={**base, "score": "101", "credits_counted": 0}), 422)


def test_rpcs_for_other_services(rec_a, system_rpc):
    semester = system_rpc.records.current_semester(rec_a.code)
    assert (semester["year"], semester["term"]) == (rec_a.year, rec_a.term)
    assert semester["student_upload_deadline"] and semester["teacher_certification_deadline"] and semester["internal_deadline"]
    assert system_rpc.records.get_semester(rec_a.code, rec_a.year, rec_a.term)["id"] == semester["id"]
    courses = system_rpc.records.list_courses_of_student(rec_a.code, "S001", rec_a.year, rec_a.term)
    assert COURSE_A in [c["code"] for c in courses] and all(c["class_code"] == "101" for c in courses)
    course = next(c for c in courses if c["code"] == COURSE_A)
    course = system_rpc.records.get_course(rec_a.code, course["id"])
    assert course["teacher_ids"] == [rec_a.ids[Role.TEACHER]]
    assert system_rpc.records.get_course("B00002", course["id"]) is None  # tenancy holds for RPCs too
    assert [s["student_id"] for s in system_rpc.records.students_of_class(rec_a.code, "101")][:2] == ["S001", "S002"]
    assert system_rpc.records.window_open(rec_a.code, rec_a.year, rec_a.term, "performances", "S001")["open"] is True


def test_a_new_outcome_is_checked_against_its_course_semester_and_student_in_one_call(rec_a, system_rpc):
    course = next(
        c for c in system_rpc.records.list_courses_of_student(rec_a.code, "S001", rec_a.year, rec_a.term) if c["code"] == COURSE_A
    )
    context = system_rpc.records.outcome_context(rec_a.code, "S001", course["id"])
    assert context["course"] == system_rpc.records.get_course(rec_a.code, course["id"]) and context["takes"] is True
    assert context["semester"] == system_rpc.records.get_semester(rec_a.code, rec_a.year, rec_a.term)
    assert context["student"]["student_id"] == "S001" and context["student"]["class_code"] == "101"
    stranger = system_rpc.records.outcome_context(rec_a.code, "NOPE", course["id"])
    assert stranger["takes"] is False and stranger["student"] is None and stranger["course"]["id"] == course["id"]
    unknown = system_rpc.records.outcome_context(rec_a.code, "S001", "no-such-course")
    assert unknown["course"] is None and unknown["takes"] is False and unknown["student"]["student_id"] == "S001"
    elsewhere = system_rpc.records.outcome_context("B00002", "S001", course["id"])  # tenancy holds for RPCs too
    assert elsewhere["course"] is None and elsewhere["takes"] is False


# --- windows and reopening -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def closed_semester(rec_a):
    year = rec_a.year - 1
    body = {
        "year": year,
        "term": 2,
        "starts_on": f"{year + 1912}-02-01",
        "ends_on": f"{year + 1912}-07-31",
        "closing_ceremony": f"{year + 1912}-07-15",
        "national_deadlines": {"1": f"{year + 1912}-08-31"},
    }
    response = rec_a.registrar.post("/api/v1/records/semesters", json=body)
    assert response.status_code in (201, 409), response.text
    return f"{year}-2"


def test_writing_outside_the_window_names_it_and_when_it_closed(rec_a, closed_semester):
    year = rec_a.year - 1
    body = {"year": year, "term": 2, "student_id": "S002", "absence_type": "事假", "periods": 1}
    problem = assert_problem(rec_a.clients[Role.DISCIPLINE].post("/api/v1/records/attendance", json=body), 409, "window_closed")
    assert "出缺勤" in problem["detail"] and "已於" in problem["detail"] and f"{year + 1912}-08-17 23:59" in problem["detail"]


def test_registrar_reopens_for_one_named_student_with_a_reason(rec_a, closed_semester):
    year = rec_a.year - 1
    reopen = {"student_id": "S001", "record_type": "attendance", "until": "2099-01-01T00:00:00+08:00", "reason": "補登病假"}
    assert_problem(rec_a.registrar.post(f"/api/v1/records/semesters/{closed_semester}/reopenings", json={**reopen, "reason": ""}), 422)
    assert_problem(rec_a.clients[Role.DISCIPLINE].post(f"/api/v1/records/semesters/{closed_semester}/reopenings", json=reopen), 403)
    assert_problem(
        rec_a.registrar.post(f"/api/v1/records/semesters/{closed_semester}/reopenings", json={**reopen, "record_type": "lunch"}), 422
    )
    created = rec_a.registrar.post(f"/api/v1/records/semesters/{closed_semester}/reopenings", json=reopen)
    assert created.status_code == 201, created.text
    discipline = rec_a.clients[Role.DISCIPLINE]
    body = {"year": year, "term": 2, "absence_type": "病假", "periods": 2}
    assert discipline.post("/api/v1/records/attendance", json={**body, "student_id": "S001"}).status_code == 201
    assert_problem(discipline.post("/api/v1/records/attendance", json={**body, "student_id": "S002"}), 409, "window_closed")
    assert_problem(discipline.post("/api/v1/records/grades", json={}), 403)
    listed = rec_a.registrar.get(f"/api/v1/records/semesters/{closed_semester}/reopenings").json()
    assert listed[0]["reason"] == "補登病假" and listed[0]["by"] == rec_a.ids[Role.REGISTRAR]
    audit = rec_a.registrar.get("/api/v1/records/audit", params={"target": f"{closed_semester}/attendance/S001"}).json()
    assert audit[0]["action"] == "window.reopen"


def test_a_window_not_yet_open_says_when_it_opens(rec_a):
    sid = f"{rec_a.year}-{rec_a.term}"
    future = {"performances": {"opens_at": "2098-01-01T08:00:00+08:00", "closes_at": "2099-01-01T00:00:00+08:00"}}
    assert rec_a.registrar.patch(f"/api/v1/records/semesters/{sid}", json={"windows": future}).status_code == 200
    try:
        body = {"year": rec_a.year, "term": rec_a.term, "category": "8", "fields": {"名稱": "作品", "日期": "2024-10-01"}, "summary": "x"}
        problem = assert_problem(rec_a.students["S002"].post("/api/v1/records/performances", json=body), 409, "window_closed")
        assert "尚未開放" in problem["detail"] and "2098-01-01 08:00" in problem["detail"]
        semester = rec_a.students["S002"].get(f"/api/v1/records/semesters/{sid}").json()
        assert semester["windows"]["performances"]["open_now"] is False and semester["windows"]["grades"]["open_now"] is True
    finally:
        assert rec_a.registrar.patch(f"/api/v1/records/semesters/{sid}", json={"windows": {}}).status_code == 200


# --- imports ------------------------------------------------------------------------------------

HEADER = "學號,身分證號,姓名,出生日期,性別,班級,座號,學籍狀態"


def _students_csv(rows: range, name: str = "匯入生") -> str:
    lines = [HEADER]
    for n in rows:
        lines.append(f"I{n:04d},{national_id(3000 + n)},{name}{n},098{(n % 9) + 1:02d}01,{1 + n % 2},102,{n % 50 + 1},在學")
    return "\n".join(lines) + "\n"


def test_import_validates_everything_first_and_reimport_changes_nothing(rec_a):
    registrar = rec_a.registrar
    first = registrar.post(
        "/api/v1/records/students/import", files=csv_file(_students_csv(range(1, 21))), data={"import_id": "students-import-1"}
    )
    assert first.status_code == 200, first.text
    assert {k: first.json()[k] for k in ("status", "validated", "inserted", "updated", "unchanged")} == {
        "status": "done",
        "validated": 20,
        "inserted": 20,
        "updated": 0,
        "unchanged": 0,
    }
    progress = registrar.get("/api/v1/records/imports/students-import-1").json()
    assert progress["status"] == "done" and progress["processed"] == 20
    again = registrar.post("/api/v1/records/students/import", files=csv_file(_students_csv(range(1, 21))))
    assert again.status_code == 200 and again.json()["already_imported"] is True  # the same bytes: a no-op that says so
    assert again.json()["import_id"] == "students-import-1"
    reordered = "\n".join([_students_csv(range(1, 21)).splitlines()[0], *reversed(_students_csv(range(1, 21)).splitlines()[1:])]) + "\n"
    same_rows = registrar.post("/api/v1/records/students/import", files=csv_file(reordered)).json()
    assert (same_rows["inserted"], same_rows["updated"], same_rows["unchanged"]) == (0, 0, 20)
    changed = _students_csv(range(1, 21)).replace("匯入生7,", "改名生7,")
    report = registrar.post("/api/v1/records/students/import", files=csv_file(changed)).json()
    assert (report["inserted"], report["updated"], report["unchanged"]) == (0, 1, 19)


def test_import_with_bad_rows_imports_nothing_and_reports_each_row(rec_a):
    registrar = rec_a.registrar
    before = registrar.get("/api/v1/records/students", params={"per_page": 1}).json()["total"]
    text = _students_csv(range(100, 104))
    lines = text.splitlines()
    lines[1] = lines[1].replace(national_id(3100), national_id(3100)[:-1] + ("0" if national_id(3100)[-1] != "0" else "1"))
    lines[2] = lines[2].replace(",098", ",2098")  # a Gregorian-looking year for an ROC date
    lines.append(lines[3])  # a duplicate natural key
    response = registrar.post("/api/v1/records/students/import", files=csv_file("\n".join(lines) + "\n"))
    assert response.status_code == 422
    report = response.json()
    assert report["status"] == "rejected" and report["inserted"] == 0
    by_row = {(e["row"], e["field"]) for e in report["errors"]}
    assert (
        (2, "身分證號") in by_row
        and (3, "出生日期") in by_row
        and any(e["code"] == "duplicate" and e["row"] == 6 for e in report["errors"])
    )
    assert all(e["message"] for e in report["errors"])
    assert registrar.get("/api/v1/records/students", params={"per_page": 1}).json()["total"] == before


@pytest.mark.parametrize(
    "files,code",
    [
        (csv_file("學號,身份證,姓名\nS1,A123456789,王\n"), "validation_failed"),  # wrong headers
        ({"file": ("data.csv", "學號,姓名\n".encode("utf-16"))}, "validation_failed"),  # neither UTF-8 nor Big5
        ({"file": ("data.xlsx", b"PK\x03\x04 not really a zip")}, "validation_failed"),
        ({"file": ("data.txt", b"x")}, "validation_failed"),
    ],
)
def test_unreadable_files_and_wrong_headers_are_refused(rec_a, files, code):
    problem = assert_problem(rec_a.registrar.post("/api/v1/records/students/import", files=files), 422, code)
    assert problem["title"] and problem["detail"]


def test_big5_and_utf8_bom_files_read_the_same(rec_a):
    text = _students_csv(range(200, 203), name="繁體")
    for encoding in ("cp950", "utf-8-sig"):
        report = rec_a.registrar.post("/api/v1/records/students/import", files=csv_file(text, encoding))
        assert report.status_code == 200, report.text
    items = rec_a.registrar.get("/api/v1/records/students", params={"class_code": "102", "per_page": 500}).json()["items"]
    assert {i["name"] for i in items if i["student_id"].startswith("I02")} == {"繁體200", "繁體201", "繁體202"}


def test_formulas_in_xlsx_cells_are_refused(rec_a):
    files = xlsx_file([["學年度", "學期", "學號", "假別", "節數"], [rec_a.year, rec_a.term, "S001", "曠課", "=1+1"]])
    problem = assert_problem(rec_a.clients[Role.DISCIPLINE].post("/api/v1/records/attendance/import", files=files), 422)
    assert problem["errors"][0]["code"] == "formula" and problem["errors"][0]["field"] == "E2"


def test_import_then_export_defuses_formula_text(rec_a):
    activities = rec_a.clients[Role.ACTIVITIES]
    files = csv_file(f"學年度,學期,學號,社團名稱,社團職務\n{rec_a.year},{rec_a.term},S002,=HYPERLINK社,社員\n")
    assert activities.post("/api/v1/records/clubs/import", files=files).status_code == 200
    export = activities.get("/api/v1/records/clubs/export.xlsx", params={"student_id": "S002"})
    assert export.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(export.content)).active]
    assert rows[0][:5] == ["學年度", "學期", "學號", "社團名稱", "社團職務"]
    assert rows[1][3] == "'=HYPERLINK社"


# --- competitions: publish with proof, winners claim ----------------------------------------------


def test_competition_published_with_proof_is_claimed_by_its_winner_only(rec_a):
    organiser = rec_a.clients[Role.CONTEST_ORGANIZER]
    body = {
        "year": rec_a.year,
        "term": rec_a.term,
        "name": "校內科展",
        "item": "物理組",
        "published_on": "2024-11-01",
        "summary": "校內科學展覽",
        "results": [{"student_id": "S002", "award": "第一名", "team": "2"}],
    }
    created = organiser.post("/api/v1/records/competitions", json=body).json()["record"]
    assert_problem(organiser.post(f"/api/v1/records/competitions/{created['id']}/publish"), 422)
    assert_problem(rec_a.students["S002"].post(f"/api/v1/records/competitions/{created['id']}/claim", json={}), 404)
    put = organiser.put(f"/api/v1/records/competitions/{created['id']}", json={**body, "proof_evidence_id": "ev-123"})
    assert put.status_code == 200, put.text
    published = organiser.post(f"/api/v1/records/competitions/{created['id']}/publish").json()
    assert published["status"] == "published"
    assert_problem(organiser.put(f"/api/v1/records/competitions/{created['id']}", json=body), 409, "already_published")
    assert_problem(rec_a.students["S001"].post(f"/api/v1/records/competitions/{created['id']}/claim", json={}), 404)
    assert created["id"] not in {c["id"] for c in rec_a.students["S001"].get("/api/v1/records/competitions").json()["items"]}
    winner = rec_a.students["S002"]
    assert created["id"] in {c["id"] for c in winner.get("/api/v1/records/competitions").json()["items"]}
    claimed = winner.post(f"/api/v1/records/competitions/{created['id']}/claim", json={})
    assert claimed.status_code == 201, claimed.text
    record = claimed.json()["record"]
    assert record["category"] == "2" and record["fields"]["獎項"] == "第一名" and record["fields"]["競賽等級"] == "1"
    assert record["evidence_ids"] == ["ev-123"] and record["source_key"] == f"competition:{created['id']}"
    assert_problem(winner.post(f"/api/v1/records/competitions/{created['id']}/claim", json={}), 409, "already_claimed")


# --- 多元表現, counselling, statements -------------------------------------------------------------


def test_student_performances_are_their_own_and_visible_to_their_homeroom(rec_a):
    body = {
        "year": rec_a.year,
        "term": rec_a.term,
        "category": "3",
        "fields": {"證照代碼": "E001", "檢定證照類別": "1", "取得證照日期": "1131001", "分數": "180"},
        "summary": "全民英檢中級",
    }
    student = rec_a.students["S001"]
    saved = student.post("/api/v1/records/performances", json=body)
    assert saved.status_code == 201, saved.text
    record_id = saved.json()["record"]["id"]
    assert_problem(student.post("/api/v1/records/performances", json={**body, "student_id": "S002"}), 404)
    assert_problem(rec_a.students["S002"].get(f"/api/v1/records/performances/{record_id}"), 404)
    assert_problem(rec_a.students["S002"].put(f"/api/v1/records/performances/{record_id}", json=body), 404)
    assert rec_a.clients[Role.HOMEROOM].get(f"/api/v1/records/performances/{record_id}").status_code == 200
    assert_problem(rec_a.clients[Role.TEACHER].get(f"/api/v1/records/performances/{record_id}"), 403)
    assert_problem(student.post("/api/v1/records/performances", json={**body, "summary": "長" * 101}), 422)
    assert_problem(student.post("/api/v1/records/performances", json={**body, "category": "12"}), 422)


def test_counsellor_writes_only_for_assigned_students(rec_a):
    counselor = rec_a.clients[Role.COUNSELOR]
    in_term = f"{rec_a.year + 1911}-10-02" if rec_a.term == 1 else f"{rec_a.year + 1912}-03-02"
    body = {"year": rec_a.year, "term": rec_a.term, "date": in_term, "time": "12:30", "place": "圖書館", "content": "談選修"}
    assert_problem(counselor.post("/api/v1/records/counselling", json={**body, "student_id": "S003"}), 404, "student_not_found")
    assign = {"counselor_id": rec_a.ids[Role.COUNSELOR], "student_id": "S003"}
    assert rec_a.clients[Role.GUIDANCE].post("/api/v1/records/counsellor_assignments", json=assign).status_code in (200, 201)
    saved = counselor.post("/api/v1/records/counselling", json={**body, "student_id": "S003"})
    assert saved.status_code == 201 and saved.json()["record"]["counselor_id"] == rec_a.ids[Role.COUNSELOR]
    assert_problem(counselor.post("/api/v1/records/counselling", json={**body, "student_id": "S003", "time": "25:00"}), 422)


def test_statements_are_versioned_and_checked_by_guidance_and_homeroom(rec_a):
    student = rec_a.students["S001"]
    v1 = student.put("/api/v1/records/statements/study_plan", json={"fields": {"生涯規劃": "資工", "自我期許": "努力"}}).json()
    assert v1["version"] == 1
    assert (
        student.put("/api/v1/records/statements/study_plan", json={"fields": {"生涯規劃": "資工", "自我期許": "努力"}}).json()["version"]
        == 1
    )
    v2 = student.put("/api/v1/records/statements/study_plan", json={"fields": {"生涯規劃": "電機", "自我期許": "努力"}}).json()
    assert v2["version"] == 2 and v2["checked"] is False
    assert_problem(student.put("/api/v1/records/statements/study_plan", json={"fields": {"星座": "獅子"}}), 422)
    assert_problem(student.put("/api/v1/records/statements/diary", json={"fields": {"自傳": "x"}}), 404)
    homeroom = rec_a.clients[Role.HOMEROOM]
    checked = homeroom.post("/api/v1/records/statements/study_plan/check", json={"student_id": "S001", "version": 2, "comment": "很好"})
    assert checked.status_code == 200 and checked.json()["checks"][0]["role"] == "homeroom"
    assert_problem(homeroom.post("/api/v1/records/statements/study_plan/check", json={"student_id": "S003", "version": 1}), 404)
    assert (
        rec_a.clients[Role.GUIDANCE]
        .post("/api/v1/records/statements/study_plan/check", json={"student_id": "S001", "version": 1})
        .status_code
        == 200
    )
    latest = homeroom.get("/api/v1/records/statements", params={"student_id": "S001"}).json()
    assert [(s["kind"], s["version"], s["checked"]) for s in latest] == [("study_plan", 2, True)]
    versions = rec_a.clients[Role.GUIDANCE].get("/api/v1/records/statements", params={"student_id": "S001", "versions": "all"}).json()
    assert [s["version"] for s in versions] == [2, 1]
    assert rec_a.students["S002"].get("/api/v1/records/statements", params={"student_id": "S001"}).status_code == 404


def test_every_change_is_audited_with_before_and_after(rec_a):
    activities = rec_a.clients[Role.ACTIVITIES]
    body = {
        "year": rec_a.year,
        "term": rec_a.term,
        "student_id": "S002",
        "level": "3",
        "unit": "熱音社",
        "position": "社長",
        "start_date": "2024-09-01",
    }
    record = activities.post("/api/v1/records/cadres", json=body).json()["record"]
    activities.put(f"/api/v1/records/cadres/{record['id']}", json={**body, "position": "副社長"})
    assert activities.delete(f"/api/v1/records/cadres/{record['id']}").status_code == 204
    trail = rec_a.registrar.get("/api/v1/records/audit", params={"target": record["id"]}).json()
    assert [e["action"] for e in trail] == ["cadres.delete", "cadres.update", "cadres.create"]
    assert trail[1]["before"]["position"] == "社長" and trail[1]["after"]["position"] == "副社長"
    assert trail[0]["actor"] == rec_a.ids[Role.ACTIVITIES]
    assert_problem(activities.get("/api/v1/records/audit"), 403)
