"""Server-side sessions through the gateway's two workers: what ends a session ends its tokens everywhere
within 30 s; refresh, browser renewal and the idle timeout; the initial password; the throttle per
source address; the list of sessions and "log out everywhere"; every session event audited."""

from __future__ import annotations

import secrets
from datetime import timedelta

import requests

from shared.clock import utcnow
from shared.tokens import issue_token
from tests.support.api import Client, assert_problem, login, own_password
from tests.support.system import wait_until

PASSWORD = "Sess-pass-123"
PROBES = 10  # each probe is a new connection: gunicorn's two workers both answer some of them


def _ended_everywhere(client: Client, path: str = "/api/v1/me") -> bool:
    """The client's own kept-alive connection and PROBES fresh ones are all refused. The fresh ones
    alone may all be accepted by the same worker, while the client's connection stays with the other."""
    if client.get(path).status_code != 401:
        return False
    return all(
        requests.get(client.base_url + path, headers={"Authorization": f"Bearer {client.token}"}, timeout=30).status_code == 401
        for _ in range(PROBES)
    )


def _wait_ended(client: Client, path: str = "/api/v1/me") -> None:
    wait_until(lambda: _ended_everywhere(client, path), 30, "the old token refused by both gateway workers", interval=1)
    assert_problem(client.get(path), 401, "unauthenticated")


def _account(school, username: str, roles: list[str] | None = None, **extra) -> tuple[str, Client]:
    body = {"username": username, "display_name": "連線測試", "roles": roles or ["student"], "password": PASSWORD, **extra}
    created = school.registrar.post("/api/v1/accounts", json=body)
    assert created.status_code == 201, created.text
    return created.json()["account"]["id"], login(school.registrar.base_url, school.code, username, PASSWORD)


def _raw_login(system, school_code: str, username: str, password: str = PASSWORD, **kwargs) -> requests.Response:
    return requests.post(
        system.base_url + "/api/v1/auth/login",
        json={"school_code": school_code, "username": username, "password": password},
        timeout=30,
        **kwargs,
    )


def test_logout_ends_the_token_on_both_workers(school_a):
    _, user = _account(school_a, "sess-logout")
    assert user.get("/api/v1/me").status_code == 200
    assert user.post("/api/v1/auth/logout").status_code == 204
    _wait_ended(user)


def test_disabling_an_account_ends_its_sessions(school_a):
    account_id, user = _account(school_a, "sess-disable")
    assert user.get("/api/v1/outcomes/mine").status_code != 401  # (no 學籍 linked: 404, but authenticated)
    assert school_a.registrar.patch(f"/api/v1/accounts/{account_id}", json={"disabled": True}).status_code == 200
    _wait_ended(user, "/api/v1/outcomes/mine")


def test_a_password_reset_ends_its_sessions(school_a):
    account_id, user = _account(school_a, "sess-reset")
    assert school_a.registrar.post(f"/api/v1/accounts/{account_id}/reset-password").status_code == 200
    _wait_ended(user)


def test_a_role_change_ends_its_sessions_but_a_name_change_does_not(school_a):
    account_id, user = _account(school_a, "sess-role", ["teacher"])
    assert school_a.registrar.patch(f"/api/v1/accounts/{account_id}", json={"display_name": "新名字"}).status_code == 200
    assert user.get("/api/v1/me").status_code == 200
    assert school_a.registrar.patch(f"/api/v1/accounts/{account_id}", json={"roles": ["teacher", "homeroom"]}).status_code == 200
    _wait_ended(user)


def test_archiving_a_student_ends_the_students_sessions(system, district):
    from tests.records.conftest import fresh_school

    school = fresh_school(system, district, "M00015", "壬高中", "m")
    student = school.students["S003"]
    assert student.get("/api/v1/me").status_code == 200
    left = school.registrar.post("/api/v1/archive/students", json={"student_ids": ["S003"], "status": "轉出"})
    assert left.status_code == 200, left.text
    _wait_ended(student)
    assert school.students["S002"].get("/api/v1/me").status_code == 200  # a classmate keeps hers


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(system, school_a):
    _, phone = _account(school_a, "sess-change")
    laptop = login(system.base_url, school_a.code, "sess-change", PASSWORD)
    token = own_password(system.base_url, laptop.token, PASSWORD, "Sess-new-456")
    assert Client(system.base_url, token=token).get("/api/v1/me").status_code == 200
    assert laptop.get("/api/v1/me").status_code == 200  # the same session, its older token
    _wait_ended(phone)


