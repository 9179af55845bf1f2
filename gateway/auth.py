"""Who is calling: a Bearer token (API clients) or the session cookie (browsers, with CSRF check).

Tokens are verified locally (no identity call per request). Unsafe requests authenticated by cookie
must echo the CSRF cookie in the `X-CSRF-Token` header or a `csrf_token` form field (double submit).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import datetime

from flask import Response, current_app, g, request

from shared.caller import Caller
from shared.errors import Forbidden, Unauthenticated
from shared.tokens import verify_token

SESSION_COOKIE = "licheng_session"
CSRF_COOKIE = "licheng_csrf"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


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
        caller = verify_token(token, secret=settings.jwt_secret, audience=settings.jwt_audience, request_id=request_id())
        if from_cookie and request.method not in _SAFE_METHODS:
            _check_csrf()
    g.caller = caller
    return caller


def current_caller() -> Caller:
    caller = optional_caller()
    if caller is None:
        raise Unauthenticated("請先登入", "authentication required")
    return caller


def set_session_cookies(response: Response, token: str, expires_at: datetime) -> None:
    secure = current_app.config["SETTINGS"].cookie_secure
    response.set_cookie(SESSION_COOKIE, token, expires=expires_at, httponly=True, samesite="Lax", secure=secure, path="/")
    response.set_cookie(
        CSRF_COOKIE, secrets.token_urlsafe(24), expires=expires_at, httponly=False, samesite="Strict", secure=secure, path="/"
    )


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
