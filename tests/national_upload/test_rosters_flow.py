"""From records to the national side: the registrar checks the term's rosters, downloads them, starts
the upload, and a real worker delivers evidence first and rosters after, to the simulator."""

from __future__ import annotations

import io

import pytest
import pyzipper

from services.national_upload.preparation import roster_item
from services.national_upload.store import UploadStore
from shared.clock import utcnow
from shared.mongo import make_client
from shared.national.receipt import open_receipt
from shared.national.roster_io import read_roster
from shared.roles import Role
from tests.evidence import files
from tests.evidence.test_flow import direct_upload
from tests.records.conftest import COURSE_A, fresh_school
from tests.support.api import assert_problem
from tests.support.system import wait_until

CODE = "U00006"


@pytest.fixture(scope="module")
def sim(national_sim):
    return national_sim


@pytest.fixture(scope="module")
def school(system, district):
    return fresh_school(system, district, CODE, "丙高中", "u")


def _course_id(school) -> str:
    items = school.clients[Role.CURRICULUM].get("/api/v1/records/courses", params={"per_page": 200}).json()["items"]
    return next(c["id"] for c in items if c["code"] == COURSE_A)


def _seed_term(school) -> str:
    """Grades, absences, a cadre, and one certified, selected outcome with a PDF for S001."""
    year, term = school.year, school.term
    registrar = school.registrar
    for sid in ("S001", "S002"):
        grade = {
            "year": year,
            "term": term,
            "student_id": sid,
            "course_code": COURSE_A,
            "course_class": "101",
            "score": 88,
            "credits_counted": 4,
        }
        assert registrar.post("/api/v1/records/grades", json=grade).status_code in (200, 201)
    absence = {"year": year, "term": term, "student_id": "S001", "absence_type": "病假", "periods": 3}
    assert school.clients[Role.DISCIPLINE].post("/api/v1/records/attendance", json=absence).status_code in (200, 201)
    cadre = {
        "year": year,
        "term": term,
        "student_id": "S002",
        "level": "2",
        "unit": "101 班",
        "position": "班長",
        "start_date": "2026-09-01",
    }
    assert school.clients[Role.ACTIVITIES].post("/api/v1/records/cadres", json=cadre).status_code in (200, 201)
    student, teacher = school.students["S001"], school.clients[Role.TEACHER]
    data = files.pdf(4000)
    form = direct_upload(student, data, sha256=files.sha256(data))
    evidence_id = student.post(f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={}).json()["id"]
    outcome = student.post("/api/v1/outcomes", json={"course_id": _course_id(school), "summary": "閱讀報告", "evidence_ids": [evidence_id]})
    assert outcome.status_code == 201, outcome.text
    outcome_id = outcome.json()["id"]
    assert student.post(f"/api/v1/outcomes/{outcome_id}/submit").status_code == 200
    assert teacher.post(f"/api/v1/outcomes/{outcome_id}/certify").status_code == 200
    assert student.post(f"/api/v1/outcomes/{outcome_id}/selection").status_code == 200
    return files.sha256(data)


