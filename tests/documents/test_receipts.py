"""收訖明細 on paper: after a real upload to the simulator and the receipts fetched, the student and the
registrar print it; codes by name, 民國 dates, the file's title instead of its digest."""

from __future__ import annotations

import pytest

from services.documents.dates import roc_long
from shared.clock import utcnow
from tests.documents import pdfs
from tests.documents.seed import seeded_school
from tests.support.api import assert_problem
from tests.support.system import wait_until

CODE = "R00017"


@pytest.fixture(scope="module")
def school(system, district, national_sim, upload_worker):
    rec = seeded_school(system, district, CODE, "己高中", "r")
    registrar = rec.registrar
    credentials = {"token": national_sim.token(CODE), "receipt_password": national_sim.receipt_password(CODE)}
    assert registrar.put("/api/v1/national/credentials", json=credentials).status_code == 200
    started = registrar.post("/api/v1/national/uploads", json={"year": rec.year, "term": rec.term})
    assert started.status_code == 201, started.text
    upload_id = started.json()["upload_id"]
    wait_until(lambda: registrar.get(f"/api/v1/national/uploads/{upload_id}").json()["done"], 120, "the upload to finish")
    for _ in range(3):  # a fetch the national side did not answer is reported in `failed`; the registrar fetches again
        fetched = registrar.post(f"/api/v1/national/uploads/{upload_id}/receipts/fetch")
        assert fetched.status_code == 200, fetched.text
        if not fetched.json()["failed"]:
            break
    body = fetched.json()
    assert not body["failed"] and body["receipts"], body
    assert len(body["receipts"]) >= 2 and all(r["verified"] for r in body["receipts"]), body["receipts"]  # 學生資料名冊 and 課程學習成果
    return rec


def test_student_and_registrar_print_the_receipts_readably(school):
    response = school.students["S001"].get("/api/v1/documents/receipts.pdf")
    assert response.status_code == 200, response.text[:300]
    data = response.content
    pdfs.page_png(data, "doc-receipts-student")
    text = pdfs.check_printable(data)
    for expected in ("己高中", "收訖明細", "學生1", "S001", "待確認", "男（1）", "在學", roc_long(utcnow())):
        assert expected in text, expected
    flat = pdfs.flat(data)
    assert "國語文期末報告" in flat and "期末報告.pdf" in flat
    assert school.sha256 not in text  # the file by its title, not its digest
    registrar = school.registrar.get("/api/v1/documents/students/S001/receipts.pdf")
    assert registrar.status_code == 200 and "國語文期末報告" in pdfs.flat(registrar.content)


def test_receipts_are_the_students_own(school):
    text = pdfs.flat(school.students["S002"].get("/api/v1/documents/receipts.pdf").content)
    assert "學生2" in text and "國語文期末報告" not in text
    assert_problem(school.registrar.get("/api/v1/documents/students/S999/receipts.pdf"), 404)
    assert_problem(school.students["S002"].get("/api/v1/documents/students/S001/receipts.pdf"), 403)


def test_a_parent_reads_its_childs_receipts_readably_and_no_one_elses(system, school):
    from tests.identity.parents import invite, parent_client

    [one, two] = invite(school.registrar, ["S001", "S002"])
    parent = parent_client(system.base_url, one["code"], "r-parent-one", "學生1家長")
    entries = parent.get("/api/v1/parent/children/S001/receipts").json()
    assert entries and all(e["state_zh"] == "待確認" and e["roster_name"] for e in entries)
    cells = [c for e in entries for t in e["tables"] for row in t["rows"] for c in row]
    assert "期末報告.pdf" in cells and "男（1）" in cells and school.sha256 not in str(entries)
    assert all("身分證號" not in t["columns"] for e in entries for t in e["tables"])  # the child's identity is not repeated
    other = parent_client(system.base_url, two["code"], "r-parent-two", "學生2家長")
    assert_problem(other.get("/api/v1/parent/children/S001/receipts"), 404, "child_not_found")
