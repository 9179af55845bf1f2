"""The registrar's import pages follow the import job: progress, every row's error, the password sheet once.

At 1366 px (a school office's screen) and 360 px (a phone); screenshots under var/screenshots."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from shared.national_id import with_check_digit
from tests.records.conftest import rec_a  # noqa: F401  (school A with a semester, classes, students)
from tests.support.api import assert_problem
from tests.web.conftest import log_in

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
HEADER = "學號,身分證號,姓名,出生日期,性別,班級,座號,學籍狀態"


def _students(first: int, n: int) -> str:
    lines = [HEADER]
    for i in range(first, first + n):
        lines.append(f"W{i:04d},{with_check_digit(f'C1{6000 + i:07d}')},網頁生{i},0980315,1,102,{i % 50 + 1},在學")
    return "\n".join(lines) + "\n"


def test_account_import_shows_progress_and_hands_out_the_sheet_once(page, rec_a, school_a, tmp_path):  # noqa: F811
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, rec_a.code, "registrar", school_a.registrar_password)
    page.goto("/registrar/accounts")
    upload = page.locator("form[data-upload='/api/v1/accounts/import']")
    rows = ["帳號,姓名,角色,班級"] + [f"web1{n:02d},一班生{n},學生,101" for n in range(12)]
    rows += [f"web2{n:02d},二班生{n},學生,102" for n in range(8)]
    rows.append("webt01,王老師,任課教師,")
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    upload.get_by_label("選擇檔案").set_input_files(str(path))
    upload.get_by_role("button", name="匯入").click()
    expect(upload.locator(".status")).to_contain_text("已匯入 21 / 21 筆帳號")
    link = upload.get_by_role("link", name="下載初始密碼單（依班級，可列印）")
    expect(link).to_be_visible()
    page.screenshot(path=str(SHOTS / "import-accounts-1366.png"), full_page=True)
    with page.expect_popup() as popup_info:
        link.click()
    sheet = popup_info.value
    sheet.wait_for_load_state()
    expect(sheet.locator("h2").first).to_contain_text("101 班（12 人）")
    expect(sheet.locator("main")).to_contain_text("102 班（8 人）")
    expect(sheet.locator("main")).to_contain_text("教職員及未分班帳號")
    sheet.screenshot(path=str(SHOTS / "import-password-sheet.png"), full_page=True)
    url = link.get_attribute("href")
    gone = assert_problem(rec_a.registrar.get(url), 410, "password_sheet_gone")  # once: then gone
    assert "只能下載一次" in gone["detail"]


def test_records_import_names_the_bad_row_and_then_imports_at_360px(page, rec_a, school_a, tmp_path):  # noqa: F811
    page.set_viewport_size({"width": 360, "height": 780})
    log_in(page, rec_a.code, "registrar", school_a.registrar_password)
    page.goto("/records/students")
    upload = page.locator("#record-import")
    text = _students(1, 300)
    lines = text.splitlines()
    lines[151] = lines[151].replace(",0980315,", ",2098-13-45,")  # row 152 of the file: a bad date
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    upload.get_by_label("選擇檔案").set_input_files(str(bad))
    upload.get_by_role("button", name="匯入").click()
    expect(upload.locator(".status")).to_contain_text("未匯入任何資料")
    report = upload.locator(".report")
    expect(report).to_contain_text("152")
    expect(report).to_contain_text("出生日期")
    expect(report).not_to_contain_text("birth_date")
    page.screenshot(path=str(SHOTS / "import-records-error-360.png"), full_page=True)
    assert rec_a.registrar.get("/api/v1/records/students", params={"student_id": "W0001"}).json()["total"] == 0
    good = tmp_path / "good.csv"
    good.write_text(text, encoding="utf-8")
    upload.get_by_label("選擇檔案").set_input_files(str(good))
    upload.get_by_role("button", name="匯入").click()
    expect(upload.locator(".status")).to_contain_text("已匯入 300 列（新增 300")
    page.screenshot(path=str(SHOTS / "import-records-done-360.png"), full_page=True)
    upload.get_by_label("選擇檔案").set_input_files(str(good))
    upload.get_by_role("button", name="匯入").click()
    expect(upload.locator(".status")).to_contain_text("此檔案先前已匯入過")
