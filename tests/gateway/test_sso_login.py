"""Sign-in through the district's OpenID Connect provider: a real provider process (zitadel/oidc's OP,
deploy/native/oidc-provider) with the static users of tests/support/oidc_users.json.

Each test drives the browser's round trip over HTTP: our login button → the provider's login form →
back at our callback. Covered: a first sign-in linked by the e-mail the school recorded, a link made
from a signed-in session, an unlinked subject, an unverified e-mail, a disabled account, a state that
is not this browser's, a callback replayed, a code and an ID token issued to another site (wrong
audience), an expired or replayed ID token, tokens signed with another algorithm, and that the
provider's session ends like a password session."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from gateway.sso import Provider, ProviderClient, SsoRefused
from tests.conftest import make_school
from tests.support.api import assert_problem, login
from tests.support.system import ROOT, wait_until

STATE_COOKIE = "licheng_sso_state"
PASSWORD = "Sso-pass-123"


@pytest.fixture(scope="module")
def provider_url(system) -> str:
    assert (ROOT / "var" / "bin" / "oidc-provider").exists(), "run `make test` (it builds the OpenID provider)"
    url = f"http://127.0.0.1:{system.oidc_port}"
    wait_until(lambda: requests.get(url + "/.well-known/openid-configuration", timeout=5).ok, 30, "the OpenID provider")
    return url


@pytest.fixture(scope="module")
def school(system, district):
    return make_school(system, district, "SSO001", "單一登入高中")


@pytest.fixture(scope="module")
def linked_by_email(school) -> str:
    """The account whose school e-mail is the provider user s-email's (linked at its first sign-in)."""
    return _account(school, "sso-email", email="S-Email@stu.tp.edu.tw")  # any case: e-mail addresses compare lower-cased


def _account(school, username: str, **extra) -> str:
    body = {"username": username, "display_name": "單一登入測試", "roles": ["student"], "password": PASSWORD, **extra}
    created = school.registrar.post("/api/v1/accounts", json=body)
    assert created.status_code == 201, created.text
    return created.json()["account"]["id"]


def _to_our_callback(browser: requests.Session, system, start: str, username: str) -> str:
    """From our login button through the provider's login form; returns our callback URL (not opened yet)."""
    form = browser.get(system.base_url + start, timeout=30)
    assert form.status_code == 200 and "/login/username" in form.text, (form.status_code, form.url)
    auth_request_id = parse_qs(urlsplit(form.url).query)["authRequestID"][0]
    provider = f"{urlsplit(form.url).scheme}://{urlsplit(form.url).netloc}"
    answer = browser.post(
        provider + "/login/username",
        data={"id": auth_request_id, "username": username, "password": "pw-" + username},
        allow_redirects=False,
        timeout=30,
    )
    for _ in range(5):
        assert answer.status_code in (302, 303), answer.text[:300]
        location = answer.headers["Location"]
        if location.startswith(system.base_url):
            return location
        answer = browser.get(provider + location if location.startswith("/") else location, allow_redirects=False, timeout=30)
    raise AssertionError("the provider never sent the browser back to us")


def _sign_in(system, username: str, browser: requests.Session | None = None) -> tuple[requests.Session, requests.Response]:
    browser = browser or requests.Session()
    callback = _to_our_callback(browser, system, "/login/sso/tpe", username)
    return browser, browser.get(callback, allow_redirects=False, timeout=30)


def _me(system, browser: requests.Session) -> requests.Response:
    return browser.get(system.base_url + "/api/v1/me", timeout=30)


def test_the_login_page_offers_the_districts_provider(system, provider_url):
    page = requests.get(system.base_url + "/login", timeout=30)
    assert "以臺北市校園單一身分驗證登入" in page.text and 'href="/login/sso/tpe"' in page.text
    listed = requests.get(system.base_url + "/api/v1/auth/providers", timeout=30).json()
    assert listed == [{"id": "tpe", "name": "臺北市校園單一身分驗證", "login_url": "/login/sso/tpe"}]


