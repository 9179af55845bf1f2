"""The registrar archives a student who left, finds the portfolio download, and sees the retention."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.records.conftest import PASSWORD, fresh_school
from tests.web.conftest import log_in

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CODE = "X00009"


@pytest.fixture(scope="module")
def school(system, district):
    return fresh_school(system, district, CODE, "己高中", "x")


def test_registrar_archives_a_leaver_and_can_download_the_portfolio(page, school):
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, CODE, "registrar", school.registrar_password)
    page.goto("/registrar/archive")
    expect(page.locator("#retention-now")).to_contain_text("目前保存")
    page.get_by_label("學號（多位以逗號或空白分隔）").fill("S003")
    page.get_by_label("離校原因").select_option("轉出")
    page.get_by_role("button", name="封存", exact=True).click()
    expect(page.locator("#archive-form .status")).to_contain_text("已封存 1 位")
    link = page.get_by_role("link", name="下載 S003 學生3 的學習歷程（ZIP）")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".zip")
    page.get_by_label("離校後保存年數").fill("3")
    page.get_by_role("button", name="儲存").click()
    expect(page.locator("#retention-now")).to_contain_text("目前保存 3 年")
    page.get_by_role("button", name="試算（不刪除）").click()
    expect(page.locator("#purge-status")).to_contain_text("試算：0 位")
    page.screenshot(path=str(SHOTS / "archive-registrar.png"), full_page=True)


def test_a_teacher_cannot_open_the_archive_page(page, school):
    log_in(page, CODE, "x-teacher", PASSWORD)
    assert page.goto("/registrar/archive").status == 404
