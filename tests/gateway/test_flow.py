"""End to end through the gateway over HTTP: the district opens schools, registrars open accounts,
people log in, in the browser and by API."""

from __future__ import annotations

import io

import requests
from openpyxl import Workbook

from tests.support.api import Client, assert_problem, login


def test_registrar_opens_an_account_and_the_user_logs_in(system, school_a):
    created = school_a.registrar.post("/api/v1/accounts", json={"username": "flow01", "display_name": "流程老師", "roles": ["teacher"]})
    assert created.status_code == 201, created.text
    body = created.json()
    first = requests.post(
        system.base_url + "/api/v1/auth/login",
        json={"school_code": school_a.code, "username": "flow01", "password": body["initial_password"]},
        timeout=30,
    )
    user = Client(system.base_url, token=first.json()["token"])
    me = user.get("/api/v1/me").json()
    assert me["username"] == "flow01" and me["roles"] == ["teacher"] and me["must_change_password"]
    assert (
        user.put("/api/v1/me/password", json={"current_password": body["initial_password"], "new_password": "Brand-new-9"}).status_code
        == 200
    )
    assert login(system.base_url, school_a.code, "flow01", "Brand-new-9").get("/api/v1/me").json()["must_change_password"] is False


def test_bulk_import_from_xlsx_reports_rows_and_imports_nothing_on_error(school_a):
    book = Workbook()
    for row in (
        ["帳號", "姓名", "角色", "班級"],
        ["xl1", "甲", "student", "101"],
        ["xl2", "乙", "wizard", "101"],
        ["xl3", "丙", "student", "999"],
    ):
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    response = school_a.registrar.post("/api/v1/accounts/import", files={"file": ("accounts.xlsx", data.getvalue())})
    assert response.status_code == 422
    report = response.json()
    assert report["imported"] == 0
    assert {(e["row"], e["code"]) for e in report["errors"]} == {(3, "unknown_role"), (4, "bad_class")}
    listed = school_a.registrar.get("/api/v1/accounts", params={"per_page": 200}).json()["items"]
    assert not any(a["username"] == "xl1" for a in listed)


def test_bulk_import_from_csv(school_a):
    csv_data = 'username,display_name,roles,class_code\ncsv1,甲,student,102\ncsv2,乙,"teacher,homeroom",102\n'.encode()
    response = school_a.registrar.post("/api/v1/accounts/import", files={"file": ("a.csv", csv_data)})
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 2 and response.json()["password_sheet"]["state"] == "ready"
    sheet = school_a.registrar.get(response.json()["password_sheet"]["url"])
    assert sheet.status_code == 200 and "csv1" in sheet.text and "csv2" in sheet.text
    students = school_a.registrar.get("/api/v1/accounts", params={"role": "student", "class_code": "102"}).json()["items"]
    assert "csv1" in [a["username"] for a in students] and "csv2" not in [a["username"] for a in students]


def test_malformed_import_file_is_refused(school_a):
    response = school_a.registrar.post("/api/v1/accounts/import", files={"file": ("a.xlsx", b"PK\x03\x04broken")})
    assert_problem(response, 422, "validation_failed")
    assert_problem(school_a.registrar.post("/api/v1/accounts/import", data={"nofile": "1"}), 422)


def test_disabled_account_is_refused_at_login(system, school_a):
    created = school_a.registrar.post("/api/v1/accounts", json={"username": "leaver", "display_name": "離校", "roles": ["student"]}).json()
    school_a.registrar.patch(f"/api/v1/accounts/{created['account']['id']}", json={"disabled": True})
    response = requests.post(
        system.base_url + "/api/v1/auth/login",
        json={"school_code": school_a.code, "username": "leaver", "password": created["initial_password"]},
    )
    assert_problem(response, 403, "account_disabled")


def test_repeated_failures_lock_the_login_across_gateway_workers(system, school_a):
    school_a.registrar.post(
        "/api/v1/accounts", json={"username": "victim", "display_name": "甲", "roles": ["student"], "password": "Victim-pass-1"}
    )
    for _ in range(3):  # the test system allows 3 failures; requests spread over both gunicorn workers
        response = requests.post(
            system.base_url + "/api/v1/auth/login", json={"school_code": school_a.code, "username": "victim", "password": "bad-guess"}
        )
        assert_problem(response, 401, "login_failed")
    response = requests.post(
        system.base_url + "/api/v1/auth/login", json={"school_code": school_a.code, "username": "victim", "password": "Victim-pass-1"}
    )
    assert_problem(response, 429, "account_locked")
    assert response.headers.get("Retry-After")


def test_audit_trail_records_auth_events(school_a):
    entries = school_a.registrar.get("/api/v1/audit", params={"limit": 500}).json()
    actions = {e["action"] for e in entries}
    assert {"account.create", "auth.login"} <= actions


def test_browser_login_sets_httponly_cookie_and_home_lists_role_tasks(system, school_a):
    browser = requests.Session()
    page = browser.get(system.base_url + "/login")
    assert page.status_code == 200 and "學校代碼" in page.text
    response = browser.post(
        system.base_url + "/login",
        data={"school_code": school_a.code, "username": "registrar", "password": school_a.registrar_password},
        allow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/home")
    assert "HttpOnly" in response.headers["Set-Cookie"] and "SameSite=Lax" in response.headers["Set-Cookie"]
    home = browser.get(system.base_url + "/home")
    assert home.status_code == 200 and "註冊組" in home.text and "帳號管理" in home.text


def test_wrong_login_on_the_page_shows_a_zh_tw_error(system, school_a):
    response = requests.post(system.base_url + "/login", data={"school_code": school_a.code, "username": "no-such-user", "password": "x"})
    assert response.status_code == 401 and "帳號或密碼錯誤" in response.text


def test_cookie_session_needs_the_csrf_token_for_changes(system, school_a):
    browser = Client(system.base_url)
    response = browser.post(
        "/api/v1/auth/login", json={"school_code": school_a.code, "username": "registrar", "password": school_a.registrar_password}
    )
    assert response.status_code == 200
    body = {"username": "csrf1", "display_name": "甲", "roles": ["student"]}
    assert_problem(browser.post("/api/v1/accounts", json=body), 403, "forbidden")
    csrf = browser.session.cookies.get("licheng_csrf")
    assert browser.post("/api/v1/accounts", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    assert browser.get("/api/v1/me").status_code == 200  # reads need no token


def test_logout_clears_the_cookies(system, school_a):
    browser = Client(system.base_url)
    browser.post(
        "/api/v1/auth/login", json={"school_code": school_a.code, "username": "registrar", "password": school_a.registrar_password}
    )
    csrf = browser.session.cookies.get("licheng_csrf")
    assert browser.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert_problem(browser.get("/api/v1/me"), 401)


def test_health_probes_and_metrics(system, anonymous):
    assert anonymous.get("/healthz").json() == {"ok": True}
    ready = anonymous.get("/readyz").json()
    assert ready["ok"] and ready["services"]["identity"]["ok"]
    anonymous.get("/api/v1/me")
    metrics = anonymous.get("/metrics").text
    assert "licheng_gateway_requests_total" in metrics and 'route="/api/v1/me"' in metrics
