"""A real headless Chromium (Debian's) driven by Playwright against the running system."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.api import login

# Assertions wait for the page as long as actions do: a loaded 2-core machine can take longer than
# Playwright's 5 s default to show the result of an RPC (a wait, not a timing assertion).
expect.set_options(timeout=15_000)

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    # Playwright gives every launch a fresh, empty profile of its own.
    with sync_playwright() as playwright:
        context_browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield context_browser
        context_browser.close()


@pytest.fixture
def page(browser, system):
    context = browser.new_context(base_url=system.base_url, locale="zh-TW", timezone_id="Asia/Taipei")
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, school: str, username: str, password: str) -> None:
    page.goto("/login")
    # An account with an initial password makes it its own first (the browser would be sent to 變更密碼).
    login(page.url.rsplit("/login", 1)[0], school, username, password)
    page.get_by_label("學校代碼").fill(school)
    page.get_by_label("帳號").fill(username)
    page.get_by_label("密碼").fill(password)
    page.get_by_role("button", name="登入").click()
    wait_for_home(page)


def wait_for_home(page) -> None:
    try:
        page.wait_for_url(re.compile(r"/(home|parent)(\?.*)?$"))  # a parent's home is 家長專區
    except Exception:
        alert = page.get_by_role("alert")
        raise AssertionError(f"login failed: {alert.inner_text() if alert.count() else page.content()[:500]}") from None
