"""The student's portfolio PDF for 自行上傳PDF: chosen certified outcomes in the student's order, one
bookmark each, PDFs embedded, a large image scaled, the texts within their limits; over the caps the
student is told which items to drop and gets no file."""

from __future__ import annotations

import io
import os
import time

import pytest
import requests
from PIL import Image
from pypdf import PdfReader

from services.documents.portfolio_rules import DEFAULT
from shared.roles import Role
from tests.documents import pdfs
from tests.documents.seed import _stored
from tests.records.conftest import COURSE_A, fresh_school
from tests.support.api import assert_problem


def noise_pdf(side: int, quality: int = 100) -> bytes:
    """A real one-page PDF of random pixels: it cannot be compressed, so its size is what it is."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PDF", resolution=150, quality=quality)
    return out.getvalue()


def noise_png(side: int) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def school(system, district):
    rec = fresh_school(system, district, "P00017", "辛高中", "p")
    courses = rec.clients[Role.CURRICULUM].get("/api/v1/records/courses", params={"per_page": 200}).json()["items"]
    rec.course = next(c["id"] for c in courses if c["code"] == COURSE_A)  # type: ignore[attr-defined]
    return rec


def _certified(school, summary: str, *files: tuple[bytes, str, str], student_id: str = "S001") -> str:
    """A certified 國語文 outcome of the student with the given (data, filename, content type) files."""
    student, teacher = school.students[student_id], school.clients[Role.TEACHER]
    ids = [_stored(student, data, filename, content_type=content_type)["id"] for data, filename, content_type in files]
    outcome = student.post("/api/v1/outcomes", json={"course_id": school.course, "summary": summary, "evidence_ids": ids})
    assert outcome.status_code == 201, outcome.text
    outcome_id = outcome.json()["id"]
    assert student.post(f"/api/v1/outcomes/{outcome_id}/submit").status_code == 200
    assert teacher.post(f"/api/v1/outcomes/{outcome_id}/certify").status_code == 200
    return outcome_id


def test_the_portfolio_has_a_bookmark_per_item_embedded_pdfs_and_scaled_images(school):
    student = school.students["S001"]
    rules = student.get("/api/v1/documents/portfolio/rules").json()
    assert rules["item_max_bytes"]["value"] == 5 * 1024 * 1024 and rules["item_max_bytes"]["uncertain"] is True
    long = {"statement": "我", "synthesis": "心" * (DEFAULT.synthesis_max_chars.value + 1), "synthesis_image_ids": []}
    assert_problem(student.put("/api/v1/documents/portfolio/texts", json=long), 422, "bad_portfolio")
    texts = {"statement": "高一時我開始對文學產生興趣。", "synthesis": "參加社團讓我學會合作。", "synthesis_image_ids": []}
    assert student.put("/api/v1/documents/portfolio/texts", json=texts).status_code == 200

    report = _certified(school, "閱讀心得報告", (noise_pdf(500, quality=80), "閱讀心得.pdf", "application/pdf"))
    poster = _certified(school, "海報設計", (noise_png(1100), "海報.png", "image/png"))
    started = time.perf_counter()
    built = student.post(
        "/api/v1/documents/portfolio", json={"items": [{"kind": "outcome", "id": poster}, {"kind": "outcome", "id": report}]}
    )
    print(f"\nportfolio (2 items, a 3.6 MB PNG scaled): {time.perf_counter() - started:.2f} s")  # the figure for the report
    assert built.status_code == 201, built.text
    result = built.json()
    assert result["compressed"] and "海報.png" in result["compressed"][0]  # the 3.6 MB PNG went in scaled
    link = student.get(f"/api/v1/documents/jobs/{result['id']}/file", allow_redirects=False)
    data = requests.get(link.headers["Location"], timeout=30).content
    assert len(data) <= DEFAULT.program_max_bytes.value
    reader = PdfReader(io.BytesIO(data))
    titles = [o.title for o in reader.outline]
    assert titles == ["封面與自述", "1. 課程學習成果：國語文（海報設計）", "2. 課程學習成果：國語文（閱讀心得報告）"], titles
    assert len(reader.pages) >= 4  # cover, statement/synthesis, the poster's page, the report's title page and its page
    flat = pdfs.flat(data)
    for expected in (
        "學習歷程檔案",
        "辛高中",
        "學習歷程自述",
        "高一時我開始對文學產生興趣",
        "多元表現綜整心得",
        "海報設計",
        "閱讀心得報告",
    ):
        assert expected in flat, expected
    assert all(f["emb"] == "yes" for f in pdfs.fonts(data))
    pdfs.page_png(data, "doc-portfolio-cover", page=1)
    pdfs.page_png(data, "doc-portfolio-image", page=4)


def test_over_the_caps_the_student_is_told_what_to_drop_and_gets_no_file(school):
    student = school.students["S002"]
    pdf = "application/pdf"
    two_files = _certified(school, "雙檔作品", (noise_pdf(1200), "上冊.pdf", pdf), (noise_pdf(1200), "下冊.pdf", pdf), student_id="S002")
    body = assert_problem(
        student.post("/api/v1/documents/portfolio", json={"items": [{"kind": "outcome", "id": two_files}]}), 422, "portfolio_over_cap"
    )
    assert "第 1 項" in body["detail"] and "每項上傳檔案 5 MB" in body["detail"], body["detail"]
    assert body["errors"][0]["field"] == "items.0"

    big = [_certified(school, f"大型作品{n}", (noise_pdf(1340 + 10 * n), f"大型作品{n}.pdf", pdf), student_id="S002") for n in range(3)]
    items = [{"kind": "outcome", "id": i} for i in big]
    body = assert_problem(student.post("/api/v1/documents/portfolio", json={"items": items}), 422, "portfolio_over_cap")
    assert "每一校系合計 10 MB" in body["detail"] and "建議移除" in body["detail"] and "第 3 項" in body["detail"], body["detail"]
    too_many = items + [{"kind": "outcome", "id": two_files}]
    assert_problem(student.post("/api/v1/documents/portfolio", json={"items": too_many}), 422, "bad_portfolio")  # at most 3 outcomes
    fits = student.post("/api/v1/documents/portfolio", json={"items": items[:2]})  # the advice taken
    assert fits.status_code == 201, fits.text
    assert fits.json()["bytes"] <= DEFAULT.program_max_bytes.value


def test_another_students_outcome_is_not_found(school):
    mine = school.students["S001"].get("/api/v1/outcomes/mine").json()["items"][0]["id"]
    body = assert_problem(
        school.students["S002"].post("/api/v1/documents/portfolio", json={"items": [{"kind": "outcome", "id": mine}]}), 422
    )
    assert body["errors"][0]["code"] == "unknown_item"
