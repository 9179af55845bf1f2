"""A student uploads a work with a progress bar, creates the outcome and submits it, in Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.evidence import files
from tests.records.conftest import PASSWORD, rec_a  # noqa: F401  (school A with a semester, courses, students)
from tests.web.conftest import log_in


def test_student_creates_and_submits_an_outcome(page, rec_a, tmp_path):  # noqa: F811
    work = tmp_path / "報告.pdf"
    work.write_bytes(files.pdf(40_000))
    log_in(page, rec_a.code, "a-stu-s002", PASSWORD)
    page.goto("/student/outcomes")
    expect(page.locator("#outcomes-summary")).to_contain_text("還可登錄")
    form = page.locator("#new-outcome")
    form.get_by_label("課程").select_option(label="國語文")
    form.get_by_label("成果簡述").fill("國語文期末報告")
    form.get_by_label("檔案").set_input_files(str(work))
    form.get_by_role("button", name="上傳並建立").click()
    expect(form.locator(".status")).to_contain_text("已建立成果")
    expect(page.locator("#file-progress progress")).to_have_attribute("value", "100")
    expect(page.locator("#outcome-list")).to_contain_text("草稿")
    page.get_by_role("button", name="送出認證").click()
    expect(page.locator("#outcome-list")).to_contain_text("待認證")


def test_wrong_file_type_is_caught_before_sending(page, rec_a, tmp_path):  # noqa: F811
    bad = tmp_path / "virus.exe"
    bad.write_bytes(files.exe())
    log_in(page, rec_a.code, "a-stu-s001", PASSWORD)
    page.goto("/student/outcomes")
    form = page.locator("#new-outcome")
    form.get_by_label("檔案").set_input_files(str(bad))
    form.get_by_role("button", name="上傳並建立").click()
    expect(form.locator(".status")).to_contain_text("只接受 PDF")
