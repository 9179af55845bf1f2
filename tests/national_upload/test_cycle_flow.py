"""The whole national cycle on the real system: a school with a 進修部 class, a transfer student with
former-school grades, a student retaking a course, one repeating a year, one on 借讀 and a 高三 class
(a day and a 進修部 senior). The term's upload and both 高三 梯次 carry exactly the predicted rows, the
simulator accepts them, the receipts verify and the students confirm them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.clock import roc_date, to_taipei, utcnow
from shared.national.roster_io import read_roster
from shared.roles import Role
from tests.evidence import files
from tests.evidence.test_flow import direct_upload
from tests.records.conftest import COURSE_A, COURSE_B, _account, fresh_school, national_id
from tests.support.system import wait_until

CODE = "U00021"


@pytest.fixture(scope="module")
def school(system, district):
    return fresh_school(system, district, CODE, "己高中", "cy")


def _seed(school) -> dict[int, dict[str, int]]:
    """Records of every kind; returns the rows each roster's sheets must carry."""
    year, term = school.year, school.term
    sem = {"year": year, "term": term}
    registrar, curriculum = school.registrar, school.clients[Role.CURRICULUM]

    def ok(response) -> None:
        assert response.status_code in (200, 201), response.text

    # the 進修部: its own class, course and a student whose basic data says 部別 5
    ok(registrar.post("/api/v1/records/classes", json={"year": year, "code": "211", "name": "進修部二年甲班"}))
    evening_student = {
        "student_id": "N001",
        "national_id": national_id(6021),
        "name": "進修生",
        "birth_date": "2008-05-06",
        "gender": "2",
        "class_code": "211",
        "seat_no": 1,
        "division": "5",
    }
    ok(registrar.post("/api/v1/records/students", json=evening_student))
    course = {**sem, "code": COURSE_A, "name": "國語文", "credits": 3, "class_code": "211", "teacher_ids": [school.ids[Role.TEACHER]]}
    ok(curriculum.post("/api/v1/records/courses", json=course))
    school.students["N001"], _ = _account(
        registrar, registrar.base_url, school.code, "cy-stu-n001", ["student"], student_id="N001", class_code="211"
    )
    for sid, klass, extra in (
        ("S001", "101", {}),
        ("S002", "101", {}),
        ("N001", "211", {"score": 52, "makeup_score": 68}),
    ):
        grade = {**sem, "student_id": sid, "course_code": COURSE_A, "course_class": klass, "score": 81, "credits_counted": 3} | extra
        ok(registrar.post("/api/v1/records/grades", json=grade))
    # S001 retakes last year's course; S002 transferred in with former-school grades and makes one up;
    # S003 repeats a year and studies at another school for a while
    ok(
        registrar.post(
            "/api/v1/records/retake_grades",
            json={
                **sem,
                "student_id": "S001",
                "original_year": year - 1,
                "original_term": 1,
                "original_course_code": COURSE_B,
                "original_course_name": "探究與實作",
                "original_grade_level": 1,
                "original_credits": 2,
                "method": "1",
                "score": 66,
            },
        )
    )
    for sid in ("S002", "N001"):
        ok(
            registrar.post(
                "/api/v1/records/transfer_grades",
                json={
                    **sem,
                    "student_id": sid,
                    "former_school_code": "013301",
                    "former_course_code": COURSE_B,
                    "former_course_name": "國文",
                    "mapped_year": year - 1,
                    "mapped_term": 2,
                    "course_code": COURSE_A,
                    "course_name": "國語文",
                    "grade_level": 1,
                    "credits": 4,
                    "periods": 72 if sid == "N001" else None,
                    "identity": "1",
                    "score": 77,
                },
            )
        )
    ok(
        registrar.post(
            "/api/v1/records/makeup_grades",
            json={
                **sem,
                "student_id": "S002",
                "due_year": year - 1,
                "due_term": 2,
                "course_code": COURSE_B,
                "course_name": "探究與實作",
                "grade_level": 1,
                "credits": 2,
                "score": 70,
                "method": "2",
            },
        )
    )
    ok(
        registrar.post(
            "/api/v1/records/repeat_grades",
            json={
                **sem,
                "student_id": "S003",
                "course_code": COURSE_B,
                "course_name": "探究與實作",
                "grade_level": 1,
                "credits": 2,
                "score": 58,
                "makeup_score": 64,
            },
        )
    )
    today = to_taipei(utcnow()).date()
    guest = {
        **sem,
        "student_id": "S003",
        "host_school_code": "013302",
        "start_date": (today - timedelta(days=7)).isoformat(),
        "end_date": (today + timedelta(days=30)).isoformat(),
    }
    ok(registrar.post("/api/v1/records/guest_study", json=guest))
    # 課程學習成果 of the retake course (S001) and of the repeated year's course (S003), certified like any other
    for sid in ("S001", "S003"):
        selection = {**sem, "student_id": sid, "course_code": COURSE_B, "course_class": "102"}
        ok(curriculum.post("/api/v1/records/selections", json=selection))
        _certified_outcome(school, sid, COURSE_B, "102", f"{sid} 的探究報告")
    _certified_outcome(school, "N001", COURSE_A, "211", "進修部的閱讀報告")  # a 進修部 outcome: roster 28
    _ticked_performance(school, "S002", "全國科展佳作")  # a 多元表現 ticked for the year: roster 25
    return {
        1: {"學生資料": 4, "學生借讀資料": 1},
        2: {"學期成績": 2, "補修成績": 1, "轉學轉科成績": 1},
        6: {"重修成績": 1, "重讀成績": 1},
        7: {"學期成績": 1, "補考成績": 1, "轉學轉科成績": 1},
        25: {"競賽參與紀錄": 1},
        26: {"重修課程學習成果": 1, "重讀課程學習成果": 1},
        28: {"學期課程學習成果": 1},
    }


