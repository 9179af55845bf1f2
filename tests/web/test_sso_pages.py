"""A student signs in in Chromium with the district's OpenID provider (a real one, started by the test
system): the login page's button, the provider's own login form, and back on 首頁 as the student whose
school e-mail the provider vouched for; the login page passes axe at desktop and phone width."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.conftest import make_school
from tests.web.conftest import wait_for_home
from tests.web.test_page_sweep import _axe_findings

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_a_student_signs_in_with_the_districts_provider(page, system, district):
    school = make_school(system, district, "SSO002", "單一登入瀏覽器高中")
    created = school.registrar.post(
        "/api/v1/accounts",
        json={"username": "s-wu", "display_name": "吳淑芬", "roles": ["student"], "email": "s-chromium@stu.tp.edu.tw"},
    )
    assert created.status_code == 201, created.text
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 800), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/login")
        assert _axe_findings(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SHOTS / f"login-sso-{width}.png"), full_page=True)

    page.get_by_role("link", name="以臺北市校園單一身分驗證登入").click()
    page.get_by_label("Username:").fill("s-chromium")  # the provider's own page, in its own words
    page.get_by_label("Password:").fill("pw-s-chromium")
    page.get_by_role("button", name="Login").click()
    wait_for_home(page)
    expect(page.get_by_text("s-wu · SSO002")).to_be_visible()  # signed in as the school account, not a new one

    page.goto("/me/password")
    expect(page.get_by_text("已連結")).to_be_visible()
    page.screenshot(path=str(SHOTS / "me-sso-linked-360.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 800})
    page.screenshot(path=str(SHOTS / "me-sso-linked-1366.png"), full_page=True)
