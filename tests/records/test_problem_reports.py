"""問題回報: a user reports a problem with a page, the school's registrar reads and answers it, the reporter
reads the answer; other schools and other roles see nothing; bad input is a 4xx naming the field."""

from __future__ import annotations

from services.records.problem_reports import MAX_OPEN_PER_REPORTER
from shared.roles import Role
from tests.records.conftest import rec_a, rec_b  # noqa: F401
from tests.support.api import assert_problem

REPORT = {
    "page": "/student/outcomes",
    "page_title": "我的課程學習成果",
    "message": "上傳檔案後一直顯示處理中",
    "client": "Chromium；視窗 360×800",
}


def test_a_report_reaches_the_registrar_and_the_answer_reaches_the_reporter(rec_a):  # noqa: F811
    student = rec_a.students["S002"]
    created = student.post("/api/v1/problem-reports", json=REPORT)
    assert created.status_code == 201, created.text
    report = created.json()
    assert report["state_zh"] == "待處理" and report["reporter_roles"] == ["學生"] and report["page_title"] == "我的課程學習成果"

    open_ = rec_a.registrar.get("/api/v1/problem-reports", params={"state": "open", "per_page": 200}).json()
    assert report["id"] in {r["id"] for r in open_["items"]} and open_["total"] >= 1
    answered = rec_a.registrar.post(
        f"/api/v1/problem-reports/{report['id']}/answer", json={"answer": "請重新整理頁面；若仍未完成請告知檔名"}
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["state_zh"] == "已回覆"

    mine = {r["id"]: r for r in student.get("/api/v1/problem-reports/mine").json()}
    assert mine[report["id"]]["answer"].startswith("請重新整理") and mine[report["id"]]["state_zh"] == "已回覆"
    assert report["id"] not in {r["id"] for r in rec_a.students["S003"].get("/api/v1/problem-reports/mine").json()}
    still_open = rec_a.registrar.get("/api/v1/problem-reports", params={"state": "open", "per_page": 200}).json()["items"]
    assert report["id"] not in {r["id"] for r in still_open}


def test_another_school_and_other_roles_neither_read_nor_answer_it(rec_a, rec_b):  # noqa: F811
    report = rec_a.clients[Role.TEACHER].post("/api/v1/problem-reports", json={**REPORT, "page": "/teacher/certification"}).json()
    assert_problem(
        rec_b.registrar.post(f"/api/v1/problem-reports/{report['id']}/answer", json={"answer": "x"}), 404, "problem_report_not_found"
    )
    assert report["id"] not in {r["id"] for r in rec_b.registrar.get("/api/v1/problem-reports", params={"per_page": 200}).json()["items"]}
    assert_problem(rec_a.students["S001"].get("/api/v1/problem-reports"), 403)
    assert_problem(rec_a.clients[Role.HOMEROOM].post(f"/api/v1/problem-reports/{report['id']}/answer", json={"answer": "x"}), 403)
    assert_problem(
        rec_a.registrar.post("/api/v1/problem-reports/no-such-report/answer", json={"answer": "x"}), 404, "problem_report_not_found"
    )


def test_bad_reports_are_refused_naming_the_field(rec_a):  # noqa: F811
    student = rec_a.students["S001"]
    for body, field in (
        ({**REPORT, "message": ""}, "message"),
        ({**REPORT, "message": "x" * 1001}, "message"),
        ({**REPORT, "message": "壞\u0007字元"}, "message"),
        ({**REPORT, "page": "https://elsewhere.example/"}, "page"),
        ({**REPORT, "reporter_id": "someone-else"}, "reporter_id"),
    ):
        problem = assert_problem(student.post("/api/v1/problem-reports", json=body), 422)
        assert field in {e["field"] for e in problem["errors"]}, problem
    assert_problem(rec_a.registrar.post("/api/v1/problem-reports/x/answer", json={"answer": ""}), 422)


def test_one_person_has_at_most_ten_unanswered_reports(rec_a):  # noqa: F811
    counsellor = rec_a.clients[Role.COUNSELOR]
    for n in range(MAX_OPEN_PER_REPORTER):
        assert counsellor.post("/api/v1/problem-reports", json={**REPORT, "message": f"第 {n} 次"}).status_code == 201
    problem = assert_problem(counsellor.post("/api/v1/problem-reports", json=REPORT), 409, "too_many_open_reports")
    assert "10 件待處理" in problem["detail"]
    assert len(counsellor.get("/api/v1/problem-reports/mine").json()) == MAX_OPEN_PER_REPORTER
