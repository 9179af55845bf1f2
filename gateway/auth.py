"""Who is calling: a Bearer token (API clients) or the session cookie (browsers, with CSRF check).

Tokens are verified locally (no identity call per request) and refused once their session ended
(gateway/sessions.py). A browser's cookie token that expired while its session lives on is renewed
by identity (idle sessions end there). Unsafe requests authenticated by cookie must echo the CSRF
cookie in the `X-CSRF-Token` header or a `csrf_token` form field (double submit).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import datetime

from flask import Flask, Response, current_app, g, request

from gateway.sessions import RevocationFeed
from shared.caller import Caller
from shared.errors import Forbidden, PasswordChangeRequired, Unauthenticated
from shared.tokens import TokenExpired, caller_from_claims, decode_token, verify_token

SESSION_COOKIE = "licheng_session"
CSRF_COOKIE = "licheng_csrf"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# What a session that must change its password may still do (API routes and pages).
MUST_CHANGE_ALLOWED = frozenset(
    {
        "/api/v1/me/password",
        "/api/v1/auth/logout",
        "/api/v1/auth/refresh",
        "/api/v1/me",
        "/api/v1/me/sessions/logout-everywhere",
        "/me/password",
        "/logout",
    }
)


def request_id() -> str:
    if "request_id" not in g:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if 8 <= len(given) <= 64 and given.replace("-", "").isalnum() else uuid.uuid4().hex
    return g.request_id


def _token_from_request() -> tuple[str | None, bool]:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Authorization 標頭格式錯誤", "use 'Authorization: Bearer <token>'")
        return token.strip(), False
    return request.cookies.get(SESSION_COOKIE), True


def _check_csrf() -> None:
    expected = request.cookies.get(CSRF_COOKIE, "")
    given = request.headers.get(CSRF_HEADER) or (request.form.get("csrf_token", "") if request.form else "")
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise Forbidden("表單驗證碼不符，請重新整理頁面", "missing or wrong CSRF token")


def optional_caller() -> Caller | None:
    if "caller" in g:
        return g.caller
    token, from_cookie = _token_from_request()
    caller = None
    if token:
        settings = current_app.config["SETTINGS"]
        try:
            caller = verify_token(token, secret=settings.jwt_secret, audience=settings.jwt_audience, request_id=request_id())
        except TokenExpired:
            if not from_cookie:
                raise
            caller = _renew_browser_session(token)
        if not caller.session_id or current_app.extensions["revocation_feed"].is_ended(caller.session_id):
            raise Unauthenticated("此登入已結束，請重新登入", "this session has ended; log in again")
        if from_cookie and request.method not in _SAFE_METHODS:
            _check_csrf()
    g.caller = caller
    return caller


def _renew_browser_session(token: str) -> Caller:
    """The cookie's access token expired: identity issues another while the session lives (not idle)."""
    from gateway.services import system_rpc  # the services module imports this one

    settings = current_app.config["SETTINGS"]
    claims = decode_token(token, secret=settings.jwt_secret, audience=settings.jwt_audience, allow_expired=True)
    with system_rpc() as services:
        result = services.identity.resume(str(claims.get("sid") or ""), str(claims["sub"]))
    g.renewed_session = result
    fresh = decode_token(result["token"], secret=settings.jwt_secret, audience=settings.jwt_audience)
    return caller_from_claims(fresh, request_id())


def current_caller() -> Caller:
    caller = optional_caller()
    if caller is None:
        raise Unauthenticated("請先登入", "authentication required")
    if caller.must_change_password and request.path not in MUST_CHANGE_ALLOWED:
        raise PasswordChangeRequired("此帳號須先變更初始密碼，才能使用其他功能", "this account must change its initial password first")
    return caller


def client_info() -> dict[str, str]:
    """Where a login comes from, for the throttle per address and the user's list of sessions."""
    return {"address": request.remote_addr or "", "user_agent": request.headers.get("User-Agent", "")[:200]}


def install_sessions(app: Flask) -> None:
    """The revocation feed of this worker, and the renewed cookie on the response that renewed it."""
    settings = app.config["SETTINGS"]
    app.extensions["revocation_feed"] = RevocationFeed(
        app.extensions["rpc_pool"], settings.revocation_poll_seconds, settings.access_ttl_seconds + 120
    )

    @app.after_request
    def _renewed_cookie(response: Response) -> Response:
        renewed = g.pop("renewed_session", None)
        if renewed and SESSION_COOKIE not in _cookies_set(response):
            set_session_cookie_only(response, renewed["token"], datetime.fromisoformat(renewed["session_expires_at"]))
        return response


def _cookies_set(response: Response) -> set[str]:
    return {header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")}


def session_cookie_expiry(result: dict) -> datetime:
    """A login's cookies last as long as its session may (the token inside is renewed meanwhile)."""
    return datetime.fromisoformat(result.get("session_expires_at") or result["expires_at"])


def set_session_cookie_only(response: Response, token: str, expires_at: datetime) -> None:
    secure = current_app.config["SETTINGS"].cookie_secure
    response.set_cookie(SESSION_COOKIE, token, expires=expires_at, httponly=True, samesite="Lax", secure=secure, path="/")


def set_session_cookies(response: Response, token: str, expires_at: datetime) -> None:
    secure = current_app.config["SETTINGS"].cookie_secure
    set_session_cookie_only(response, token, expires_at)
    response.set_cookie(
        CSRF_COOKIE, secrets.token_urlsafe(24), expires=expires_at, httponly=False, samesite="Strict", secure=secure, path="/"
    )


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
