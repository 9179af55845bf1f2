"""Login, refresh, logout, the caller's own account and its sessions (登入裝置)."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from gateway.auth import (
    SESSION_COOKIE,
    clear_session_cookies,
    client_info,
    optional_caller,
    session_cookie_expiry,
    set_session_cookie_only,
    set_session_cookies,
)
from gateway.endpoints import endpoint
from gateway.services import rpc
from services.identity.schemas import Account, ChangePassword, Login, LoginResult, Refresh, SessionView
from shared.permissions import Permission

bp = Blueprint("auth", __name__, url_prefix="/api/v1")


@endpoint(
    bp,
    "/auth/login",
    "POST",
    summary="登入 / log in (also sets the browser session cookie)",
    permission=None,
    body=Login,
    response=LoginResult,
)
def login():
    with rpc() as services:
        result = services.identity.login(g.body.model_dump(), client_info())
    response = jsonify(result)
    set_session_cookies(response, result["token"], session_cookie_expiry(result))
    return response


@endpoint(
    bp,
    "/auth/refresh",
    "POST",
    summary="換發存取權杖 / trade a refresh token for a new access token and refresh token",
    permission=None,
    body=Refresh,
    response=LoginResult,
)
def refresh():
    with rpc() as services:
        return jsonify(services.identity.refresh(g.body.model_dump(), client_info()))


@endpoint(bp, "/auth/logout", "POST", summary="登出 / log out", permission=None, status=204)
def logout():
    caller = optional_caller()
    if caller is not None:
        with rpc() as services:
            services.identity.logout()
        current_app.extensions["revocation_feed"].mark_ended(caller.session_id)
    response = jsonify({})
    response.status_code = 204
    clear_session_cookies(response)
    return response


@endpoint(bp, "/me", "GET", summary="我的帳號 / my account", permission=Permission.SELF_ACCOUNT_READ, response=Account)
def me():
    with rpc() as services:
        return jsonify(services.identity.me())


@endpoint(
    bp,
    "/me/password",
    "PUT",
    summary="變更密碼 / change my password (every other session ends; this one gets a new token)",
    permission=Permission.SELF_PASSWORD_UPDATE,
    body=ChangePassword,
    response=LoginResult,
)
def change_password():
    with rpc() as services:
        result = services.identity.change_password(g.body.model_dump())
    response = jsonify(result)
    if request.cookies.get(SESSION_COOKIE) and not request.headers.get("Authorization"):
        # The browser goes on with the new token; its CSRF cookie stays (the open page holds its value).
        set_session_cookie_only(response, result["token"], session_cookie_expiry(result))
    return response


@endpoint(
    bp, "/me/sessions", "GET", summary="登入裝置 / my open sessions", permission=Permission.SELF_ACCOUNT_READ, response=list[SessionView]
)
def my_sessions():
    with rpc() as services:
        return jsonify(services.identity.list_sessions())


@endpoint(
    bp,
    "/me/sessions/<session_id>",
    "DELETE",
    summary="登出某一裝置 / end one of my sessions",
    permission=Permission.SELF_ACCOUNT_READ,
    status=204,
)
def end_my_session(session_id: str):
    with rpc() as services:
        services.identity.end_session(session_id)
    current_app.extensions["revocation_feed"].mark_ended(session_id)
    return "", 204


@endpoint(
    bp,
    "/me/sessions/logout-everywhere",
    "POST",
    summary="登出所有裝置 / log out everywhere (this session too)",
    permission=Permission.SELF_ACCOUNT_READ,
    status=204,
)
def logout_everywhere():
    with rpc() as services:
        ended = services.identity.logout_everywhere()
    for session_id in ended:
        current_app.extensions["revocation_feed"].mark_ended(session_id)
    response = jsonify({})
    response.status_code = 204
    clear_session_cookies(response)
    return response
