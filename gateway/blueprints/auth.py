"""Login, logout and the caller's own account."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, jsonify

from gateway.auth import clear_session_cookies, optional_caller, set_session_cookies
from gateway.endpoints import endpoint
from gateway.services import rpc
from services.identity.schemas import Account, ChangePassword, Login, LoginResult
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
        result = services.identity.login(g.body.model_dump())
    response = jsonify(result)
    set_session_cookies(response, result["token"], datetime.fromisoformat(result["expires_at"]))
    return response


@endpoint(bp, "/auth/logout", "POST", summary="登出 / log out", permission=None, status=204)
def logout():
    if optional_caller() is not None:
        with rpc() as services:
            services.identity.logout()
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
    summary="變更密碼 / change my password",
    permission=Permission.SELF_PASSWORD_UPDATE,
    body=ChangePassword,
    status=204,
)
def change_password():
    with rpc() as services:
        services.identity.change_password(g.body.model_dump())
    return "", 204
