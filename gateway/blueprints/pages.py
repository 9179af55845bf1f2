"""Browser pages in zh-TW. Each page is declared once (path, title, the permission it needs); the nav
and the home page list exactly the pages the caller's roles may open. Pages call the JSON API from
the browser (static/app.js), so the API stays the one way to do a thing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, redirect, render_template, request

from gateway.auth import CSRF_COOKIE, clear_session_cookies, optional_caller, set_session_cookies
from gateway.services import rpc
from services.identity.schemas import Login
from shared.caller import Caller
from shared.errors import LichengError
from shared.permissions import Permission, is_allowed
from shared.roles import ROLE_NAMES_ZH, Role
from shared.validation import parse

bp = Blueprint("pages", __name__)


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    description: str
    permission: Permission
    template: str


PAGES: list[Page] = [
    Page("/district/schools", "學校管理", "新增學校並開設各校註冊組帳號", Permission.DISTRICT_SCHOOLS_READ, "district_schools.html"),
    Page("/registrar/accounts", "帳號管理", "開設、匯入、重設與停用帳號", Permission.SCHOOL_ACCOUNTS_READ, "accounts.html"),
    Page("/registrar/backups", "資料備份", "定期備份與封存的狀態", Permission.SCHOOL_BACKUPS_READ, "backups.html"),
    Page("/student/outcomes", "我的課程學習成果", "上傳作品、送出認證、勾選上傳", Permission.SELF_OUTCOMES_READ, "student_outcomes.html"),
    # deadline console (issue 10)
    Page(
        "/national/deadline",
        "截止日上傳監控",
        "各校國教署上傳進度、佇列深度、上傳程序數、重試與無法送達件數（即時更新）",
        Permission.DISTRICT_UPLOAD_CONSOLE_READ,
        "deadline_console.html",
    ),
    Page("/me/password", "變更密碼", "定期更換密碼，保護個人資料", Permission.SELF_PASSWORD_UPDATE, "password.html"),
]
_BY_PATH = {page.path: page for page in PAGES}


def pages_for(caller: Caller) -> list[Page]:
    return [page for page in PAGES if is_allowed(caller.roles, page.permission)]


def _caller_or_none() -> Caller | None:
    try:
        return optional_caller()
    except LichengError:
        return None


def _render(template: str, caller: Caller, **context: object) -> str:
    roles = sorted(caller.roles, key=list(Role).index)
    return render_template(
        template,
        caller=caller,
        role_names=[ROLE_NAMES_ZH[r] for r in roles],
        nav=pages_for(caller),
        csrf=request.cookies.get(CSRF_COOKIE, ""),
        labels={str(role): name for role, name in ROLE_NAMES_ZH.items()},
        **context,
    )


@bp.get("/")
def index():
    return redirect("/home" if _caller_or_none() else "/login")


@bp.get("/login")
def login_page():
    return render_template("login.html", error=None, form={})


@bp.post("/login")
def login_submit():
    form = {k: request.form.get(k, "") for k in ("school_code", "username", "password")}
    try:
        request_model = parse(Login, form)
        with rpc() as services:
            result = services.identity.login(request_model.model_dump())
    except LichengError as exc:
        form.pop("password", None)
        return render_template("login.html", error=exc, form=form), exc.status
    response = redirect("/home", code=303)
    set_session_cookies(response, result["token"], datetime.fromisoformat(result["expires_at"]))
    return response


@bp.post("/logout")
def logout_submit():
    response = redirect("/login", code=303)
    clear_session_cookies(response)
    return response


@bp.get("/home")
def home():
    caller = _caller_or_none()
    if caller is None:
        return redirect("/login")
    return _render("home.html", caller, pages=[p for p in pages_for(caller) if p.path != "/me/password"])


@bp.get("/<path:path>")
def page(path: str):
    target = _BY_PATH.get("/" + path)
    if target is None:
        abort(404)
    caller = _caller_or_none()
    if caller is None:
        return redirect(f"/login?next=/{path}")
    if not is_allowed(caller.roles, target.permission):
        abort(404)
    return _render(target.template, caller, page=target)
