"""A student uploads a work with a progress bar, creates the outcome and submits it, in Chromium."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from tests.evidence import files
from tests.records.conftest import PASSWORD, rec_a  # noqa: F401  (school A with a semester, courses, students)
from tests.web.conftest import log_in

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_student_creates_and_submits_an_outcome(page, rec_a, tmp_path):  # noqa: F811
    work = tmp_path / "報告.pdf"
    work.write_bytes(files.pdf(40_000))
    log_in(page, rec_a.code, "a-stu-s002", PASSWORD)
    page.goto("/student/outcomes")
    expect(page.locator("#outcomes-summary")).to_contain_text("還可登錄")
    form = page.locator("#new-outcome")
    form.get_by_label("課程").select_option(label="國語文 · 101 · a-teacher")
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


def test_an_upload_cut_by_the_network_is_retried_and_stored_files_are_kept(page, rec_a, tmp_path):  # noqa: F811
    first, second = tmp_path / "第一份.pdf", tmp_path / "第二份.pdf"
    first.write_bytes(files.pdf(20_000))
    second.write_bytes(files.pdf(30_000))
    sent: list[str] = []

    def cut_once(route):
        name = parse_qs(urlparse(route.request.url).query)["filename"][0]
        sent.append(name)
        if name == second.name and sent.count(name) == 1:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    log_in(page, rec_a.code, "a-stu-s002", PASSWORD)
    page.route("**/api/v1/evidence/proxy-upload**", cut_once)
    page.goto("/student/outcomes")
    form = page.locator("#new-outcome")
    form.get_by_label("課程").select_option(label="國語文 · 101 · a-teacher")
    form.get_by_label("成果簡述").fill("斷線後自動續傳")
    form.get_by_label("檔案").set_input_files([str(first), str(second)])
    form.get_by_role("button", name="上傳並建立").click()
    expect(form.locator(".status")).to_contain_text("已建立成果")
    assert sent == [first.name, second.name, second.name]  # the stored file was not sent again
    expect(page.locator("#outcome-list")).to_contain_text("斷線後自動續傳")


def test_portfolio_and_student_pages_fit_a_360px_phone(browser, system, rec_a):  # noqa: F811
    context = browser.new_context(base_url=system.base_url, viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    context.set_default_timeout(15000)
    page = context.new_page()
    try:
        log_in(page, rec_a.code, "a-stu-s001", PASSWORD)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "student-home-360.png"), full_page=True)
        pages = (
            ("/student/portfolio", "#basic-data dl"),
            ("/student/outcomes", "#outcomes-summary p"),
            ("/records/performances", "#record-list p"),
        )
        for path, ready in pages:
            page.goto(path)
            page.locator(ready).first.wait_for()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
            page.screenshot(path=str(SHOTS / f"student{path.replace('/', '-')}-360.png"), full_page=True)
        expect(page.get_by_role("navigation", name="主選單")).to_be_visible()
        page.goto("/student/portfolio")
        expect(page.locator("#basic-data")).to_contain_text("S001")
        expect(page.locator("#basic-data")).not_to_contain_text("S002")
        expect(page.locator("#outcome-caps")).to_contain_text("勾選上傳")
        expect(page.locator("#performance-caps")).to_contain_text("/ 10 件")
        autobiography = page.locator("form.statement[data-kind='autobiography']")
        autobiography.get_by_label("自傳").fill("我喜歡閱讀與寫作。")
        autobiography.get_by_role("button", name="儲存新版本").click()
        expect(autobiography.locator(".status")).to_contain_text("已儲存第 1 版")
    finally:
        context.close()


def test_student_adds_a_performance_with_its_category_fields_and_ticks_it(page, rec_a, tmp_path):  # noqa: F811
    photo = tmp_path / "作品.png"
    photo.write_bytes(files.png(5000))
    log_in(page, rec_a.code, "a-stu-s003", PASSWORD)
    page.goto("/records/performances")
    expect(page.locator("#record-list")).to_contain_text("共")
    form = page.locator("#record-form")
    form.get_by_label("類別代碼").select_option("8")
    expect(form.locator("#category-fields")).to_contain_text("作品成果紀錄")
    form.get_by_label("內容簡述").fill("校刊封面設計")
    form.get_by_label("佐證檔案").set_input_files(str(photo))
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".field-error").first).to_contain_text("名稱為必填")
    form.get_by_label("名稱 *").fill("校刊封面")
    form.get_by_label("日期 *").fill(f"{rec_a.year + 1911}-10-05")
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".status")).to_contain_text("已新增")
    expect(page.locator("#record-list")).to_contain_text("校刊封面設計")

    page.goto("/student/portfolio")
    performances = page.locator("#performance-items")
    expect(performances).to_contain_text("校刊封面設計")
    performances.get_by_role("button", name="勾選上傳").click()
    expect(page.locator("#performance-caps")).to_contain_text("1 / 10 件")