def _ticked_performance(school, sid: str, summary: str) -> str:
    """A 多元表現 the student records and ticks for upload (a 競賽參與紀錄 without files)."""
    body = {
        "year": school.year,
        "term": school.term,
        "category": "2",
        "summary": summary,
        "fields": {"競賽名稱": "全國科展", "競賽等級": "3", "獎項": "佳作", "結果公布日期": "2026-11-02", "團體參與": "1"},
    }
    saved = school.students[sid].post("/api/v1/records/performances", json=body)
    assert saved.status_code == 201, saved.text
    performance_id = saved.json()["record"]["id"]
    ticked = school.students[sid].post(f"/api/v1/performances/{performance_id}/selection")
    assert ticked.status_code == 200, ticked.text
    return performance_id


def _certified_outcome(school, sid: str, course_code: str, course_class: str, summary: str) -> str:
    student, teacher = school.students[sid], school.clients[Role.TEACHER]
    courses = student.get("/api/v1/records/courses", params={"per_page": 200}).json()["items"]
    course_id = next(c["id"] for c in courses if (c["code"], c["class_code"]) == (course_code, course_class))
    data = files.pdf(3000 + len(sid))
    form = direct_upload(student, data, sha256=files.sha256(data))
    evidence_id = student.post(f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={}).json()["id"]
    outcome = student.post("/api/v1/outcomes", json={"course_id": course_id, "summary": summary, "evidence_ids": [evidence_id]})
    assert outcome.status_code == 201, outcome.text
    outcome_id = outcome.json()["id"]
    assert student.post(f"/api/v1/outcomes/{outcome_id}/submit").status_code == 200
    assert teacher.post(f"/api/v1/outcomes/{outcome_id}/certify").status_code == 200
    assert student.post(f"/api/v1/outcomes/{outcome_id}/selection").status_code == 200
    return outcome_id


