"""The whole journey in one browser: a student uploads a PDF and submits an
outcome, the teacher certifies it, the student selects it, the registrar runs the national upload and
watches it finish, the student confirms the receipt. Screenshots of each step in var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.evidence import files
from tests.records.conftest import PASSWORD, fresh_school
from tests.web.conftest import log_in

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CODE = "J00010"


@pytest.fixture(scope="module")
def school(system, district):
    return fresh_school(system, district, CODE, "庚高中", "j")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"journey-{name}.png"), full_page=True)


def _as(page, username: str, password: str = PASSWORD) -> None:
    page.context.clear_cookies()
    log_in(page, CODE, username, password)


def test_from_the_students_pdf_to_the_confirmed_national_receipt(page, school, national_sim, upload_worker, tmp_path):
    token = {"token": national_sim.token(CODE), "receipt_password": national_sim.receipt_password(CODE)}
    assert school.registrar.put("/api/v1/national/credentials", json=token).status_code == 200
    work = tmp_path / "期末報告.pdf"
    work.write_bytes(files.pdf(30_000))

    _as(page, "j-stu-s001")  # 1. the student uploads a PDF and submits the outcome
    page.goto("/student/outcomes")
    form = page.locator("#new-outcome")
    form.get_by_label("課程").select_option(label="國語文 · 101 · j-teacher")  # the course with its class and teacher
    form.get_by_label("成果簡述").fill("國語文期末報告")
    form.get_by_label("檔案").set_input_files(str(work))
    form.get_by_role("button", name="上傳並建立").click()
    expect(form.locator(".status")).to_contain_text("已建立成果")
    page.get_by_role("button", name="送出認證").click()
    expect(page.locator("#outcome-list")).to_contain_text("待認證")
    _shot(page, "1-student-submitted")

    _as(page, "j-teacher")  # 2. the teacher previews and certifies it
    page.goto("/teacher/certification")
    card = page.locator("[data-outcome]", has_text="國語文期末報告")
    card.get_by_role("button", name="預覽").click()
    expect(card.locator("iframe.preview")).to_be_visible()
    card.get_by_role("button", name="認證", exact=True).click()
    expect(page.locator("#queue-summary")).to_contain_text("已認證")
    _shot(page, "2-teacher-certified")

    _as(page, "j-stu-s001")  # 3. the student selects it for the national database
    page.goto("/student/outcomes")
    page.get_by_role("button", name="勾選上傳").click()
    expect(page.locator("#outcome-list")).to_contain_text("已勾選")
    _shot(page, "3-student-selected")

    _as(page, "registrar", school.registrar_password)  # 4. the registrar checks, uploads and watches it finish
    page.goto("/registrar/national")
    page.get_by_label("學年度").fill(str(school.year))
    page.get_by_label("學期").select_option(str(school.term))
    page.get_by_role("button", name="產生並檢查").click()
    expect(page.locator("#report-summary")).to_contain_text("沒有發現問題")
    page.get_by_role("button", name="2. 開始上傳這批名冊").click()
    expect(page.locator("#detail-progress")).to_contain_text("已完成", timeout=90_000)
    expect(page.locator("#detail-progress")).to_contain_text("無法送達 0")
    page.get_by_role("button", name="向國教署取回收訖明細並核對").click()
    expect(page.locator("#detail-receipts")).to_contain_text("核對無誤")
    _shot(page, "4-registrar-uploaded")

    _as(page, "j-stu-s001")  # 5. the student confirms what the national side holds
    page.goto("/student/receipts")
    section = page.locator("section", has_text="學生課程學習成果名冊")
    expect(section).to_contain_text("國語文期末報告")
    section.get_by_role("button", name="確認無誤").click()
    expect(page.locator("section", has_text="學生課程學習成果名冊")).to_contain_text("已確認無誤")
    _shot(page, "5-student-confirmed")
