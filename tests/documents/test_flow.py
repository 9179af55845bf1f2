"""Printed documents on a seeded school, read back with poppler-utils: names, titles, 民國 dates and
counts in the text, A4, fonts embedded; a page of each as PNG under var/screenshots; who gets a 404."""

from __future__ import annotations

import time

import pytest
import requests

from services.documents.dates import roc_long
from shared.clock import utcnow
from shared.roles import Role
from tests.documents import pdfs
from tests.documents.seed import seeded_school
from tests.records.conftest import rec_b  # noqa: F401  (school B: its own class 101)
from tests.support.api import assert_problem


@pytest.fixture(scope="module")
def school(system, district):
    return seeded_school(system, district, "D00017", "丁高中", "d")


def _pdf(response) -> bytes:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"] == "application/pdf"
    return response.content


def test_the_students_confirmation_lists_what_is_ticked_with_a_version(school):
    student = school.students["S001"]
    started = time.perf_counter()
    data = _pdf(student.get("/api/v1/documents/confirmation.pdf"))
    elapsed = time.perf_counter() - started
    text = pdfs.check_printable(data)
    for expected in (
        "丁高中",
        "學習歷程檔案勾選確認單",
        f"{school.year} 學年度第 {school.term} 學期",
        "學生1",
        "S001",
        "國語文",
        "國語文期末報告",
    ):
        assert expected in text, expected
    assert "期末報告.pdf" in text and school.sha256[:8] in text
    assert "勾選上傳 1 件" in text and "第 1 版" in text
    assert roc_long(utcnow()) in text  # 中華民國 115 年 12 月 1 日
    assert "學生簽名" in text and "家長（監護人）簽名" in text
    pdfs.page_png(data, "doc-confirmation-student")
    print(f"\nstudent confirmation: {elapsed:.2f} s, {len(data)} bytes")  # the figure for the report, never asserted

    status = student.get("/api/v1/documents/confirmation/status").json()
    assert status["printed"] and status["version"] == 1 and not status["stale"]
    assert student.delete(f"/api/v1/outcomes/{school.outcome_id}/selection").status_code == 200
    assert student.get("/api/v1/documents/confirmation/status").json()["stale"] is True
    again = pdfs.text(_pdf(student.get("/api/v1/documents/confirmation.pdf")))
    assert "第 2 版" in again and "勾選上傳 0 件" in again
    assert student.post(f"/api/v1/outcomes/{school.outcome_id}/selection").status_code == 200
    status = student.get("/api/v1/documents/confirmation/status").json()
    assert status["version"] == 2 and status["stale"] is True  # the paper in hand (v2) no longer matches
    assert "第 3 版" in pdfs.text(_pdf(student.get("/api/v1/documents/confirmation.pdf")))


def _wait_for(client, job_id: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/documents/jobs/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_the_homeroom_teacher_gets_the_whole_class_as_a_job(school):
    homeroom = school.clients[Role.HOMEROOM]
    clock = time.perf_counter()
    started = homeroom.post("/api/v1/documents/classes/101/confirmations")
    assert started.status_code == 202, started.text
    job = _wait_for(homeroom, started.json()["id"])
    print(f"\nclass job (2 students): {time.perf_counter() - clock:.2f} s, {job['bytes']} bytes")  # the figure for the report
    assert job["state"] == "done" and job["done"] == job["total"] == 2, job
    link = homeroom.get(f"/api/v1/documents/jobs/{job['id']}/file", allow_redirects=False)
    assert link.status_code == 303
    data = requests.get(link.headers["Location"], timeout=30).content
    text = pdfs.check_printable(data)
    assert "學生1" in text and "學生2" in text and "學生3" not in text
    assert pdfs.info(data)["Pages"] == "2"  # one sheet per student
    pdfs.page_png(data, "doc-confirmation-class")
    # the job and its file are the requester's: another account of the school, or another school, gets 404
    assert_problem(school.students["S001"].get(f"/api/v1/documents/jobs/{job['id']}"), 404)
    assert_problem(school.registrar.get(f"/api/v1/documents/jobs/{job['id']}/file"), 404)


def test_the_registrar_gets_the_whole_school_as_a_job(school):
    started = school.registrar.post("/api/v1/documents/school/confirmations")
    assert started.status_code == 202, started.text
    job = _wait_for(school.registrar, started.json()["id"])
    assert job["state"] == "done" and job["done"] == job["total"] == 3 and "2 班" in job["title"], job
    link = school.registrar.get(f"/api/v1/documents/jobs/{job['id']}/file", allow_redirects=False)
    data = requests.get(link.headers["Location"], timeout=30).content
    text = pdfs.check_printable(data)
    assert all(name in text for name in ("學生1", "學生2", "學生3")) and pdfs.info(data)["Pages"] == "3"
    assert_problem(school.clients[Role.HOMEROOM].post("/api/v1/documents/school/confirmations"), 403)


def test_class_progress_lists_each_student(school):
    homeroom = school.clients[Role.HOMEROOM]
    data = _pdf(homeroom.get("/api/v1/documents/classes/101/progress.pdf"))
    pdfs.page_png(data, "doc-class-progress")
    text = pdfs.check_printable(data)
    assert "班級學習歷程進度" in text and "101" in text and "學生1" in text and "學生2" in text
    assert "全班 2 人" in text and "已認證 1 件" in text and "已勾選 1 件" in text
    assert pdfs.info(data)["Pages"] == "1"
    assert "學生3" in pdfs.text(_pdf(school.registrar.get("/api/v1/documents/classes/102/progress.pdf")))


def test_another_class_student_or_school_gets_404(school, rec_b):  # noqa: F811
    homeroom = school.clients[Role.HOMEROOM]
    assert_problem(homeroom.get("/api/v1/documents/classes/102/progress.pdf"), 404)
    assert_problem(homeroom.post("/api/v1/documents/classes/102/confirmations"), 404)
    assert_problem(school.clients[Role.TEACHER].get("/api/v1/documents/classes/101/progress.pdf"), 404)
    assert_problem(school.students["S002"].get("/api/v1/documents/classes/101/progress.pdf"), 404)
    other_school = rec_b.clients[Role.HOMEROOM]
    job = homeroom.post("/api/v1/documents/classes/101/confirmations").json()
    assert_problem(other_school.get(f"/api/v1/documents/jobs/{job['id']}"), 404)
    # school B's 導師 asks for a class code school A also has: B's own class or nothing, never A's students
    text = pdfs.text(_pdf(other_school.get("/api/v1/documents/classes/101/progress.pdf")))
    assert "乙高中" in text and "丁高中" not in text
    # the student's own confirmation never names another student
    text = pdfs.text(_pdf(school.students["S002"].get("/api/v1/documents/confirmation.pdf")))
    assert "學生2" in text and "學生1" not in text and "國語文期末報告" not in text
