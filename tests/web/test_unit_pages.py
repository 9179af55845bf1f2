"""Each unit's pages in Chromium: records from the division table, certification, the homeroom's class, the student's portfolio."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from playwright.sync_api import expect

from shared.roles import Role
from tests.certification.test_flow import _course_id, _stored_evidence
from tests.evidence import files
from tests.records.conftest import PASSWORD, rec_a, rec_b  # noqa: F401  (school A with a semester, courses, students)
from tests.web.conftest import log_in

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    path.write_bytes(data.getvalue())
    return path


def test_discipline_adds_and_imports_attendance_and_sees_the_bad_row(page, rec_a, tmp_path):  # noqa: F811
    log_in(page, rec_a.code, "a-discipline", PASSWORD)
    expect(page.get_by_role("navigation").get_by_role("link", name="出缺勤")).to_be_visible()
    page.goto("/records/attendance")
    expect(page.locator("#record-list")).to_contain_text("共")  # the list above the form has loaded: no layout shift
    form = page.locator("#record-form")
    form.get_by_label("學年度").fill(str(rec_a.year))
    form.get_by_label("學期").fill(str(rec_a.term))
    form.get_by_label("學生").fill("S003")  # the student is picked from suggestions, never typed as an id
    page.get_by_role("option", name="S003").click()
    form.get_by_label("假別").select_option("病假")
    form.get_by_label("節數").fill("-1")
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".field-error").first).to_be_visible()
    expect(form.get_by_label("節數")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("節數").fill("4")
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".status")).to_contain_text("已新增")
    expect(page.locator("#record-list")).to_contain_text("S003")
    shot(page, "records-attendance-form")

    header = ["學年度", "學期", "學號", "假別", "節數"]
    good = [rec_a.year, rec_a.term, "S001", "事假", 2]
    bad = [rec_a.year, rec_a.term, "S002", "魔法假", 3]
    upload = page.locator("#record-import")
    upload.get_by_label("選擇檔案").set_input_files(str(_xlsx(tmp_path / "bad.xlsx", [header, good, bad])))
    upload.get_by_role("button", name="匯入").click()
    expect(upload.locator(".status")).to_contain_text("未匯入任何資料")
    bad_row = upload.locator(".report tbody tr").first
    expect(bad_row).to_contain_text("3")
    expect(bad_row).to_contain_text("假別")
    shot(page, "records-attendance-import-errors")

    upload.get_by_label("選擇檔案").set_input_files(str(_xlsx(tmp_path / "good.xlsx", [header, good])))
    upload.get_by_role("button", name="匯入").click()
    expect(upload.locator(".status")).to_contain_text("已匯入 1 列")
    expect(page.locator("#record-list")).to_contain_text("S001")
    with page.expect_download() as download:
        page.get_by_role("link", name="匯出 XLSX").click()
    assert download.value.suggested_filename == "attendance.xlsx"


def _submitted_outcome(rec, student_id: str, summary: str) -> str:
    student = rec.students[student_id]
    body = {"course_id": _course_id(rec), "summary": summary, "evidence_ids": [_stored_evidence(student)]}
    created = student.post("/api/v1/outcomes", json=body)
    assert created.status_code == 201, created.text
    outcome_id = created.json()["id"]
    assert student.post(f"/api/v1/outcomes/{outcome_id}/submit").status_code == 200
    return outcome_id


def test_teacher_previews_a_pdf_and_certifies_the_outcome(page, rec_a):  # noqa: F811
    outcome_id = _submitted_outcome(rec_a, "S001", "網頁預覽的報告")
    log_in(page, rec_a.code, "a-teacher", PASSWORD)
    page.goto("/teacher/certification")
    card = page.locator(f"[data-outcome='{outcome_id}']")
    expect(card).to_contain_text("網頁預覽的報告")
    with page.expect_response(lambda r: "/view" in r.url) as viewed:
        card.get_by_role("button", name="預覽").click()
    assert viewed.value.status == 200
    assert viewed.value.headers["content-type"] == "application/pdf"
    assert viewed.value.headers["content-disposition"].startswith("inline")
    expect(card.locator("iframe.preview")).to_be_visible()
    shot(page, "teacher-preview")
    card.get_by_role("button", name="認證", exact=True).click()
    expect(page.locator("#queue-summary")).to_contain_text("已認證")
    expect(page.locator(f"[data-outcome='{outcome_id}']")).to_have_count(0)
    shot(page, "teacher-certified")


def test_homeroom_sees_the_class_progress_reminds_and_checks_a_study_plan(page, rec_a):  # noqa: F811
    saved = rec_a.students["S002"].put("/api/v1/records/statements/study_plan", json={"fields": {"讀書計畫": "每週讀兩本書"}})
    assert saved.status_code == 200, saved.text
    log_in(page, rec_a.code, "a-homeroom", PASSWORD)
    page.goto("/homeroom/class")
    progress = page.locator("#progress")
    expect(progress).to_contain_text("101 班")
    expect(progress.locator("tbody tr")).to_have_count(2)  # S001, S002: not S003 of class 102
    expect(progress).not_to_contain_text("S003")
    progress.get_by_role("button", name="座號").click()  # sortable, numbers as numbers
    progress.get_by_role("button", name="座號").click()
    expect(progress.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    expect(progress.locator("tbody tr").first).to_contain_text("S002")
    progress.get_by_label("篩選學號或姓名").fill("S002")
    expect(progress.locator("tbody tr")).to_have_count(1)
    shot(page, "homeroom-progress")
    form = page.locator("#reminder-form")
    form.get_by_label("全班").check()
    form.get_by_role("button", name="送出提醒").click()
    expect(form.locator(".status")).to_contain_text("已提醒 2 位學生")
    plan = page.locator("[data-statement='S002-study_plan']")
    plan.locator("summary").click()
    expect(plan).to_contain_text("每週讀兩本書")
    plan.get_by_label("S002 學習計畫的檢核留言").fill("很具體")
    plan.get_by_role("button", name="檢核完成").click()
    expect(plan.locator("summary")).to_contain_text("已檢核")


def test_each_role_reaches_only_its_own_pages_and_controls(page, rec_a):  # noqa: F811
    log_in(page, rec_a.code, "a-discipline", PASSWORD)
    for path in ("/teacher/certification", "/homeroom/class", "/registrar/calendar", "/records/grades", "/student/portfolio"):
        assert page.goto(path).status == 404, path
    expect(page.get_by_role("heading", name="找不到此頁")).to_be_visible()
    page.goto("/home")
    page.get_by_role("button", name="登出").click()

    log_in(page, rec_a.code, "a-stu-s003", PASSWORD)
    expect(page.locator("#todo-list")).to_contain_text("課程學習成果")
    shot(page, "student-home-todo")
    for path in ("/records/counsellor_assignments", "/registrar/accounts", "/teacher/certification"):
        assert page.goto(path).status == 404, path
    page.goto("/records/attendance")  # students read their own attendance, never write it
    expect(page.locator("#record-list")).to_contain_text("共")
    expect(page.locator("#record-form")).to_have_count(0)
    expect(page.locator("#record-import")).to_have_count(0)
    expect(page.get_by_role("navigation", name="主選單").get_by_role("link", name="出缺勤")).to_have_count(0)


def test_registrar_sets_a_window_and_rechecks_basic_data(page, rec_a, school_a):  # noqa: F811
    log_in(page, rec_a.code, "registrar", school_a.registrar_password)
    page.goto("/registrar/calendar")
    expect(page.locator("#semester-detail")).to_contain_text("教師認證截止")
    form = page.locator("#window-form")
    form.get_by_label("資料類別").select_option(label="社團")
    form.get_by_label("開放時間").fill("2020-01-01T08:00")
    form.get_by_label("關閉時間").fill("2019-01-01T08:00")
    form.get_by_role("button", name="儲存時段").click()
    expect(form.locator(".status")).to_contain_text("關閉時間須晚於開放時間")
    form.get_by_label("關閉時間").fill("2099-01-01T08:00")
    form.get_by_role("button", name="儲存時段").click()
    expect(form.locator(".status")).to_contain_text("已儲存登錄時段")
    recheck = page.locator("#recheck")
    expect(recheck).to_contain_text("S002")  # (S001 may be re-checked already by the records tests)
    expect(recheck).to_contain_text("A10****029")  # the ID is masked
    shot(page, "registrar-calendar")
    for box in recheck.locator("input[type=checkbox]").all():  # nothing is pre-ticked: the registrar ticks each
        box.check()
    recheck.get_by_role("button", name="確認勾選的學生資料無誤").click()
    expect(recheck).to_contain_text("都已檢核", timeout=30_000)  # the school's other tests left 1,000+ students


def test_contest_organiser_publishes_with_a_proof_and_the_winner_claims_it(page, rec_a, tmp_path):  # noqa: F811
    proof = tmp_path / "簽呈.pdf"
    proof.write_bytes(files.pdf(8000))
    log_in(page, rec_a.code, "a-contest-organizer", PASSWORD)
    page.goto("/records/competitions")
    expect(page.locator("#record-list")).to_contain_text("共")
    form = page.locator("#record-form")
    form.get_by_label("競賽名稱").fill("校內英文演講比賽")
    form.get_by_label("結果公布日期").fill(f"{rec_a.year + 1911}-10-01")
    form.get_by_label("內容簡述").fill("高一組英文演講")
    form.get_by_label("得獎名單").fill("S001,第一名")
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".status")).to_contain_text("已新增")
    row = page.locator("#record-list tr", has_text="校內英文演講比賽").last  # other tests' competitions share the school
    row.get_by_role("button", name="公告結果").click()
    expect(page.locator("#record-list-status")).to_contain_text("請附證明文件")

    row.get_by_role("button", name="編輯").click()
    form.get_by_label("簽呈或證明文件").set_input_files(str(proof))
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".status")).to_contain_text("已修改")
    page.locator("#record-list tr", has_text="校內英文演講比賽").last.get_by_role("button", name="公告結果").click()
    expect(page.locator("#record-list-status")).to_contain_text("已公告")
    shot(page, "competitions-published")
    page.goto("/home")
    page.get_by_role("button", name="登出").click()

    log_in(page, rec_a.code, "a-stu-s001", PASSWORD)
    page.goto("/records/competitions")
    page.locator("#record-list tr", has_text="校內英文演講比賽").last.get_by_role("button", name="匯入我的多元表現").click()
    expect(page.locator("#record-list-status")).to_contain_text("已匯入多元表現")
    page.goto("/records/performances")
    expect(page.locator("#record-list")).to_contain_text("高一組英文演講")


def test_the_inline_view_is_scoped_like_the_download(rec_a, rec_b):  # noqa: F811
    owner = rec_a.students["S002"]
    evidence_id = _stored_evidence(owner)
    viewed = owner.get(f"/api/v1/evidence/{evidence_id}/view", headers={"Range": "bytes=0-3"})
    assert viewed.status_code == 206 and viewed.content == b"%PDF"
    assert viewed.headers["Content-Disposition"].startswith("inline")
    assert viewed.headers["X-Frame-Options"] == "SAMEORIGIN"
    for stranger in (rec_a.students["S001"], rec_b.clients[Role.TEACHER], rec_b.students["S002"]):
        assert stranger.get(f"/api/v1/evidence/{evidence_id}/view").status_code == 404


def test_staff_pages_fit_a_360px_phone(browser, system, rec_a, school_a):  # noqa: F811
    context = browser.new_context(base_url=system.base_url, viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    context.set_default_timeout(15000)
    page = context.new_page()
    try:
        for username, password, path, ready in (
            ("a-discipline", PASSWORD, "/records/attendance", "#record-list p"),
            ("a-teacher", PASSWORD, "/teacher/certification", "#queue-summary p"),
            ("a-homeroom", PASSWORD, "/homeroom/class", "#progress p"),
            ("a-guidance", PASSWORD, "/statements/check", "#statements p"),
            ("a-counselor", PASSWORD, "/records/counselling", "#record-list p"),
            ("registrar", school_a.registrar_password, "/registrar/calendar", "#semester-detail dl"),
        ):
            log_in(page, rec_a.code, username, password)
            page.goto(path)
            page.locator(ready).first.wait_for()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
            shot(page, f"{path.strip('/').replace('/', '-')}-360")
            page.get_by_role("button", name="登出").click()
    finally:
        context.close()


def _pdf(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(files.pdf(6000))
    return path


def test_teacher_returns_one_with_a_reason_and_certifies_the_rest_at_once(page, rec_a, tmp_path):  # noqa: F811
    keep = _submitted_outcome(rec_a, "S001", "批次認證的作品")
    send_back = _submitted_outcome(rec_a, "S002", "需要退回的作品")
    log_in(page, rec_a.code, "a-teacher", PASSWORD)
    page.goto("/teacher/certification")
    card = page.locator(f"[data-outcome='{send_back}']")
    card.get_by_role("button", name="退回").click()  # no reason chosen: said plainly, beside the field
    expect(card.locator(".field-error")).to_have_text("請選擇退回原因")
    card.get_by_label("退回原因").select_option(label="其他")
    card.get_by_role("button", name="退回").click()
    expect(card.locator(".field-error, .status.error").first).to_contain_text("須說明")
    card.get_by_label("退回原因").select_option(label="缺少檔案")
    card.get_by_role("button", name="退回").click()
    expect(page.locator(f"[data-outcome='{send_back}']")).to_have_count(0)
    expect(page.locator("#queue-summary")).to_contain_text("已退回")
    page.get_by_label("全選").first.check()
    expect(page.locator(f"[data-outcome='{keep}'] input.pick")).to_be_checked()
    page.get_by_role("button", name="認證勾選的成果").first.click()
    expect(page.locator("#queue-summary")).to_contain_text("已認證")
    expect(page.locator(f"[data-outcome='{keep}']")).to_have_count(0)
    assert any("退回" in n["message"] for n in rec_a.students["S002"].get("/api/v1/notifications").json())

    proxy = page.locator("#proxy-form")
    proxy.get_by_label("代理人").fill("a-coun")
    page.get_by_role("option", name="a-counselor").click()
    proxy.get_by_label("開始時間").fill("2030-03-01T08:00")
    proxy.get_by_label("結束時間").fill("2030-02-01T08:00")
    proxy.get_by_role("button", name="指定").click()
    expect(proxy.locator(".status")).to_contain_text("結束須晚於開始")
    proxy.get_by_label("開始時間").fill("2030-01-01T08:00")
    proxy.get_by_role("button", name="指定").click()
    expect(proxy.locator(".status")).to_contain_text("已指定代理人")
    page.goto("/home")
    page.get_by_role("button", name="登出").click()

    log_in(page, rec_a.code, "a-stu-s002", PASSWORD)  # the student sees why, adds the missing file and sends it again
    page.goto("/student/outcomes")
    item = page.locator("#outcome-list li", has_text="需要退回的作品")
    expect(item).to_contain_text("退回原因：缺少檔案")
    item.get_by_role("button", name="修改").click()
    form = page.locator("#new-outcome")
    expect(form.get_by_label("課程")).to_be_disabled()
    form.get_by_label("檔案").set_input_files([str(_pdf(tmp_path, "補件.pdf")), str(_pdf(tmp_path, "原件.pdf"))])
    form.get_by_role("button", name="儲存修改").click()
    expect(form.locator(".status")).to_contain_text("已修改")
    page.locator("#outcome-list li", has_text="需要退回的作品").get_by_role("button", name="送出認證").click()
    expect(page.locator("#outcome-list li", has_text="需要退回的作品")).to_contain_text("待認證")


def test_dates_are_entered_and_shown_in_minguo_and_stored_as_iso(page, rec_a):  # noqa: F811
    """A school writes 115/10/02: the field takes it (or 西元), shows 民國 once left, the API stores ISO,
    and a date that does not exist is named beside its field."""
    log_in(page, rec_a.code, "a-contest-organizer", PASSWORD)
    page.goto("/records/competitions")
    expect(page.locator("#record-list")).to_contain_text("共")
    form = page.locator("#record-form")
    day = form.get_by_label("結果公布日期")
    form.get_by_label("競賽名稱").fill("民國日期輸入測試")
    day.fill(f"{rec_a.year}1002")  # seven digits, as on the national rosters
    day.blur()
    expect(day).to_have_value(f"{rec_a.year}/10/02")
    form.get_by_label("內容簡述").fill("日期欄位")
    form.get_by_role("button", name="儲存").click()
    expect(form.locator(".status")).to_contain_text("已新增")
    row = page.locator("#record-list tr", has_text="民國日期輸入測試").last
    expect(row).to_contain_text(f"{rec_a.year}/10/02")
    listed = rec_a.clients[Role.CONTEST_ORGANIZER].get("/api/v1/records/competitions", params={"per_page": 200}).json()["items"]
    assert [c["published_on"] for c in listed if c["name"] == "民國日期輸入測試"] == [f"{rec_a.year + 1911}-10-02"]

    row.get_by_role("button", name="編輯").click()
    expect(day).to_have_value(f"{rec_a.year}/10/02")  # an ISO value from the API is shown in 民國
    day.fill(f"{rec_a.year}/02/30")
    form.get_by_role("button", name="儲存").click()
    expect(form).to_contain_text("日期不存在")
    shot(page, "minguo-date-entry")