def test_the_schools_email_links_the_first_sign_in_and_later_ones_need_no_email(system, provider_url, linked_by_email):
    browser, done = _sign_in(system, "s-email")
    assert done.status_code == 303 and done.headers["Location"] == "/home"
    assert _me(system, browser).json()["username"] == "sso-email"
    # The provider vouched for the person: its session is not held at 變更密碼 by the initial password.
    links = browser.get(system.base_url + "/api/v1/me/sso", timeout=30).json()
    assert [(link["provider"], link["how"]) for link in links] == [("tpe", "email")]
    # The link is the subject's now: a second sign-in finds it without the e-mail.
    _, again = _sign_in(system, "s-email")
    assert again.status_code == 303


def test_a_signed_in_user_links_the_provider_and_then_signs_in_with_it(system, provider_url, school):
    _account(school, "sso-link")  # no e-mail: only a link made by the user opens it
    browser = requests.Session()
    logged_in = browser.post(
        system.base_url + "/login", data={"school_code": school.code, "username": "sso-link", "password": PASSWORD}, timeout=30
    )
    assert logged_in.status_code == 200
    callback = _to_our_callback(browser, system, "/login/sso/tpe?link=1", "s-link")
    linked = browser.get(callback, allow_redirects=False, timeout=30)
    assert linked.status_code == 303 and linked.headers["Location"] == "/me/password?linked=tpe"
    page = browser.get(system.base_url + linked.headers["Location"], timeout=30).text
    assert "已完成連結" in page and "解除連結" in page
    fresh, done = _sign_in(system, "s-link")
    assert done.status_code == 303 and _me(system, fresh).json()["username"] == "sso-link"


def test_the_same_subject_cannot_be_linked_to_a_second_account(system, provider_url, school):
    _account(school, "sso-first", email="s-browser@stu.tp.edu.tw")
    _, first = _sign_in(system, "s-browser")
    assert first.status_code == 303
    _account(school, "sso-second")
    browser = requests.Session()
    browser.post(system.base_url + "/login", data={"school_code": school.code, "username": "sso-second", "password": PASSWORD}, timeout=30)
    refused = browser.get(_to_our_callback(browser, system, "/login/sso/tpe?link=1", "s-browser"), allow_redirects=False, timeout=30)
    assert refused.status_code == 409 and "已連結到另一個帳號" in refused.text


def test_an_unlinked_subject_gets_a_clear_page_and_no_account(system, provider_url, school, identity_db):
    before = identity_db["accounts"].count_documents({})
    browser, refused = _sign_in(system, "nobody")
    assert refused.status_code == 403 and "尚未連結" in refused.text and "註冊組" in refused.text
    assert "licheng_session" not in browser.cookies
    assert identity_db["accounts"].count_documents({}) == before


def test_an_unverified_email_links_nothing(system, provider_url, school):
    _account(school, "sso-unverified", email="s-unverified@stu.tp.edu.tw")
    _, refused = _sign_in(system, "s-unverified")
    assert refused.status_code == 403 and "尚未連結" in refused.text


def test_a_disabled_account_cannot_sign_in_through_the_provider(system, provider_url, school):
    account_id = _account(school, "sso-disabled", email="s-disabled@stu.tp.edu.tw")
    assert school.registrar.patch(f"/api/v1/accounts/{account_id}", json={"disabled": True}).status_code == 200
    browser, refused = _sign_in(system, "s-disabled")
    assert refused.status_code == 403 and "停用" in refused.text
    assert "licheng_session" not in browser.cookies