def test_the_whole_cycle_is_built_uploaded_accepted_and_received(school, national_sim, upload_worker):
    sim, registrar = national_sim, school.registrar
    expected = _seed(school)
    term = {"year": school.year, "term": school.term}
    draft = registrar.post("/api/v1/national/rosters", json=term)
    assert draft.status_code == 201, draft.text
    report = draft.json()["report"]
    assert report["ok"], report["students"] or report["file_problems"]
    by_code = {r["code"]: r for r in report["rosters"]}
    assert set(by_code) == {1, 2, 4, 6, 7, 25, 26, 28} and report["evidence_files"] == 3
    upload_id = draft.json()["upload_id"]
    for code, sheets in expected.items():
        assert by_code[code]["rows"] == sum(sheets.values()), (code, by_code[code])
        data = registrar.get(f"/api/v1/national/uploads/{upload_id}/rosters/{code}/download").content
        roster = read_roster(data)
        assert {name: len(rows) for name, rows in roster.sheets.items() if rows} == sheets, code
    students = read_roster(registrar.get(f"/api/v1/national/uploads/{upload_id}/rosters/1/download").content)
    divisions = {row["身分證號"]: row["部別代碼"] for row in students.sheets["學生資料"]}
    assert divisions[national_id(6021)] == "5" and list(divisions.values()).count("1") == 3
    [guest] = students.sheets["學生借讀資料"]
    assert (
        guest["所屬學校代碼"] == CODE
        and guest["借讀學校代碼"] == "013302"
        and guest["申請開始日期"] == roc_date(to_taipei(utcnow()).date() - timedelta(days=7))
    )

    assert registrar.put("/api/v1/national/credentials", json={"token": sim.token(CODE)}).status_code == 200
    started = registrar.post("/api/v1/national/uploads", json={**term, "draft_id": upload_id})
    assert started.status_code == 201, started.text
    sent = started.json()["upload_id"]
    progress = wait_until(lambda: (p := registrar.get(f"/api/v1/national/uploads/{sent}").json())["done"] and p, 120, "the upload")
    assert progress["counts"]["accepted"] == progress["total"] == 11, progress  # 3 files + 8 rosters
    held = {r["roster_code"]: r for r in sim.state(CODE)["rosters"]}
    assert set(held) == {1, 2, 4, 6, 7, 25, 26, 28}
    for code in (1, 2, 6, 7, 25, 26, 28):
        assert held[code]["errors"] in ("[]", []), held[code]
    assert held[7]["accepted_students"] == 1 and held[6]["accepted_students"] == 2

    password = sim.receipt_password(CODE)
    credentials = {"token": sim.token(CODE), "receipt_password": password}
    assert registrar.put("/api/v1/national/credentials", json=credentials).status_code == 200
    fetched = registrar.post(f"/api/v1/national/uploads/{sent}/receipts/fetch").json()
    assert fetched["fetched"] == 8 and not fetched["failed"], fetched
    assert all(r["verified"] and not r["problems"] for r in fetched["receipts"]), fetched["receipts"]
    mine = school.students["S001"].get("/api/v1/me/receipts").json()
    assert {e["roster"] for e in mine} >= {1, 2, 6, 26}
    outcome = next(e for e in mine if e["roster"] == 26)
    assert outcome["records"][0]["重修課程學習成果"][0]["成果簡述"] == "S001 的探究報告"
    retake = next(e for e in mine if e["roster"] == 6)
    assert retake["records"][0]["重修成績"][0]["重修成績"] == "66"
    assert school.students["S001"].post(f"/api/v1/me/receipts/{retake['id']}", json={"answer": "confirm"}).json()["state"] == "confirmed"
    evening = {e["roster"]: e for e in school.students["N001"].get("/api/v1/me/receipts").json()}
    assert {1, 7, 28} <= set(evening), evening
    assert evening[28]["records"][0]["進修部學期課程學習成果"][0]["成果簡述"] == "進修部的閱讀報告"
    performance = next(e for e in school.students["S002"].get("/api/v1/me/receipts").json() if e["roster"] == 25)
    answered = school.students["S002"].post(f"/api/v1/me/receipts/{performance['id']}", json={"answer": "confirm"})
    assert answered.json()["state"] == "confirmed", answered.text


