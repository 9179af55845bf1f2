"""Sign-in through a district's OpenID Connect providers: the browser's round trip (pages) and the
caller's linked sign-ins (API). gateway/sso.py verifies; identity links and opens the session."""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response

from gateway.auth import client_info, optional_caller, session_cookie_expiry, set_session_cookies
from gateway.endpoints import endpoint
from gateway.services import rpc, system_rpc
from gateway.sso import ProviderClient, SsoRefused
from services.identity.schemas import SsoLinkView
from shared.errors import LichengError, NotFound
from shared.permissions import Permission

pages = Blueprint("sso_pages", __name__)
api = Blueprint("sso_api", __name__, url_prefix="/api/v1")

STATE_COOKIE = "licheng_sso_state"
_STATE_PATH = "/login/sso"


def _registry():
    return current_app.extensions["sso"]


def _client(provider_id: str) -> ProviderClient:
    client = _registry().get(provider_id)
    if client is None:
        raise NotFound("沒有這個登入方式", f"no sign-in provider {provider_id!r}")
    return client


def _redirect_uri(provider_id: str) -> str:
    base = current_app.config["SETTINGS"].public_url or request.host_url
    return f"{base.rstrip('/')}{_STATE_PATH}/{provider_id}/callback"


def _safe_next(value: str | None) -> str:
    """Only a path of this site (never //host or a scheme): the login must not redirect elsewhere."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value and len(value) <= 500:
        return value
    return "/home"


def _refused(exc: LichengError) -> tuple[str, int]:
    return render_template("login.html", error=exc, form={}, providers=_registry().public()), exc.status


@pages.get(f"{_STATE_PATH}/<provider_id>")
def begin(provider_id: str):
    """The login page's provider button (or 我的帳號's 連結): off to the provider, with state kept twice."""
    try:
        client = _client(provider_id)
        link_session = ""
        if request.args.get("link"):
            caller = optional_caller()
            if caller is None:
                return redirect("/login?" + urlencode({"next": "/me/password"}))
            link_session = caller.session_id
        url, attempt = client.authorization_request(_redirect_uri(provider_id))
        with system_rpc() as services:
            services.identity.sso_remember(
                {**attempt, "provider": provider_id, "next": _safe_next(request.args.get("next")), "link_session": link_session}
            )
    except LichengError as exc:
        return _refused(exc)
    response = redirect(url, code=303)
    response.set_cookie(
        STATE_COOKIE,
        attempt["state"],
        max_age=600,
        httponly=True,
        samesite="Lax",  # sent on the provider's top-level redirect back to us, not on cross-site subrequests
        secure=current_app.config["SETTINGS"].cookie_secure,
        path=_STATE_PATH,
    )
    return response


@pages.get(f"{_STATE_PATH}/<provider_id>/callback")
def callback(provider_id: str):
    try:
        response = _finish(provider_id)
    except LichengError as exc:
        body, status = _refused(exc)
        response = Response(body, status=status, mimetype="text/html")
    response.delete_cookie(STATE_COOKIE, path=_STATE_PATH)
    return response


def _finish(provider_id: str) -> Response:
    client = _client(provider_id)
    if request.args.get("error"):
        raise SsoRefused("登入已取消或被登入服務拒絕，請重新登入", f"provider error: {request.args.get('error')[:100]}")
    state, code = request.args.get("state", ""), request.args.get("code", "")
    expected = request.cookies.get(STATE_COOKIE, "")
    if not state or not code or not expected or not hmac.compare_digest(state, expected):
        # Another browser's answer, a forged link, or the cookie expired: nothing is used.
        raise SsoRefused("登入逾時或不是從此瀏覽器開始的，請重新登入", "state does not match this browser's sign-in")
    with system_rpc() as services:
        attempt = services.identity.sso_take(state)
    if attempt is None or attempt["provider"] != provider_id:
        raise SsoRefused("此登入連結已使用過或已逾時，請重新登入", "unknown, used or expired state")
    token = client.exchange(code, attempt["code_verifier"], _redirect_uri(provider_id))
    claims = client.verify_id_token(token["id_token"], attempt["nonce"])
    if "email" not in claims:
        claims = {**client.userinfo(str(token.get("access_token") or ""), str(claims["sub"])), **claims}
    who = {
        "provider": provider_id,
        "issuer": client.provider.issuer,
        "subject": str(claims["sub"]),
        "email": str(claims.get("email") or "")[:254],
        "email_verified": claims.get("email_verified") is True,
    }
    if attempt["link_session"]:
        with system_rpc() as services:
            services.identity.sso_link(attempt["link_session"], who)
        return redirect("/me/password?" + urlencode({"linked": provider_id}), code=303)
    with system_rpc() as services:
        result = services.identity.sso_login(who, client_info())
    response = redirect(attempt["next"], code=303)
    set_session_cookies(response, result["token"], session_cookie_expiry(result))
    return response


@endpoint(api, "/auth/providers", "GET", summary="單一登入方式 / the district's sign-in providers", permission=None)
def providers():
    return jsonify([{**p, "login_url": f"{_STATE_PATH}/{p['id']}"} for p in _registry().public()])


@endpoint(
    api,
    "/me/sso",
    "GET",
    summary="我連結的登入方式 / my linked sign-ins",
    permission=Permission.SELF_ACCOUNT_READ,
    response=list[SsoLinkView],
)
def my_links():
    with rpc() as services:
        return jsonify(services.identity.my_sso_links())


@endpoint(
    api,
    "/me/sso/<provider_id>",
    "DELETE",
    summary="解除連結 / unlink a sign-in provider from my account",
    permission=Permission.SELF_ACCOUNT_READ,
    status=204,
)
def unlink(provider_id: str):
    with rpc() as services:
        services.identity.unlink_sso(provider_id)
    return "", 204