def test_a_provider_session_ends_like_a_password_session(system, provider_url, linked_by_email):
    browser, done = _sign_in(system, "s-email")
    assert done.status_code == 303
    token = browser.cookies.get("licheng_session")
    ended = browser.post(
        system.base_url + "/api/v1/me/sessions/logout-everywhere", headers={"X-CSRF-Token": browser.cookies.get("licheng_csrf")}, timeout=30
    )
    assert ended.status_code == 204

    def refused_by_both_workers() -> bool:
        probes = [requests.get(system.base_url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30) for _ in range(8)]
        return all(p.status_code == 401 for p in probes)

    wait_until(refused_by_both_workers, 30, "the provider session's token refused everywhere", interval=1)


def test_a_state_from_another_browser_or_changed_is_refused(system, provider_url):
    mine = requests.Session()
    callback = _to_our_callback(mine, system, "/login/sso/tpe", "nobody")
    other = requests.Session()  # an attacker's browser handed my callback link: no state cookie of its own
    refused = other.get(callback, allow_redirects=False, timeout=30)
    assert refused.status_code == 400 and "不是從此瀏覽器開始" in refused.text
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    changed = f"{system.base_url}{parts.path}?" + urlencode({"code": query["code"][0], "state": "x" * 43})
    assert mine.get(changed, allow_redirects=False, timeout=30).status_code == 400


def test_a_replayed_callback_is_refused(system, provider_url, linked_by_email):
    browser = requests.Session()
    callback = _to_our_callback(browser, system, "/login/sso/tpe", "s-email")
    state = browser.cookies.get(STATE_COOKIE)
    assert browser.get(callback, allow_redirects=False, timeout=30).status_code == 303
    browser.cookies.set(STATE_COOKIE, state, path="/login/sso")  # as a copied cookie would be
    replayed = browser.get(callback, allow_redirects=False, timeout=30)
    assert replayed.status_code == 400 and "已使用過" in replayed.text


def _other_apps_tokens(system, provider_url: str, username: str, client_id: str, secret: str, redirect_uri: str) -> tuple[str, str]:
    """As another relying party would: its own authorization request; returns (its code, its nonce)."""
    browser = requests.Session()
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "client_id": client_id,
        "response_type": "code",
        "scope": "openid email",
        "redirect_uri": redirect_uri,
        "state": secrets.token_urlsafe(32),
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    form = browser.get(f"{provider_url}/auth?{urlencode(query)}", timeout=30)
    auth_request_id = parse_qs(urlsplit(form.url).query)["authRequestID"][0]
    answer = browser.post(
        provider_url + "/login/username",
        data={"id": auth_request_id, "username": username, "password": "pw-" + username},
        allow_redirects=False,
        timeout=30,
    )
    while not answer.headers["Location"].startswith(redirect_uri):
        location = answer.headers["Location"]
        answer = browser.get(provider_url + location if location.startswith("/") else location, allow_redirects=False, timeout=30)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = requests.post(
        provider_url + "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier},
        auth=(client_id, secret),
        timeout=30,
    )
    assert token.status_code == 200, token.text
    return token.json()["id_token"], nonce


def _our_client(system) -> ProviderClient:
    return ProviderClient(
        Provider(
            id="tpe", name="tpe", issuer=f"http://127.0.0.1:{system.oidc_port}/", client_id="licheng", client_secret=system.oidc_secret
        )
    )


