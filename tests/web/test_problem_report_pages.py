"""問題回報 in Chromium: a student reports a problem from the page it happened on (its 說明 box), the
registrar answers it on the handling page, the student reads the answer; both pages at 1366 and 360 px."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.records.conftest import PASSWORD, rec_a  # noqa: F401
from tests.web.conftest import log_in

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _phone_fits(page, name: str) -> None:
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
    page.screenshot(path=str(SHOTS / f"{name}-360.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(SHOTS / f"{name}-1366.png"), full_page=True)


def test_a_student_reports_from_the_page_and_reads_the_registrars_answer(page, rec_a, school_a):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, rec_a.code, "a-stu-s003", PASSWORD)
    page.goto("/student/outcomes")
    page.locator("details.page-help summary").click()
    page.get_by_role("link", name="此頁有問題？回報給註冊組").click()
    expect(page.locator("main")).to_contain_text("發生問題的頁面：我的課程學習成果")
    page.get_by_label("問題說明").fill("按下送出認證後沒有反應，重新整理也一樣")
    page.get_by_role("button", name="送出回報").click()
    expect(page.locator("form .status")).to_contain_text("已送出")
    mine = page.locator("#my-reports")
    expect(mine).to_contain_text("按下送出認證後沒有反應")
    expect(mine).to_contain_text("待處理")
    page.get_by_role("button", name="登出").click()

    log_in(page, rec_a.code, "registrar", school_a.registrar_password)
    page.goto("/registrar/problem-reports")
    card = page.locator("article.report", has_text="按下送出認證後沒有反應").first
    expect(card).to_contain_text("我的課程學習成果 · 待處理")
    expect(card).to_contain_text("· 學生")
    expect(card).to_contain_text("瀏覽器：")
    _phone_fits(page, "problem-reports-registrar")
    card.get_by_label("回覆").fill("已請任課教師確認，請明天再試一次")
    card.get_by_role("button", name="送出回覆").click()
    expect(card.locator(".status")).to_contain_text("已回覆")
    page.get_by_role("button", name="登出").click()

    log_in(page, rec_a.code, "a-stu-s003", PASSWORD)
    page.goto("/help/reports")
    expect(page.locator("#my-reports")).to_contain_text("已請任課教師確認")
    expect(page.locator("#my-reports")).to_contain_text("已回覆")
    _phone_fits(page, "problem-reports-student")
