"""The browser as a person uses it: zh-TW pages, errors beside fields, a phone-sized screen."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from playwright.sync_api import expect

from tests.web.conftest import log_in, wait_for_home

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_login_with_the_keyboard_and_see_the_role_pages(page, school_a):
    page.goto("/login")
    page.keyboard.press("Tab")  # the skip link is first on other pages; the login form starts with 學校代碼
    page.get_by_label("學校代碼").focus()
    page.keyboard.type(school_a.code)
    page.keyboard.press("Tab")
    page.keyboard.type("registrar")
    page.keyboard.press("Tab")
    page.keyboard.type(school_a.registrar_password)
    page.keyboard.press("Enter")
    wait_for_home(page)
    expect(page.get_by_role("link", name="帳號管理").first).to_be_visible()
    expect(page.locator("#notifications")).to_contain_text("目前沒有通知")


def test_wrong_password_shows_a_zh_tw_message(page, school_a):
    page.goto("/login")
    page.get_by_label("學校代碼").fill(school_a.code)
    page.get_by_label("帳號").fill("no-such-user")  # never a shared account: failures lock it
    page.get_by_label("密碼").fill("not-the-password")
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("alert")).to_contain_text("帳號或密碼錯誤")


def test_registrar_opens_an_account_and_sees_field_errors(page, school_a):
    log_in(page, school_a.code, "registrar", school_a.registrar_password)
    page.goto("/registrar/accounts")
    form = page.locator("form[data-api='POST /api/v1/accounts']")
    form.get_by_label("帳號").fill("web001")
    form.get_by_label("姓名").fill("網頁老師")
    form.get_by_label("任課教師").check()
    form.get_by_role("button", name="開設").click()
    expect(form.locator(".status")).to_contain_text("已開設帳號")
    # the list pages on the server (50 a page): find the new teacher through the role filter
    filters = page.locator("#accounts-filter")
    filters.get_by_label("角色").select_option("teacher")
    filters.get_by_role("button", name="查詢").click()
    expect(page.locator("#accounts")).to_contain_text("web001")

    form.get_by_label("帳號").fill("web002")
    form.get_by_label("任課教師").check()
    form.get_by_role("button", name="開設").click()  # no name
    expect(form.locator(".field-error").first).to_contain_text("此欄位為必填")
    expect(form.get_by_label("姓名")).to_have_attribute("aria-invalid", "true")


def test_import_with_errors_shows_the_row_table(page, school_a, tmp_path):
    book = Workbook()
    for row in (["帳號", "姓名", "角色", "班級"], ["webimp1", "甲", "student", "101"], ["webimp2", "乙", "wizard", "101"]):
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    path = tmp_path / "accounts.xlsx"
    path.write_bytes(data.getvalue())
    log_in(page, school_a.code, "registrar", school_a.registrar_password)
    page.goto("/registrar/accounts")
    form = page.locator("form[data-upload]")
    form.get_by_label("選擇檔案").set_input_files(str(path))
    form.get_by_role("button", name="匯入").click()
    expect(form.locator(".status")).to_contain_text("未匯入任何資料")
    expect(form.locator(".report tbody tr").first).to_contain_text("3")


def test_home_fits_a_360px_phone(browser, system, school_a):
    context = browser.new_context(base_url=system.base_url, viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    log_in(page, school_a.code, "registrar", school_a.registrar_password)
    page.goto("/registrar/accounts")
    page.locator("#accounts table").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "accounts-360.png"), full_page=False)
    context.close()


def test_a_page_of_another_role_is_not_found(page, system, school_a):
    created = school_a.registrar.post(
        "/api/v1/accounts", json={"username": "webstu", "display_name": "學生", "roles": ["student"], "password": "Web-stu-pass-1"}
    )
    assert created.status_code in (201, 409)
    log_in(page, school_a.code, "webstu", "Web-stu-pass-1")
    response = page.goto("/registrar/accounts")
    assert response.status == 404
