"""From the pages, in Chromium: the 導師 prints the class's 勾選確認單 (a job with progress, then the
file) and 班級進度; the student prints their own 確認單 and sees whether it is still current."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shared.roles import Role
from tests.documents import pdfs
from tests.documents.seed import group_school
from tests.documents.test_portfolio import _certified, noise_pdf
from tests.records.conftest import COURSE_A, PASSWORD, fresh_school
from tests.web.conftest import log_in
from tests.working_group.test_flow import API, _meeting

CODE = "W00017"


@pytest.fixture(scope="module")
def school(system, district):
    """戊高中: S001 has one certified outcome with a real one-page PDF (for the portfolio)."""
    rec = fresh_school(system, district, CODE, "戊高中", "w")
    courses = rec.clients[Role.CURRICULUM].get("/api/v1/records/courses", params={"per_page": 200}).json()["items"]
    rec.course = next(c["id"] for c in courses if c["code"] == COURSE_A)  # type: ignore[attr-defined]
    _certified(rec, "專題報告", (noise_pdf(300, quality=70), "專題報告.pdf", "application/pdf"))
    return rec


def test_homeroom_teacher_prints_the_class_confirmations_and_progress(page, school):
    log_in(page, CODE, "w-homeroom", PASSWORD)
    page.goto("/homeroom/class")
    page.locator("#class-pick").select_option("101")
    expect(page.locator("#progress")).to_contain_text("學生1")
    page.get_by_role("button", name="列印全班勾選確認單").click()
    link = page.locator("#confirmations-file")
    expect(link).to_be_visible(timeout=60_000)
    expect(page.locator("#documents-status")).to_contain_text("已完成 2 位學生")
    data = page.request.get(link.get_attribute("href")).body()
    text = pdfs.check_printable(data)
    assert "學習歷程檔案勾選確認單" in text and "學生1" in text and "學生2" in text
    progress = page.request.get(page.get_by_role("link", name="列印班級進度").get_attribute("href"))
    assert progress.headers["content-type"] == "application/pdf"
    assert "班級學習歷程進度" in pdfs.check_printable(progress.body())
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="列印全班勾選確認單")).to_be_hidden()  # the print stylesheet


def test_student_prints_their_confirmation_and_sees_it_is_current(page, school):
    log_in(page, CODE, "w-stu-s001", PASSWORD)
    page.goto("/student/outcomes")
    href = page.get_by_role("link", name="列印勾選確認單").get_attribute("href")
    assert "學生1" in pdfs.check_printable(page.request.get(href).body())
    page.reload()
    # the class print above numbered this student's sheet too: same ticks, same version
    expect(page.locator("#confirmation-status")).to_contain_text("已列印第 1 版")
    expect(page.locator("#confirmation-status")).to_contain_text(f"民國{school.year}")
    expect(page.locator("#confirmation-status")).to_contain_text("與目前勾選相符")


@pytest.fixture(scope="module")
def wg(system, district):
    return group_school(system, district, "G00018", "工作小組高中", "h")


def test_the_secretary_prints_the_minutes_from_the_working_group_page(page, wg):
    assert wg.secretary.post(f"{API}/meetings", json=_meeting(wg, agenda=["列印測試議程"])).status_code == 201
    log_in(page, wg.rec.code, "h-working-group", PASSWORD)
    page.goto("/working-group")
    link = page.locator("[data-print-list=meetings] a", has_text="列印測試議程")
    expect(link).to_be_visible()
    expect(link).to_contain_text(f"民國{wg.rec.year}")
    text = pdfs.check_printable(page.request.get(link.get_attribute("href")).body())
    assert "工作小組會議紀錄" in text and "列印測試議程" in text


def test_student_builds_a_portfolio_pdf_from_the_portfolio_page(page, school):
    log_in(page, CODE, "w-stu-s001", PASSWORD)
    page.goto("/student/portfolio")
    box = page.locator("#portfolio-pdf")
    expect(box.locator("#portfolio-limits")).to_contain_text("每一校系合計 10 MB")
    box.get_by_label("多元表現綜整心得").fill("心" * 801)
    expect(box.locator("#portfolio-synthesis-count")).to_contain_text("801 / 800")
    box.get_by_role("button", name="儲存自述與心得").click()
    expect(box.locator("#portfolio-result")).to_contain_text("多元表現綜整心得至多 800 字")
    box.get_by_label("多元表現綜整心得").fill("參加社團讓我學會合作。")
    box.get_by_role("button", name="儲存自述與心得").click()
    expect(box.locator("#portfolio-result")).to_contain_text("已儲存")
    box.get_by_role("button", name="產生學習歷程檔案 PDF").click()
    expect(box.locator("#portfolio-result")).to_contain_text("請至少選擇一項")
    box.get_by_label("課程學習成果：國語文（專題報告）").check()
    box.get_by_role("button", name="產生學習歷程檔案 PDF").click()
    link = box.locator("#portfolio-file")
    expect(link).to_be_visible(timeout=30_000)
    data = page.request.get(link.get_attribute("href")).body()
    assert "專題報告" in pdfs.flat(data) and "參加社團讓我學會合作" in pdfs.flat(data)
    page.screenshot(path=str(pdfs.SHOTS / "doc-portfolio-page.png"), full_page=True)


def test_registrar_prints_the_whole_school_and_a_students_receipts(page, school):
    log_in(page, CODE, "registrar", school.registrar_password)
    page.goto("/registrar/national")
    page.get_by_role("button", name="列印全校勾選確認單").click()
    link = page.locator("#confirmations-file")
    expect(link).to_be_visible(timeout=60_000)
    expect(page.locator("#school-documents-status")).to_contain_text("已完成 3 位學生")
    text = pdfs.check_printable(page.request.get(link.get_attribute("href")).body())
    assert "學生1" in text and "學生3" in text
    with page.expect_popup() as popup:
        page.get_by_label("列印學生收訖明細（學號）").fill("S001")
        page.get_by_role("button", name="列印", exact=True).click()
    receipt = page.request.get(popup.value.url)
    assert receipt.headers["content-type"] == "application/pdf" and "收訖明細" in pdfs.check_printable(receipt.body())
