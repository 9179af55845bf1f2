"""The deadline console in Chromium: the registrar opens it from the nav and sees the school's upload
and the work queue, refreshed without reloading the page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.national_upload.test_console import _upload_with_items
from tests.web.conftest import log_in


def test_registrar_follows_the_upload_on_the_deadline_console(page, system, school_a):
    _upload_with_items(system, school_a.code)
    log_in(page, school_a.code, "registrar", school_a.registrar_password)
    page.get_by_role("link", name="截止日上傳監控").first.click()
    expect(page.get_by_role("heading", name="截止日上傳監控")).to_be_visible()
    expect(page.locator("#deadline-queue")).to_contain_text("上傳程序（workers）")
    expect(page.locator("#deadline-schools table")).to_contain_text(school_a.code)
    expect(page.locator("#deadline-schools table")).to_contain_text("已完成")
    first = page.locator("#deadline-updated").inner_text()
    expect(page.locator("#deadline-updated")).not_to_have_text(first, timeout=15000)  # refreshed live
    page.get_by_role("button", name="暫停本校上傳").click()
    expect(page.locator("#deadline-pause .status")).to_have_text("已暫停本校上傳")
    expect(page.locator("#deadline-schools tbody tr").first.locator("td").last).to_have_text("是")
    page.get_by_role("button", name="恢復上傳").click()
    expect(page.locator("#deadline-pause .status")).to_have_text("已恢復上傳")
