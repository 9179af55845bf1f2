"""The e-mail pages in Chromium, with a class's worth of real mails behind them: the registrar's
郵件寄送紀錄 (counts, 退信 named in zh-TW, paging), a student's 電子郵件通知, and the unsubscribe page a
mail's link opens without a login; each passes axe and fits a phone at 360 px."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect

from shared.clock import to_taipei, utcnow
from tests.records.conftest import PASSWORD, fresh_school
from tests.support.mail import arrived_for, plan_day, settled
from tests.web.conftest import log_in
from tests.web.test_page_sweep import _axe_findings

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = ["怡君", "雅婷", "家豪", "志明", "宗翰", "佳蓉", "冠宇", "詩涵", "俊傑", "欣妤", "承恩", "品妍"]


def _fits(page, width: int) -> None:
    assert _axe_findings(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_registrar_reads_the_mail_log_and_a_student_stops_reminders(page, browser, system, district, mail_worker):
    rec = fresh_school(system, district, "M00073", "郵件瀏覽器高中", "mweb")
    today = to_taipei(utcnow()).date()
    semester = f"{rec.year}-{rec.term}"
    assert (
        rec.registrar.patch(
            f"/api/v1/records/semesters/{semester}", json={"student_upload_deadline": (today + timedelta(days=7)).isoformat()}
        ).status_code
        == 200
    )
    lines = ["帳號,姓名,角色,學號,班級,電子郵件"]
    for n in range(64):
        name = SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)]
        address = f"nobody{n}@mail.example.edu.tw" if n % 16 == 5 else f"s{n + 1100:04d}@mail.example.edu.tw"
        lines.append(f"mweb-{n:03d},{name},學生,M{n + 1100:04d},{201 + n // 32},{address}")
    imported = rec.registrar.post(
        "/api/v1/accounts/import", files={"file": ("a.csv", "\n".join(lines).encode())}, headers={"Prefer": "wait=120"}
    )
    assert imported.status_code == 200, imported.text
    assert plan_day(system, rec.code, today)["queued"] == 64
    settled(system, rec.code, 64)

    SHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, rec.code, "registrar", rec.registrar_password)
    expect(page.get_by_role("alert")).to_contain_text("近 7 天有 4 封提醒信退信或寄送失敗")
    for width, height in ((1366, 900), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/registrar/mail")
        expect(page.locator("#mail-counts")).to_contain_text("60 已寄出")
        expect(page.locator("#mail-counts")).to_contain_text("4 退信")
        expect(page.locator("#mail-log")).to_contain_text("共 64 筆，顯示第 1–20 筆")
        expect(page.locator("#mail-log")).to_contain_text("學習成果上傳截止提醒")
        _fits(page, width)
        page.screenshot(path=str(SHOTS / f"mail-log-{width}.png"), full_page=True)
    page.get_by_label("狀態").select_option("bounced")
    page.get_by_role("button", name="查詢").click()
    expect(page.locator("#mail-log")).to_contain_text("共 4 筆")
    expect(page.locator("#mail-log tbody tr")).to_have_count(4)
    expect(page.locator("#mail-log")).to_contain_text("收件地址不存在或拒收（550）")
    page.get_by_role("button", name="立即寄送今日提醒").click()
    expect(page.locator("#mail-plan-status")).to_contain_text("先前已排入，不會重寄")

    # a student stops reminders on their own page
    rec.registrar.patch(f"/api/v1/accounts/{_account_id(rec, 'mweb-stu-s001')}", json={"email": "s001@mail.example.edu.tw"})
    student = browser.new_context(base_url=system.base_url, locale="zh-TW", timezone_id="Asia/Taipei").new_page()
    log_in(student, rec.code, "mweb-stu-s001", PASSWORD)
    for width, height in ((1366, 800), (360, 740)):
        student.set_viewport_size({"width": width, "height": height})
        student.goto("/me/notifications")
        expect(student.get_by_text("s001@mail.example.edu.tw")).to_be_visible()
        _fits(student, width)
        student.screenshot(path=str(SHOTS / f"mail-settings-{width}.png"), full_page=True)
    student.get_by_label("接收提醒信").uncheck()
    student.get_by_role("button", name="儲存").click()
    expect(student.get_by_role("status")).to_contain_text("不再寄送提醒信")
    student.reload()
    expect(student.get_by_label("接收提醒信")).not_to_be_checked()

    # the link at the foot of a mail, opened without a login
    [mail] = arrived_for(system, "s1100@mail.example.edu.tw")
    link = re.search(r"/mail/unsubscribe/[A-Za-z0-9_\-.]+", mail.get_content()).group(0)
    stranger = browser.new_context(base_url=system.base_url, locale="zh-TW", timezone_id="Asia/Taipei").new_page()
    for width, height in ((1366, 700), (360, 640)):
        stranger.set_viewport_size({"width": width, "height": height})
        stranger.goto(link)
        _fits(stranger, width)
        stranger.screenshot(path=str(SHOTS / f"mail-unsubscribe-{width}.png"), full_page=True)
    stranger.get_by_role("button", name="停止寄送提醒信").click()
    expect(stranger.get_by_role("status")).to_contain_text("已停止寄送提醒信給您")
    stranger.screenshot(path=str(SHOTS / "mail-unsubscribed-360.png"), full_page=True)


def _account_id(rec, username: str) -> str:
    found = rec.registrar.get("/api/v1/accounts", params={"q": username, "per_page": 50}).json()["items"]
    return next(a["id"] for a in found if a["username"] == username)