def test_rosters_are_checked_downloaded_and_delivered_evidence_first(school, sim, upload_worker):
    registrar = school.registrar
    pdf_sha = _seed_term(school)
    term = {"year": school.year, "term": school.term}
    assert_problem(registrar.post("/api/v1/national/uploads", json=term), 409, "national_credentials_missing")
    assert_problem(registrar.post("/api/v1/national/rosters", json={"year": 150, "term": 1}), 422, "national_rules_missing")
    assert_problem(registrar.post("/api/v1/national/rosters", json={"year": school.year, "term": 3}), 422)

    first = registrar.post("/api/v1/national/rosters", json=term)
    assert first.status_code == 201, first.text
    report = first.json()["report"]  # a cadre still in office has no end date: the national side needs one
    assert not report["ok"] and report["held_back_rows"] == 1
    [entry] = report["students"]
    [problem] = entry["problems"]
    assert entry["student_id"] == "S002" and entry["national_id"].count("*") == 4
    assert (problem["unit"], problem["sheet"], problem["column"], problem["message"]) == (
        "訓育組",
        "幹部經歷紀錄",
        "結束日期",
        "「結束日期」為必填",
    )
    activities = school.clients[Role.ACTIVITIES]
    [cadre] = activities.get("/api/v1/records/cadres").json()["items"]
    fixed = {k: cadre[k] for k in ("year", "term", "student_id", "level", "unit", "position", "start_date")} | {"end_date": "2027-01-20"}
    assert activities.put(f"/api/v1/records/cadres/{cadre['id']}", json=fixed).status_code == 200

    draft = registrar.post("/api/v1/national/rosters", json=term).json()
    assert draft["state"] == "draft" and draft["total"] == 0
    report = draft["report"]
    assert report["ok"], report["students"]
    by_code = {r["code"]: r for r in report["rosters"]}
    assert by_code[1]["rows"] == 3 and by_code[2]["rows"] == 2 and by_code[3]["rows"] == 1 and by_code[24]["rows"] == 1
    assert by_code[26]["rows"] == 1 and by_code[26]["semester"] == 0 and report["evidence_files"] == 1

    listed = {f["code"]: f for f in registrar.get(f"/api/v1/national/uploads/{draft['upload_id']}/rosters").json()}
    download = registrar.get(f"/api/v1/national/uploads/{draft['upload_id']}/rosters/26/download")
    assert download.status_code == 200 and listed[26]["filename"] in download.headers["Content-Disposition"]
    roster = read_roster(download.content)
    rows = roster.sheets["學期課程學習成果"]
    assert roster.roster_code == 26 and len(rows) == 1 and rows[0]["成果檔案"] == pdf_sha and rows[0]["課程代碼"] == COURSE_A
    assert_problem(registrar.get(f"/api/v1/national/uploads/{draft['upload_id']}/rosters/7/download"), 404)
    other = school.clients[Role.TEACHER]
    assert_problem(other.post("/api/v1/national/rosters", json=term), 403)

    assert registrar.put("/api/v1/national/credentials", json={"token": sim.token(CODE)}).status_code == 200
    started = registrar.post("/api/v1/national/uploads", json={**term, "draft_id": draft["upload_id"]})
    assert started.status_code == 201, started.text
    upload_id = started.json()["upload_id"]
    assert_problem(registrar.post("/api/v1/national/uploads", json={**term, "draft_id": upload_id}), 409, "draft_not_usable")

    def finished() -> dict | None:
        progress = registrar.get(f"/api/v1/national/uploads/{upload_id}").json()
        return progress if progress["done"] else None

    progress = wait_until(finished, 90, "the upload to finish")
    assert progress["counts"]["accepted"] == progress["total"] == 7, progress  # 1 file + rosters 1, 2, 3, 4, 24, 26
    held = sim.state(CODE)
    assert {r["roster_code"] for r in held["rosters"]} == {1, 2, 3, 4, 24, 26}
    outcome_roster = next(r for r in held["rosters"] if r["roster_code"] == 26)
    assert outcome_roster["accepted_students"] == 1 and outcome_roster["errors"] in ("[]", [])  # the file was there first

    again = registrar.post("/api/v1/national/uploads", json=term).json()  # the same file is not sent twice
    progress = wait_until(lambda: (p := registrar.get(f"/api/v1/national/uploads/{again['upload_id']}").json())["done"] and p, 90, "again")
    assert progress["total"] == 6 and progress["counts"]["accepted"] == 6
    assert sum(1 for i in sim.state(CODE)["items"] if i["kind"] == "evidence") == 1


