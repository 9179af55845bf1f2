"""Every page at 1366 px and at 360 px: no console error, no horizontal page scroll, no internal id /
[object Object] / English status on the page, and axe-core (WCAG 2.1 A/AA) finds nothing serious or
critical. Screenshots land in var/screenshots/sweep for review.

`make test` visits every page once, as the most specialised role that may open it, and every role's
home; `make sweep` (LICHENG_SWEEP_FULL=1) visits every page as every role that may open it, which
takes four times as long.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import axe_playwright_python
import pytest

from gateway.blueprints.pages import PAGES
from shared.permissions import is_allowed
from shared.roles import Role
from tests.records.conftest import PASSWORD, rec_a  # noqa: F401
from tests.web.conftest import CHROMIUM_ARGS, log_in  # noqa: F401

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "sweep"
AXE = Path(axe_playwright_python.__file__).parent / "axe.min.js"
WIDTHS = (1366, 360)
HEX_ID = re.compile(r"\b[0-9a-f]{32}\b")
ENGLISH_STATUS = re.compile(r"\b(draft|published|submitted|certified|returned|pending|running|rejected|queued|accepted)\b")
ROLES = [r for r in Role if r is not Role.DISTRICT_ADMIN]
FULL = os.environ.get("LICHENG_SWEEP_FULL") == "1"


def _allowed(role: Role) -> list:
    return [p for p in PAGES if is_allowed(frozenset({role}), p.permission)]


def _pages_of(role: Role) -> list:
    """All the role's pages (full sweep), or those no more specialised role also opens (the fast one)."""
    if FULL:
        return _allowed(role)
    breadth = {r: len(_allowed(r)) for r in ROLES}
    return [p for p in _allowed(role) if min((r for r in ROLES if p in _allowed(r)), key=lambda r: (breadth[r], ROLES.index(r))) is role]


def _user(role: Role, school_a) -> tuple[str, str]:
    if role is Role.REGISTRAR:
        return "registrar", school_a.registrar_password
    if role is Role.STUDENT:
        return "a-stu-s001", PASSWORD
    return f"a-{role.value.replace('_', '-')}", PASSWORD


def _axe_findings(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => (await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }))
        .violations.filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`)"""
    )
    return list(result)


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_every_page_of_the_role_at_desktop_and_phone_width(browser, system, rec_a, school_a, role):  # noqa: F811
    username, password = _user(role, school_a)
    pages = _pages_of(role)
    problems: list[str] = []
    for width in WIDTHS:
        context = browser.new_context(
            base_url=system.base_url, locale="zh-TW", timezone_id="Asia/Taipei", viewport={"width": width, "height": 900}
        )
        context.set_default_timeout(15000)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, sink=errors: sink.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e, sink=errors: sink.append(str(e)))
        try:
            log_in(page, rec_a.code, username, password)
            for target in [None, *pages]:
                path = "/home" if target is None else target.path
                errors.clear()
                page.goto(path)
                page.wait_for_load_state("networkidle")
                where = f"{role.value} {path} @{width}"
                text = page.locator("body").inner_text()
                if errors:
                    problems.append(f"{where}: console {errors[:2]}")
                if page.evaluate("document.documentElement.scrollWidth") > width:
                    problems.append(f"{where}: scrolls sideways ({page.evaluate('document.documentElement.scrollWidth')} px)")
                for pattern, what in ((HEX_ID, "an internal id"), (ENGLISH_STATUS, "an English status")):
                    found = pattern.search(text)
                    if found:
                        problems.append(f"{where}: {what} {found.group(0)!r}")
                if "[object Object]" in text or "undefined" in text:
                    problems.append(f"{where}: [object Object]/undefined")
                problems += [f"{where}: axe {v}" for v in _axe_findings(page)]
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / f"{role.value}{path.replace('/', '-')}-{width}.png"), full_page=True)
        finally:
            context.close()
    assert not problems, "\n".join(problems)