def test_an_initial_password_allows_only_changing_it(system, school_a):
    created = school_a.registrar.post("/api/v1/accounts", json={"username": "sess-first", "display_name": "新生", "roles": ["teacher"]})
    initial = created.json()["initial_password"]
    first = _raw_login(system, school_a.code, "sess-first", initial).json()
    assert first["account"]["must_change_password"] is True
    user = Client(system.base_url, token=first["token"])
    for path in ("/api/v1/outcomes/mine", "/api/v1/records/students", "/api/v1/me/sessions", "/api/v1/notifications"):
        assert_problem(user.get(path), 403, "password_change_required")
    assert user.get("/api/v1/me").status_code == 200
    changed = user.put("/api/v1/me/password", json={"current_password": initial, "new_password": "Sess-mine-789"})
    assert changed.status_code == 200, changed.text
    fresh = Client(system.base_url, token=changed.json()["token"])
    assert fresh.get("/api/v1/me/sessions").status_code == 200
    assert_problem(user.get("/api/v1/me/sessions"), 403, "password_change_required")  # the old token still says so


def test_the_browser_is_sent_to_change_an_initial_password(system, school_a):
    created = school_a.registrar.post("/api/v1/accounts", json={"username": "sess-web", "display_name": "新生", "roles": ["teacher"]})
    browser = requests.Session()
    form = {"school_code": school_a.code, "username": "sess-web", "password": created.json()["initial_password"]}
    assert browser.post(system.base_url + "/login", data=form, allow_redirects=False, timeout=30).status_code == 303
    home = browser.get(system.base_url + "/home", allow_redirects=False, timeout=30)
    assert home.status_code == 302 and home.headers["Location"].endswith("/me/password")
    assert browser.get(system.base_url + "/me/password", timeout=30).status_code == 200