def _tampered(data: bytes, password: str) -> bytes:
    """The same receipt with one hex digit of one listed hash changed."""
    receipt = open_receipt(data, password)
    name, sha = next((n, h) for n, h in receipt.hashes.items() if n.endswith(".xlsx"))
    hashes = {**receipt.hashes, name: ("0" if sha[0] != "0" else "1") + sha[1:]}
    out = io.BytesIO()
    with pyzipper.AESZipFile(out, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as archive:
        archive.setpassword(password.encode())
        for file_name, content in receipt.files.items():
            archive.writestr(file_name, content)
        archive.writestr("SHA.txt", "".join(f"{n},{h}\n" for n, h in hashes.items()).encode())
    return out.getvalue()


def test_receipts_are_checked_students_answer_and_only_reported_students_go_again(school, sim, upload_worker):
    registrar, student = school.registrar, school.students["S001"]
    uploads = registrar.get("/api/v1/national/uploads").json()
    upload_id = next(u["upload_id"] for u in reversed(uploads) if u["done"] and u["total"] == 7)
    assert_problem(registrar.post(f"/api/v1/national/uploads/{upload_id}/receipts/fetch"), 409, "national_credentials_missing")
    password = sim.receipt_password(CODE)
    assert registrar.put("/api/v1/national/credentials", json={"token": sim.token(CODE), "receipt_password": password}).status_code == 200

    fetched = registrar.post(f"/api/v1/national/uploads/{upload_id}/receipts/fetch").json()
    assert fetched["fetched"] == 6 and not fetched["failed"]
    assert all(r["verified"] and not r["problems"] for r in fetched["receipts"]), fetched["receipts"]

    mine = student.get("/api/v1/me/receipts").json()
    assert {e["roster"] for e in mine} == {1, 2, 3, 26} and all(e["state"] == "pending" for e in mine)
    outcome_entry = next(e for e in mine if e["roster"] == 26)
    assert outcome_entry["records"][0]["學期課程學習成果"][0]["成果簡述"] == "閱讀報告"
    grades_entry = next(e for e in mine if e["roster"] == 2)
    assert student.post(f"/api/v1/me/receipts/{outcome_entry['id']}", json={"answer": "confirm"}).json()["state"] == "confirmed"
    assert_problem(student.post(f"/api/v1/me/receipts/{grades_entry['id']}", json={"answer": "report"}), 422)
    reported = student.post(f"/api/v1/me/receipts/{grades_entry['id']}", json={"answer": "report", "message": "成績應為 90 分"})
    assert reported.json()["state"] == "reported"
    assert_problem(school.students["S002"].post(f"/api/v1/me/receipts/{grades_entry['id']}", json={"answer": "confirm"}), 404)
    assert_problem(registrar.get("/api/v1/me/receipts"), 403)

    answers = registrar.get(f"/api/v1/national/uploads/{upload_id}/receipts").json()
    assert answers["answers"]["reported"] == 1 and answers["answers"]["confirmed"] == 1
    assert answers["reports"][0]["student_id"] == "S001" and answers["reports"][0]["message"] == "成績應為 90 分"

    # one changed hex digit in the receipt's SHA.txt is found and shown
    roster_id = next(r["id"] for r in sim.state(CODE)["rosters"] if r["roster_code"] == 2)
    original = sim.get(CODE, f"/api/v1/rosters/{roster_id}/receipt").content
    imported = registrar.post(f"/api/v1/national/uploads/{upload_id}/receipts", data=_tampered(original, password))
    assert imported.status_code == 201 and not imported.json()["verified"]
    assert any("不同" in p for p in imported.json()["problems"]), imported.json()
    assert_problem(registrar.post(f"/api/v1/national/uploads/{upload_id}/receipts", data=b"not a zip"), 422, "receipt_unreadable")

    # the registrar fixes the grade and resubmits the reporting student only
    grade = next(g for g in registrar.get("/api/v1/records/grades").json()["items"] if g["student_id"] == "S001")
    fixed = {k: grade[k] for k in ("year", "term", "student_id", "course_code", "course_class", "credits_counted")} | {"score": 90}
    assert registrar.put(f"/api/v1/records/grades/{grade['id']}", json=fixed).status_code == 200
    again = registrar.post("/api/v1/national/uploads", json={"year": school.year, "term": school.term, "student_ids": ["S001"]}).json()
    progress = wait_until(
        lambda: (p := registrar.get(f"/api/v1/national/uploads/{again['upload_id']}").json())["done"] and p, 90, "resubmit"
    )
    files = {f["code"]: f for f in registrar.get(f"/api/v1/national/uploads/{again['upload_id']}/rosters").json()}
    assert set(files) == {1, 2, 3, 26} and all(f["rows"] == 1 for f in files.values())
    assert progress["counts"]["accepted"] == 4 and progress["total"] == 4  # the file was accepted before: not sent again


def test_an_upload_whose_publishing_was_interrupted_is_resumed(system, school, sim, upload_worker):
    """Items recorded but never put on the queue (the service died while publishing) go out on resume."""
    registrar = school.registrar
    draft = registrar.post("/api/v1/national/rosters", json={"year": school.year, "term": school.term}).json()
    settings = system.settings()
    client = make_client(settings)
    store = UploadStore(client[settings.database_name("national_upload")])
    upload = store.get_upload(CODE, draft["upload_id"])
    file = store.files_of(CODE, upload["_id"])[0]
    item = roster_item(CODE, upload["year"], upload["term"], upload["_id"], file) | {
        "state": "queued",
        "attempts": 0,
        "uploader": "註冊組長",
    }
    store.insert_items(CODE, [item])
    store.update_upload(CODE, upload["_id"], {"state": "publishing", "cursor": "", "published": 0, "started_at": utcnow()})
    client.close()
    assert not registrar.get(f"/api/v1/national/uploads/{upload['_id']}").json()["done"]
    assert registrar.post(f"/api/v1/national/uploads/{upload['_id']}/resume").status_code == 200
    wait_until(lambda: registrar.get(f"/api/v1/national/uploads/{upload['_id']}").json()["done"], 60, "the resumed upload")
    assert_problem(registrar.post(f"/api/v1/national/uploads/{upload['_id']}/resume"), 409, "upload_not_publishing")


def test_a_student_who_left_during_the_term_is_still_in_its_rosters(system, district):
    """Graduates' last upload: archived students stay in the rosters of terms they attended."""
    school = fresh_school(system, district, "U00008", "戊高中", "v")
    registrar, term = school.registrar, {"year": school.year, "term": school.term}
    left = registrar.post(
        "/api/v1/archive/students", json={"student_ids": ["S003"], "status": "轉出", "left_on": utcnow().date().isoformat()}
    )
    assert left.status_code == 200, left.text
    draft = registrar.post("/api/v1/national/rosters", json=term).json()
    assert next(r for r in draft["report"]["rosters"] if r["code"] == 1)["rows"] == 3
    earlier = {"student_ids": ["S002"], "status": "轉出", "left_on": "2020-01-31"}  # left before this term began
    assert registrar.post("/api/v1/archive/students", json=earlier).status_code == 200
    draft = registrar.post("/api/v1/national/rosters", json=term).json()
    assert next(r for r in draft["report"]["rosters"] if r["code"] == 1)["rows"] == 2


def test_the_roster_check_is_a_job_the_registrar_follows_to_its_draft(system, district):
    school = fresh_school(system, district, "U00009", "己高中", "x")
    registrar, term = school.registrar, {"year": school.year, "term": school.term}
    assert_problem(registrar.post("/api/v1/national/rosters", json={"year": 150, "term": 1}, headers={"Prefer": ""}), 422)

    started = registrar.post("/api/v1/national/rosters", json=term, headers={"Prefer": ""})
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] == "checking" and job["phase_zh"] and started.headers["Location"].endswith(f"/{job['upload_id']}/report")
    seen: list[dict] = []

    def checked() -> bool:
        seen.append(registrar.get(started.headers["Location"]).json())
        return seen[-1]["state"] != "checking"

    wait_until(checked, 60, "the roster check", interval=0.1)
    draft = seen[-1]
    assert draft["state"] == "draft" and draft["report"]["rosters"] and draft["error"] is None
    assert all(s["phase_zh"] for s in seen if s["state"] == "checking")  # each step said in words
    # a check is not an upload: the school's deadline console row still reads 尚未上傳
    [row] = registrar.get("/api/v1/national/deadline").json()["schools"]
    assert row["state"] == "not_started" and row["state_zh"] == "尚未上傳"
    # the draft is the school's own
    other = fresh_school(system, district, "U00010", "庚高中", "y")
    assert_problem(other.registrar.get(started.headers["Location"]), 404)
