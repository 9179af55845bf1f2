"""What a person waits for in the browser on a 2,000-student school: each daily page opened in
Chromium until its list (or its figures) is on screen, several times; p50/p95 per page.

Used by `make bench BENCH=scale` on the school it builds (tests/bench/bench_scale.py)."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import sync_playwright

from tests.bench.harness import percentiles
from tests.web.conftest import CHROMIUM_ARGS

# (who, page, what on it says it is ready)
PAGES: list[tuple[str, str, str]] = [
    ("registrar", "/records/students", "#record-list >> text=共"),
    ("registrar", "/records/students?class_code=101", "#record-list >> text=共"),
    ("registrar", "/records/grades", "#record-list >> text=共"),
    ("registrar", "/records/grades?class_code=101", "#record-list >> text=共"),
    ("registrar", "/records/courses", "#record-list >> text=共"),
    ("registrar", "/records/attendance", "#record-list >> text=共"),
    ("registrar", "/registrar/accounts", "#accounts >> text=共"),
    ("registrar", "/registrar/mail", "#mail-log >> text=共"),
    ("registrar", "/home", "main h1"),
    ("t001", "/records/grades?class_code=101", "#record-list >> text=共"),
    ("t001", "/teacher/certification", "main h1"),
    ("t001", "/homeroom/class", "main h1"),
]


def _log_in(page, school: str, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("學校代碼").fill(school)
    page.get_by_label("帳號").fill(username)
    page.get_by_label("密碼").fill(password)
    page.get_by_role("button", name="登入").click()
    page.wait_for_url("**/home")


def bench_pages(base_url: str, school: str, password: str, samples: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for who in dict.fromkeys(w for w, _, _ in PAGES):
                context = browser.new_context(base_url=base_url, locale="zh-TW", timezone_id="Asia/Taipei")
                context.set_default_timeout(60_000)
                page = context.new_page()
                _log_in(page, school, who, password)
                for _, path, ready in [p for p in PAGES if p[0] == who]:
                    times = []
                    for n in range(samples + 1):
                        started = time.perf_counter()
                        page.goto(path)
                        page.locator(ready).first.wait_for()
                        if n:  # the first load warms the browser's cache of scripts and styles
                            times.append(time.perf_counter() - started)
                    results[f"{who} {path}"] = percentiles(times)
                context.close()
        finally:
            browser.close()
    return results