def test_a_code_issued_to_another_site_is_refused_at_our_callback(system, provider_url, linked_by_email):
    browser = requests.Session()
    ours = _to_our_callback(browser, system, "/login/sso/tpe", "s-email")
    state = parse_qs(urlsplit(ours).query)["state"][0]
    # another site's code, smuggled into our callback with this browser's genuine state
    other_browser = requests.Session()
    nonce = secrets.token_urlsafe(32)
    query = {
        "client_id": "other-app",
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": f"{system.base_url}/other-app/callback",
        "state": "s" * 40,
        "nonce": nonce,
    }
    form = other_browser.get(f"{provider_url}/auth?{urlencode(query)}", timeout=30)
    auth_request_id = parse_qs(urlsplit(form.url).query)["authRequestID"][0]
    answer = other_browser.post(
        provider_url + "/login/username",
        data={"id": auth_request_id, "username": "s-email", "password": "pw-s-email"},
        allow_redirects=False,
    )
    while "/other-app/callback" not in answer.headers["Location"]:
        answer = other_browser.get(urljoin(provider_url, answer.headers["Location"]), allow_redirects=False, timeout=30)
    foreign_code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    smuggled = browser.get(
        f"{system.base_url}/login/sso/tpe/callback?" + urlencode({"code": foreign_code, "state": state}), allow_redirects=False, timeout=30
    )
    assert smuggled.status_code == 400 and "拒絕" in smuggled.text
    assert "licheng_session" not in browser.cookies


def test_an_id_token_for_another_audience_expired_or_replayed_is_refused(system, provider_url):
    ours = _our_client(system)
    foreign, foreign_nonce = _other_apps_tokens(
        system, provider_url, "s-link", "other-app", "other-secret", f"{system.base_url}/other-app/callback"
    )
    with pytest.raises(SsoRefused, match="aud"):
        ours.verify_id_token(foreign, foreign_nonce)

    token, nonce = _other_apps_tokens(
        system, provider_url, "s-link", "licheng", system.oidc_secret, f"{system.base_url}/login/sso/tpe/callback"
    )
    claims = ours.verify_id_token(token, nonce)  # genuine, ours, fresh: accepted
    assert claims["sub"] == "tpe-s-link"
    with pytest.raises(SsoRefused, match="exp"):
        ours.verify_id_token(token, nonce, now=int(claims["exp"]) + 61)  # past expiry beyond the leeway
    with pytest.raises(SsoRefused, match="nonce"):
        ours.verify_id_token(token, secrets.token_urlsafe(32))  # replayed into another sign-in: not its nonce


def test_tokens_signed_another_way_are_refused(system, provider_url):
    ours = _our_client(system)
    now = int(time.time())
    claims = {"iss": ours.provider.issuer, "aud": "licheng", "sub": "tpe-s-link", "iat": now, "exp": now + 300, "nonce": "n" * 40}
    symmetric = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(system.oidc_secret.encode()))  # the client secret as a key
    with pytest.raises(SsoRefused):
        ours.verify_id_token(symmetric, "n" * 40)
    stranger = jwt.encode({"alg": "RS256", "kid": "stranger"}, claims, RSAKey.generate_key(2048))  # a key the provider never published
    with pytest.raises(SsoRefused):
        ours.verify_id_token(stranger, "n" * 40)
    unsigned = (
        ".".join(base64.urlsafe_b64encode(part.encode()).rstrip(b"=").decode() for part in ('{"alg":"none"}', '{"sub":"tpe-s-link"}')) + "."
    )
    with pytest.raises(SsoRefused):
        ours.verify_id_token(unsigned, "n" * 40)


def test_an_unknown_provider_a_cancelled_sign_in_and_a_foreign_next(system, provider_url):
    assert requests.get(system.base_url + "/login/sso/nowhere", timeout=30).status_code == 404
    cancelled = requests.get(system.base_url + "/login/sso/tpe/callback?error=access_denied&state=x", timeout=30)
    assert cancelled.status_code == 400 and "取消" in cancelled.text
    start = requests.get(system.base_url + "/login/sso/tpe?next=//evil.example/", allow_redirects=False, timeout=30)
    assert start.status_code == 303 and start.headers["Location"].startswith(provider_url)


def test_unlinking_needs_a_link_and_is_the_callers_own(system, provider_url, school):
    _account(school, "sso-unlink")
    user = login(system.base_url, school.code, "sso-unlink", PASSWORD)
    assert_problem(user.delete("/api/v1/me/sso/tpe"), 404, "sso_link_not_found")
    assert user.get("/api/v1/me/sso").json() == []
