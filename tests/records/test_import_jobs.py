"""Record imports as jobs, through the gateway against the running system.

202 with the job's URL; the job reports progress; a bad row rejects the whole file with its row named;
the same file again is a no-op that says so; another school's job is not found; a records service
killed mid-job resumes after its restart and ends with every row, never half of them."""

from __future__ import annotations

import signal
import sys
import time

from shared.national_id import with_check_digit
from tests.records.conftest import RecordsSchool
from tests.support.api import Client, assert_problem
from tests.support.system import wait_until

HEADER = "學號,身分證號,姓名,出生日期,性別,班級,座號,學籍狀態"
NOW = {"Prefer": ""}  # no waiting: the import answers 202 at once


def _students(prefix: str, first: int, n: int, base: int) -> bytes:
    lines = [HEADER]
    for i in range(first, first + n):
        lines.append(f"{prefix}{i:04d},{with_check_digit(f'D2{base + i:07d}')},工作生{i},0980315,2,102,{i % 50 + 1},在學")
    return ("\n".join(lines) + "\n").encode()


def _post(client: Client, data: bytes, **kwargs):
    return client.post("/api/v1/records/students/import", files={"file": ("s.csv", data, "text/csv")}, headers=NOW, **kwargs)


def _follow(client: Client, url: str, seconds: float = 120) -> tuple[dict, list[dict]]:
    seen: list[dict] = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        response = client.get(url)
        if response.status_code == 200:
            seen.append(response.json())
            if seen[-1]["status"] in ("done", "rejected", "failed"):
                return seen[-1], seen
        time.sleep(0.1)
    raise AssertionError(f"the job did not end: {seen[-1:]}")


def _count(rec: RecordsSchool, prefix: str) -> int:
    items = rec.registrar.get("/api/v1/records/students", params={"class_code": "102", "per_page": 10000}).json()["items"]
    return sum(1 for i in items if i["student_id"].startswith(prefix))


def test_an_import_answers_202_and_its_job_reports_progress(rec_a):
    response = _post(rec_a.registrar, _students("J", 1, 300, 10_000))
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["Location"] == job["url"] == f"/api/v1/records/imports/{job['import_id']}"
    assert job["status"] == "queued" and job["rows"] == 300 and job["processed"] == 0
    final, seen = _follow(rec_a.registrar, job["url"])
    assert (final["status"], final["phase"], final["inserted"], final["processed"]) == ("done", "finished", 300, 300)
    assert final["validated"] == 300
    assert all(s["processed"] <= s["rows"] for s in seen)
    assert _count(rec_a, "J") == 300


def test_a_bad_row_rejects_the_whole_file_and_names_its_row(rec_a):
    lines = _students("K", 1, 250, 20_000).decode().splitlines()
    lines[200] = lines[200].replace(",0980315,", ",0981345,")  # row 201: no such date
    response = _post(rec_a.registrar, ("\n".join(lines) + "\n").encode())
    assert response.status_code == 202
    final, _ = _follow(rec_a.registrar, response.json()["url"])
    assert final["status"] == "rejected" and final["inserted"] == 0 and final["processed"] == 0
    assert [(e["row"], e["field"]) for e in final["errors"]] == [(201, "出生日期")]
    assert final["errors"][0]["message"] and final["errors"][0]["message_en"] and final["error_count"] == 1
    assert _count(rec_a, "K") == 0


def test_the_same_file_again_is_a_no_op_that_says_so(rec_a):
    data = _students("L", 1, 40, 30_000)
    first, _ = _follow(rec_a.registrar, _post(rec_a.registrar, data).json()["url"])
    assert first["status"] == "done"
    again = _post(rec_a.registrar, data)
    assert again.status_code == 200 and again.json()["already_imported"] is True
    assert again.json()["import_id"] == first["import_id"]
    trail = rec_a.registrar.get("/api/v1/records/audit", params={"limit": 500}).json()
    assert sum(1 for e in trail if e["action"] == "students.import" and e["target"] == first["import_id"]) == 1


def test_another_schools_job_is_not_found(rec_a, rec_b):
    job = _post(rec_a.registrar, _students("M", 1, 5, 40_000)).json()
    assert_problem(rec_b.registrar.get(job["url"]), 404)
    _follow(rec_a.registrar, job["url"])


def test_a_records_service_killed_mid_job_resumes_and_ends_with_every_row(system, rec_a):
    # A records service writing 25 rows per chunk, so the job is surely cut between chunks. (Q: no other
    # test of school A names a student with it, so the count is this job's alone.)
    args = [sys.executable, "-m", "services.run", "records"]
    system.stop_process("records")
    system._spawn("records", args, {"LICHENG_IMPORT_CHUNK_ROWS": "25"})
    try:
        wait_until(lambda: rec_a.registrar.get("/api/v1/records/semesters").status_code == 200, 180, "records back")
        job = _post(rec_a.registrar, _students("Q", 1, 400, 50_000)).json()

        def writing() -> bool:
            state = rec_a.registrar.get(job["url"]).json()
            return state["status"] == "done" or state["processed"] >= 25

        wait_until(writing, 180, "the job writing", interval=0.05)
        system.stop_process("records", signal.SIGKILL)
    finally:
        system.start_service("records")
    final, _ = _follow(rec_a.registrar, job["url"], seconds=180)
    assert final["status"] == "done" and final["processed"] == 400
    assert final["inserted"] + final["updated"] + final["unchanged"] == 400
    assert _count(rec_a, "Q") == 400
