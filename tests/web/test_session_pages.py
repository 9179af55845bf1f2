"""登入裝置 in a real Chromium: the password page lists the account's sessions, ends another device's
one, then logs out everywhere; each ended token is refused by both gateway workers."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.gateway.test_sessions import PASSWORD, _account, _raw_login, _wait_ended
from tests.support.api import Client
from tests.support.system import wait_until
from tests.web.conftest import log_in


def test_the_browser_ends_another_device_then_every_session(system, school_a, page):
    _account(school_a, "sess-chromium")
    other = _raw_login(system, school_a.code, "sess-chromium", headers={"User-Agent": "OtherDevice/3"})
    assert other.status_code == 200, other.text
    other_device = Client(system.base_url, token=other.json()["token"])
    log_in(page, school_a.code, "sess-chromium", PASSWORD)
    page.goto("/me/password")
    row = page.get_by_role("row").filter(has_text="OtherDevice/3")
    expect(row).to_have_count(1)
    expect(page.get_by_role("row").filter(has_text="目前使用中")).to_have_count(1)
    row.get_by_role("button", name="登出此裝置").click()
    expect(row.get_by_role("status")).to_contain_text("已登出此裝置")
    _wait_ended(other_device)
    assert page.request.get("/api/v1/me").status == 200  # this browser's session goes on

    token = next(c["value"] for c in page.context.cookies() if c["name"] == "licheng_session")
    page.get_by_role("button", name="登出所有裝置（包括這一個）").click()
    expect(page.get_by_role("status").filter(has_text="已登出所有裝置")).to_have_count(1)

    def refused_everywhere() -> bool:
        return all(
            requests.get(system.base_url + "/api/v1/me", cookies={"licheng_session": token}, timeout=30).status_code == 401
            for _ in range(10)
        )

    wait_until(refused_everywhere, 30, "the browser's cookie refused by both gateway workers", interval=1)
