"""A parent accepts an invitation and acknowledges a 確認單, in Chromium: 註冊組 prints the class's
slips, the parent joins with a code from one, reads the child's sheet and confirms it; every page
passes axe and fits a 360 px phone (screenshots under var/screenshots)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.documents.seed import seeded_school
from tests.web.conftest import log_in
from tests.web.test_page_sweep import _axe_findings

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CODE = re.compile(r"\b[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}\b")


@pytest.fixture(scope="module")
def school(system, district):
    return seeded_school(system, district, "W00061", "壬高中", "w")


def _check(page, name: str) -> None:
    for width, height in ((1366, 900), (360, 780)):
        page.set_viewport_size({"width": width, "height": height})
        assert _axe_findings(page) == [], name
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width} px"
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def test_a_parent_accepts_an_invitation_and_acknowledges_the_confirmation(browser, system, school):
    SHOTS.mkdir(parents=True, exist_ok=True)
    registrar = browser.new_context(base_url=system.base_url, locale="zh-TW", timezone_id="Asia/Taipei").new_page()
    log_in(registrar, school.code, "registrar", school.registrar_password)
    registrar.goto("/registrar/guardians")
    # an e-mailed code goes to one student's parent: with a whole class the page says so, nothing is made
    registrar.get_by_label("全班").select_option(label="101 班")
    registrar.get_by_label("家長電子郵件").fill("parent@home.test")
    registrar.get_by_role("button", name="產生邀請碼").click()
    expect(registrar.locator("#invite")).to_contain_text("以電子郵件寄送邀請時，請只指定一位學生")
    registrar.get_by_label("家長電子郵件").fill("")
    registrar.get_by_label("全班").select_option(label="101 班")
    registrar.get_by_role("button", name="產生邀請碼").click()
    expect(registrar.locator("#invite .status")).to_contain_text("已產生 2 張邀請碼")
    _check(registrar, "guardians-registrar")
    with registrar.expect_popup() as popup:
        registrar.get_by_role("link", name="開啟邀請單並列印").click()
    sheet = popup.value
    expect(sheet.locator(".slip").first).to_contain_text("學生1")
    _check(sheet, "guardians-slips")
    slip = sheet.locator(".slip", has_text="學生1")
    code = CODE.search(slip.inner_text()).group(0)

    parent = browser.new_context(base_url=system.base_url, locale="zh-TW", timezone_id="Asia/Taipei").new_page()
    parent.goto(f"/parent/join?code={code}")
    expect(parent.get_by_label("邀請碼")).to_have_value(code)
    _check(parent, "parent-join")
    parent.get_by_label("您的姓名").fill("學生1的媽媽")
    parent.get_by_label("登入名稱").fill("w-mom")
    parent.get_by_label("自訂登入密碼").fill("short")
    parent.get_by_role("button", name="加入並登入").click()
    expect(parent.locator("#password-error")).to_be_visible()  # beside its field, the code and names kept
    expect(parent.get_by_label("邀請碼")).to_have_value(code)
    parent.get_by_label("自訂登入密碼").fill("Mom-pass-123")
    parent.get_by_role("button", name="加入並登入").click()
    parent.wait_for_url("**/parent?joined=1**")
    expect(parent.locator("#children")).to_contain_text("學生1（101 班 1 號）")
    card = parent.locator("#confirmation")
    expect(card).to_contain_text("國語文期末報告")
    expect(card).to_contain_text("尚未確認")
    expect(parent.locator("main")).to_contain_text("已認證")
    expect(parent.locator("main")).to_contain_text("已勾選上傳")
    assert not card.get_by_label("我已看過上面這份確認單的內容").is_checked()  # never pre-ticked
    card.get_by_role("button", name="確認").click()
    expect(card.get_by_role("alert")).to_contain_text("請先勾選")
    card.get_by_label("我已看過上面這份確認單的內容").check()
    card.get_by_role("button", name="確認").click()
    expect(card).to_contain_text(re.compile(r"已於 \d{3}/\d{2}/\d{2} \d{2}:\d{2} 確認（第 \d+ 版）"))
    body = parent.locator("main").inner_text()
    assert not re.search(r"\b[0-9a-f]{32,}\b", body) and "undefined" not in body and "[object Object]" not in body
    assert "certified" not in body and "draft" not in body
    _check(parent, "parent-home")
    # the parent's home is its children's page; the school's pages are not its own
    parent.goto("/home")
    expect(parent).to_have_url(re.compile(r"/parent(\?|$)"))
    assert parent.goto("/registrar/guardians").status == 404
    assert parent.goto("/student/outcomes").status == 404