def test_refresh_trades_the_refresh_token_once(system, school_a):
    _account(school_a, "sess-refresh")
    first = _raw_login(system, school_a.code, "sess-refresh").json()
    assert first["refresh_token"].startswith(first["session_id"] + ".")
    refreshed = requests.post(system.base_url + "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}, timeout=30)
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert body["session_id"] == first["session_id"] and body["refresh_token"] != first["refresh_token"]
    assert Client(system.base_url, token=body["token"]).get("/api/v1/me").status_code == 200
    # The old refresh token again: somebody copied it; the whole session ends.
    again = requests.post(system.base_url + "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}, timeout=30)
    assert_problem(again, 401, "session_ended")
    _wait_ended(Client(system.base_url, token=body["token"]))
    for bad in ("x" * 30, "a" * 32 + "." + "b" * 43, ""):
        assert requests.post(system.base_url + "/api/v1/auth/refresh", json={"refresh_token": bad}, timeout=30).status_code in (401, 422)


def test_an_idle_session_cannot_be_refreshed(system, school_a, identity_db):
    _account(school_a, "sess-idle")
    first = _raw_login(system, school_a.code, "sess-idle").json()
    idle = timedelta(seconds=int(system.env["LICHENG_SESSION_IDLE_SECONDS"]) + 60)
    identity_db["sessions"].update_one({"_id": first["session_id"]}, {"$set": {"last_seen_at": utcnow() - idle}})
    refreshed = requests.post(system.base_url + "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}, timeout=30)
    assert_problem(refreshed, 401, "session_ended")


def _expired_cookie_token(system, login_result: dict) -> str:
    """The cookie's access token as it will be once expired (same session), signed with this run's secret."""
    account = login_result["account"]
    user = {**account, "_id": account["id"], "school_id": account["school_id"]}
    token, _ = issue_token(
        secret=system.env["LICHENG_JWT_SECRET"],
        audience="licheng",
        user=user,
        session_id=login_result["session_id"],
        now=utcnow() - timedelta(hours=3),
        ttl_seconds=60,
    )
    return token


def test_the_browser_session_is_renewed_until_it_idles(system, school_a, identity_db):
    _account(school_a, "sess-cookie")
    browser = Client(system.base_url)
    result = browser.post("/api/v1/auth/login", json={"school_code": school_a.code, "username": "sess-cookie", "password": PASSWORD}).json()
    host = browser.session.cookies.list_domains()[0]
    browser.session.cookies.set("licheng_session", _expired_cookie_token(system, result), domain=host, path="/")
    renewed = browser.get("/api/v1/me")
    assert renewed.status_code == 200, renewed.text
    assert "licheng_session=" in renewed.headers.get("Set-Cookie", "")
    assert browser.get("/api/v1/me").status_code == 200  # the renewed cookie
    # Bearer tokens are not renewed: API clients refresh.
    assert_problem(Client(system.base_url, token=_expired_cookie_token(system, result)).get("/api/v1/me"), 401)
    idle = timedelta(seconds=int(system.env["LICHENG_SESSION_IDLE_SECONDS"]) + 60)
    identity_db["sessions"].update_one({"_id": result["session_id"]}, {"$set": {"last_seen_at": utcnow() - idle}})
    browser.session.cookies.set("licheng_session", _expired_cookie_token(system, result), domain=host, path="/")
    assert_problem(browser.get("/api/v1/me"), 401)
    page = browser.get("/home", allow_redirects=False)
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_my_sessions_are_listed_and_end_one_by_one_or_everywhere(system, school_a):
    _, laptop = _account(school_a, "sess-list")
    phone = Client(
        system.base_url, token=_raw_login(system, school_a.code, "sess-list", headers={"User-Agent": "PhoneBrowser/1"}).json()["token"]
    )
    listed = laptop.get("/api/v1/me/sessions").json()
    assert len(listed) == 2  # this one (it set its own password), the phone
    assert sum(s["current"] for s in listed) == 1
    phone_session = next(s for s in listed if s["user_agent"] == "PhoneBrowser/1")
    assert phone_session["address"] and phone_session["created_at"] and phone_session["last_seen_at"]
    assert laptop.delete(f"/api/v1/me/sessions/{phone_session['id']}").status_code == 204
    _wait_ended(phone)
    assert_problem(laptop.delete(f"/api/v1/me/sessions/{phone_session['id']}"), 404)
    assert_problem(school_a.registrar.delete(f"/api/v1/me/sessions/{listed[0]['id']}"), 404)  # not the registrar's
    assert laptop.post("/api/v1/me/sessions/logout-everywhere").status_code == 204
    _wait_ended(laptop)


def test_failed_logins_from_one_address_throttle_that_address_only(system, school_a):
    _account(school_a, "sess-throttle")
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.7"
    limit = int(system.env.get("LICHENG_LOGIN_ADDRESS_MAX_FAILURES", "30"))
    for n in range(limit):  # different usernames: no account lock, only the address counts
        response = _raw_login(system, school_a.code, f"nobody{n}", "wrong-guess", headers={"X-Forwarded-For": address})
        assert_problem(response, 401, "login_failed")
    assert_problem(_raw_login(system, school_a.code, "sess-throttle", headers={"X-Forwarded-For": address}), 429, "address_throttled")
    assert _raw_login(system, school_a.code, "sess-throttle", headers={"X-Forwarded-For": "10.254.254.1"}).status_code == 200


def test_every_session_event_is_audited(school_a):
    account_id, user = _account(school_a, "sess-audit")
    user.post("/api/v1/auth/logout")
    entries = [e for e in school_a.registrar.get("/api/v1/audit", params={"limit": 500}).json() if e["target"] == account_id]
    actions = {e["action"] for e in entries}
    assert {"auth.login", "auth.password_changed", "auth.logout", "session.end"} <= actions
    assert any(e["action"] == "session.end" and e["note"].endswith(" logout") for e in entries)


def test_the_password_page_lists_my_sessions_in_zh_tw(system, school_a):
    _account(school_a, "sess-page")
    _raw_login(system, school_a.code, "sess-page", headers={"User-Agent": "OtherDevice/2"})
    browser = requests.Session()
    form = {"school_code": school_a.code, "username": "sess-page", "password": PASSWORD}
    assert browser.post(system.base_url + "/login", data=form, allow_redirects=False, timeout=30).status_code == 303
    page = browser.get(system.base_url + "/me/password", timeout=30)
    assert page.status_code == 200
    html = page.text
    assert "登入裝置" in html and "民國" in html and "目前使用中" in html and "OtherDevice/2" in html
    assert "登出此裝置" in html and "登出所有裝置" in html


def test_the_pages_logout_ends_the_session_on_the_server(system, school_a):
    _account(school_a, "sess-weblogout")
    browser = requests.Session()
    form = {"school_code": school_a.code, "username": "sess-weblogout", "password": PASSWORD}
    assert browser.post(system.base_url + "/login", data=form, allow_redirects=False, timeout=30).status_code == 303
    token, csrf = browser.cookies["licheng_session"], browser.cookies["licheng_csrf"]
    assert browser.post(system.base_url + "/logout", data={"csrf_token": csrf}, allow_redirects=False, timeout=30).status_code == 303
    _wait_ended(Client(system.base_url, token=token))


def test_a_browser_changing_its_password_goes_on_with_a_new_cookie_and_the_same_csrf(system, school_a):
    _account(school_a, "sess-webchange")
    browser = Client(system.base_url)
    login_body = {"school_code": school_a.code, "username": "sess-webchange", "password": PASSWORD}
    assert browser.post("/api/v1/auth/login", json=login_body).status_code == 200
    csrf = browser.session.cookies["licheng_csrf"]
    changed = browser.put(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "Web-new-321"}, headers={"X-CSRF-Token": csrf}
    )
    assert changed.status_code == 200, changed.text
    assert "licheng_session=" in changed.headers["Set-Cookie"] and "licheng_csrf=" not in changed.headers["Set-Cookie"]
    assert browser.get("/api/v1/me").status_code == 200
    assert browser.post("/api/v1/me/sessions/logout-everywhere", headers={"X-CSRF-Token": csrf}).status_code == 204
