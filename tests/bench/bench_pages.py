"""What a person waits for in the browser on a 2,000-student school: each daily page opened in
Chromium until its list (or its figures) is on screen, several times; p50/p95 per page.

Used by `make bench BENCH=scale` on the school it builds (tests/bench/bench_scale.py)."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import sync_playwright

from tests.bench.harness import percentiles
from tests.web.conftest import CHROMIUM_ARGS

LIST = ("#record-list", "共")
# (who, page, what on it says it is ready: an element and the text it must contain)
PAGES: list[tuple[str, str, tuple[str, str]]] = [
    ("registrar", "/records/students", LIST),
    ("registrar", "/records/students?class_code=101", LIST),
    ("registrar", "/records/grades", LIST),
    ("registrar", "/records/grades?class_code=101", LIST),
    ("registrar", "/records/courses", LIST),
    ("registrar", "/records/attendance", LIST),
    ("registrar", "/registrar/accounts", ("#accounts", "共")),
    ("registrar", "/registrar/mail", ("#mail-log", "共")),
    ("registrar", "/home", ("main h1", "")),
    ("registrar", "/working-group/dashboard", ("#dashboard", "各班課程學習成果")),
    ("t001", "/records/grades?class_code=101", LIST),
    ("t001", "/teacher/certification", ("main h1", "")),
    ("t001", "/homeroom/class", ("main h1", "")),
]

# The page notes the moment its ready element first shows (a MutationObserver, from the navigation's
# start): Playwright's own waiting polls at growing intervals and would add up to half a second.
READY_CLOCK = """
(() => {
  const specs = %s;
  window.__readyAt = {};
  const check = () => {
    for (const [css, text] of specs) {
      const key = css + "|" + text;
      if (key in window.__readyAt) continue;
      const found = document.querySelector(css);
      if (found && found.textContent.includes(text)) window.__readyAt[key] = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true });
})();
"""


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
                specs = sorted({ready for _, _, ready in PAGES})
                context.add_init_script(READY_CLOCK % json.dumps(specs, ensure_ascii=False))
                page = context.new_page()
                _log_in(page, school, who, password)
                for _, path, ready in [p for p in PAGES if p[0] == who]:
                    times = []
                    css, text = ready
                    key = f"{css}|{text}"
                    for n in range(samples + 1):
                        page.goto(path)
                        page.locator(css).filter(has_text=text).first.wait_for()
                        if n:  # the first load warms the browser's cache of scripts and styles
                            times.append(page.evaluate("(key) => window.__readyAt[key]", key) / 1000)
                    results[f"{who} {path}"] = percentiles(times)
                context.close()
        finally:
            browser.close()
    return results