def test_a_senior_batch_goes_up_for_grade_3_only_and_locks_their_selection(system, school, national_sim, upload_worker):
    sim, registrar = national_sim, school.registrar
    year, term = school.year, school.term
    sem = {"year": year, "term": term}
    sid = f"{year}-{term}"
    today = to_taipei(utcnow()).date()
    deadlines = {"1": (today + timedelta(days=120)).isoformat(), "36": (today + timedelta(days=40)).isoformat()}
    patched = registrar.patch(f"/api/v1/records/semesters/{sid}", json={"national_deadlines": deadlines})
    assert patched.status_code == 200, patched.text
    batch = patched.json()["batch_deadlines"]["1"]
    assert batch["label"] == "高三第一梯次" and batch["internal"] == (today + timedelta(days=26)).isoformat()
    assert patched.json()["internal_deadline"] == (today + timedelta(days=106)).isoformat()  # the term's own

    # a 高三 class with one student, a course taught by the school's teacher and a certified outcome
    assert registrar.post("/api/v1/records/classes", json={"year": year, "code": "301", "name": "三年一班"}).status_code in (200, 201)
    senior = {
        "student_id": "T001",
        "national_id": national_id(6031),
        "name": "高三生",
        "birth_date": "2007-04-05",
        "gender": "1",
        "class_code": "301",
        "seat_no": 1,
    }
    assert registrar.post("/api/v1/records/students", json=senior).status_code in (200, 201)
    school.students["T001"], _ = _account(
        registrar, system.base_url, school.code, "cy-stu-t001", ["student"], student_id="T001", class_code="301"
    )
    course = {**sem, "code": COURSE_A, "name": "國語文", "credits": 4, "class_code": "301", "teacher_ids": [school.ids[Role.TEACHER]]}
    assert school.clients[Role.CURRICULUM].post("/api/v1/records/courses", json=course).status_code in (200, 201)
    outcome_id = _certified_outcome(school, "T001", COURSE_A, "301", "高三閱讀報告")
    # T001 is a class cadre this term (-> 34/74); N301, a 進修部 senior, has a certified outcome (-> 38/78)
    semester = registrar.get(f"/api/v1/records/semesters/{sid}").json()
    cadre = {**sem, "student_id": "T001", "level": "2", "unit": "三年一班", "position": "班長"}
    cadre |= {"start_date": semester["starts_on"], "end_date": semester["ends_on"]}
    assert school.clients[Role.ACTIVITIES].post("/api/v1/records/cadres", json=cadre).status_code in (200, 201)
    assert registrar.post("/api/v1/records/classes", json={"year": year, "code": "311", "name": "進修部三年甲班"}).status_code in (200, 201)
    evening = {**senior, "student_id": "N301", "national_id": national_id(6032), "name": "進修部高三生"}
    evening |= {"class_code": "311", "division": "5"}
    assert registrar.post("/api/v1/records/students", json=evening).status_code in (200, 201)
    school.students["N301"], _ = _account(
        registrar, system.base_url, school.code, "cy-stu-n301", ["student"], student_id="N301", class_code="311"
    )
    course_311 = {**course, "class_code": "311"}
    assert school.clients[Role.CURRICULUM].post("/api/v1/records/courses", json=course_311).status_code in (200, 201)
    _certified_outcome(school, "N301", COURSE_A, "311", "進修部高三報告")
    _ticked_performance(school, "T001", "高三科展佳作")

    # both 梯次 carry exactly these rows: grade-3 students only (S001/S003's outcomes are not grade 3)
    predicted = {1: {34: 1, 35: 1, 36: 1, 38: 1}, 2: {74: 1, 75: 1, 76: 1, 78: 1}}
    for batch, rows in predicted.items():
        draft = registrar.post("/api/v1/national/rosters", json={**sem, "batch": batch})
        assert draft.status_code == 201, draft.text
        report = draft.json()["report"]
        assert report["ok"], report
        assert {r["code"]: r["rows"] for r in report["rosters"]} == rows
        summary = draft.json()["batch_summary"]
        assert summary["students"] == 2 and [(r["code"], r["rows"]) for r in summary["rosters"]] == sorted(rows.items())
        day, evening_code = min(rows) + 2, min(rows) + 4
        data = registrar.get(f"/api/v1/national/uploads/{draft.json()['upload_id']}/rosters/{day}/download").content
        roster = read_roster(data)
        assert roster.roster_code == day and [r["成果簡述"] for r in roster.sheets["學期課程學習成果"]] == ["高三閱讀報告"]
        data = registrar.get(f"/api/v1/national/uploads/{draft.json()['upload_id']}/rosters/{evening_code}/download").content
        assert [r["成果簡述"] for r in read_roster(data).sheets["學期課程學習成果"]] == ["進修部高三報告"]

        started = registrar.post("/api/v1/national/uploads", json={**sem, "batch": batch, "draft_id": draft.json()["upload_id"]})
        assert started.status_code == 201, started.text
        assert started.json()["batch_summary"]["locked"] and started.json()["batch_summary"]["locked_students"] == 2
        sent = started.json()["upload_id"]
        url = f"/api/v1/national/uploads/{sent}"
        progress = wait_until(lambda url=url: (p := registrar.get(url).json())["done"] and p, 120, "the 梯次")
        # two PDFs and four rosters; the second 梯次 refers to the PDFs the first one already sent
        assert progress["counts"]["accepted"] == progress["total"] == (6 if batch == 1 else 4), progress
        held = {r["roster_code"]: r for r in sim.state(CODE)["rosters"] if r["roster_code"] in rows}
        assert set(held) == set(rows) and all(h["accepted_students"] == 1 and h["errors"] in ("[]", []) for h in held.values()), held
        fetched = registrar.post(f"/api/v1/national/uploads/{sent}/receipts/fetch").json()
        assert fetched["fetched"] == 4 and all(r["verified"] and not r["problems"] for r in fetched["receipts"]), fetched

    # the students confirm the 梯次 receipts like the term's
    for student_id, codes in (("T001", {34, 35, 36, 74, 75, 76}), ("N301", {38, 78})):
        entries = [e for e in school.students[student_id].get("/api/v1/me/receipts").json() if e["roster"] in codes]
        assert {e["roster"] for e in entries} == codes, entries
        for entry in entries:
            answered = school.students[student_id].post(f"/api/v1/me/receipts/{entry['id']}", json={"answer": "confirm"})
            assert answered.status_code == 200 and answered.json()["state"] == "confirmed", answered.text
    answers = registrar.get(f"/api/v1/national/uploads/{sent}/receipts").json()["answers"]
    assert answers == {"pending": 0, "confirmed": 4, "reported": 0}, answers

    # T001's 勾選 went up with the 梯次: it is locked; other grades keep theirs open
    problem = school.students["T001"].delete(f"/api/v1/outcomes/{outcome_id}/selection")
    assert problem.status_code == 409 and "第一梯次" in problem.json()["detail"], problem.text


def test_the_deadline_console_names_the_batch_and_its_deadlines(school):
    [row] = school.registrar.get("/api/v1/national/deadline").json()["schools"]
    assert row["batch_zh"] == "高三第二梯次" and row["batch"] == 2  # the latest set it sent
    today = to_taipei(utcnow()).date()
    internal, national = today + timedelta(days=26), today + timedelta(days=40)
    roc = lambda d: f"{d.year - 1911}/{d.month:02d}/{d.day:02d}"  # noqa: E731
    assert row["batch_deadlines"] == f"高三第一梯次 校內 {roc(internal)}／國教署 {roc(national)}"
    assert row["batch_deadline_list"] == [{"label": "高三第一梯次", "internal": internal.isoformat(), "national": national.isoformat()}]
    home = school.registrar.get("/home")
    assert home.status_code == 200
