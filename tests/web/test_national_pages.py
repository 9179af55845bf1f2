"""The registrar checks the rosters, starts the national upload and watches it finish; the student
confirms the receipt — in a real Chromium, against the running system, a worker and the simulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.national_upload.test_rosters_flow import _seed_term
from tests.records.conftest import PASSWORD, fresh_school
from tests.web.conftest import log_in

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CODE = "W00007"


@pytest.fixture(scope="module")
def school(system, district):
    return fresh_school(system, district, CODE, "丁高中", "w")


def test_registrar_uploads_and_the_student_confirms_the_receipt(page, school, national_sim, upload_worker):
    SHOTS.mkdir(parents=True, exist_ok=True)
    _seed_term(school)
    token = {"token": national_sim.token(CODE), "receipt_password": national_sim.receipt_password(CODE)}
    assert school.registrar.put("/api/v1/national/credentials", json=token).status_code == 200
    log_in(page, CODE, "registrar", school.registrar_password)
    page.goto("/registrar/national")
    page.get_by_label("學年度").fill(str(school.year))
    page.get_by_label("學期").select_option(str(school.term))
    page.get_by_role("button", name="產生並檢查").click()
    expect(page.locator("#report-students")).to_contain_text("結束日期")  # the cadre still in office
    expect(page.locator("#report-students")).to_contain_text("訓育組")
    page.screenshot(path=str(SHOTS / "national-1-check.png"), full_page=True)
    page.get_by_role("button", name="2. 開始上傳這批名冊").click()
    expect(page.locator("#detail-progress")).to_contain_text("已完成", timeout=90_000)
    page.screenshot(path=str(SHOTS / "national-2-done.png"), full_page=True)
    page.get_by_role("button", name="向國教署取回收訖明細並核對").click()
    expect(page.locator("#detail-receipts")).to_contain_text("核對無誤")
    expect(page.locator("#detail-receipts")).to_contain_text("學生課程學習成果名冊")  # rosters by name, not "名冊 26"
    page.screenshot(path=str(SHOTS / "national-3-receipts.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # /registrar/national fits a phone
    page.screenshot(path=str(SHOTS / "national-3-receipts-360.png"), full_page=True)

    page.context.clear_cookies()
    log_in(page, CODE, "w-stu-s001", PASSWORD)
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto("/student/receipts")
    expect(page.locator("#receipts")).to_contain_text("學期課程學習成果")
    first = page.get_by_role("button", name="確認無誤").first
    first.click()
    expect(page.locator("#receipts")).to_contain_text("已確認無誤")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shown = page.locator("#receipts").inner_text()
    assert not re.search(r"[0-9a-f]{64}", shown), "a full file hash on the page"
    assert not re.search(r"(?<!\d)1\d{6}(?!\d)", shown), "a 7-digit national date on the page"
    assert "性別代碼" not in shown
    page.screenshot(path=str(SHOTS / "national-4-student-confirms.png"), full_page=True)


def test_a_student_cannot_open_the_national_console(page, school):
    log_in(page, CODE, "w-stu-s002", PASSWORD)
    response = page.goto("/registrar/national")
    assert response.status == 404
