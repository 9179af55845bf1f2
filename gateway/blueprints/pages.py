"""Browser pages in zh-TW. Each page is declared once (path, title, the permission it needs); the nav
and the home page list exactly the pages the caller's roles may open. Pages call the JSON API from
the browser (static/app.js), so the API stays the one way to do a thing."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request

from gateway.auth import CSRF_COOKIE, clear_session_cookies, client_info, optional_caller, session_cookie_expiry, set_session_cookies
from gateway.display_names import national_names
from gateway.record_forms import form_fields, list_columns, page_data
from gateway.services import rpc
from services.identity.schemas import Login
from services.records.division import TYPES, WINDOW_TYPES, RecordType
from services.records.rules import STATEMENT_FIELDS, STATEMENT_KINDS
from shared.caller import Caller
from shared.clock import to_taipei, utcnow
from shared.errors import LichengError
from shared.permissions import GRANTS, Permission, is_allowed
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
    nav: Permission | None = None  # listed in the nav only to roles holding this too (default: everyone allowed)
    context: Callable[[Caller], dict[str, Any]] | None = None  # extra template data for the caller


def _my_sessions(caller: Caller) -> dict[str, Any]:
    """登入裝置: where and when the caller's open sessions started and were last used (民國, Taipei time)."""
    try:
        with rpc() as services:
            found = services.identity.list_sessions()
    except LichengError:
        found = []
    return {
        "sessions": [{**s, "started": _roc_moment(s["created_at"]), "used": _roc_moment(s["last_seen_at"])} for s in found],
        **_my_sign_ins(),
    }


def _my_sign_ins() -> dict[str, Any]:
    """單一登入: the district's providers, each linked to the caller (since when) or not."""
    providers = current_app.extensions["sso"].public()
    if not providers:
        return {"sign_ins": []}
    try:
        with rpc() as services:
            linked = {link["provider"]: link for link in services.identity.my_sso_links()}
    except LichengError:
        linked = {}
    just_linked = request.args.get("linked", "")
    return {
        "sign_ins": [
            {
                **p,
                "linked_at": _roc_moment(linked[p["id"]]["linked_at"]) if p["id"] in linked else "",
                "just_linked": p["id"] == just_linked and p["id"] in linked,
            }
            for p in providers
        ]
    }


def _my_mail(caller: Caller) -> dict[str, Any]:
    """電子郵件通知: the address the school keeps on the account, and whether reminders go to it."""
    try:
        with rpc() as services:
            account = services.identity.me()
            setting = services.reminders.my_mail_settings()
    except LichengError:
        account, setting = {}, {"reminders": True}
    return {"email": account.get("email") or "", "reminders": setting.get("reminders", True)}


def _roc_moment(iso: str) -> str:
    moment = to_taipei(datetime.fromisoformat(iso))
    return f"民國 {moment.year - 1911} 年 {moment.month} 月 {moment.day} 日 {moment:%H:%M}"


_PORTFOLIO_OWN_SECTIONS = ("classes", "students", "courses", "selections", "grades", "performances", "counsellor_assignments")


def _portfolio(caller: Caller) -> dict[str, Any]:
    """The record types a student reads about themself, beyond those the portfolio shows in its own sections."""

    def own_columns(t: RecordType) -> list[tuple[str, str]]:  # the student's own records: no 學號/姓名 column
        return [(k, label) for k, label in list_columns(t) if k not in ("student_id", "student_name", "course_name")]

    def code_names(t: RecordType) -> dict[str, dict[str, str]]:  # codes shown by their zh-TW names
        return {f.name: f.options for f in form_fields(t) if f.kind in ("select", "multi")}

    others = [
        {"key": t.key, "label": t.label, "columns": own_columns(t), "options": code_names(t)}
        for t in TYPES.values()
        if Role.STUDENT in t.readers and t.key not in _PORTFOLIO_OWN_SECTIONS and is_allowed(caller.roles, t.read)
    ]
    return {"sections": others, "statement_fields": STATEMENT_FIELDS, "statement_kinds": STATEMENT_KINDS}


def _report_from(caller: Caller) -> dict[str, Any]:
    """The page a 問題回報 is about (`?from=` its path), named by its title; an unknown one is the home page."""
    origin = _BY_PATH.get(request.args.get("from", ""))
    return {"report_from": {"path": origin.path, "title": origin.title} if origin else {"path": "/home", "title": "首頁"}}


def _calendar(caller: Caller) -> dict[str, Any]:
    return {"window_types": {k: TYPES[k].label if k in TYPES else k for k in WINDOW_TYPES}}


def _record_page(t: RecordType) -> Page:
    """One generic page per record type of the division table: readers see the list, writers the form and import."""

    def context(caller: Caller) -> dict[str, Any]:
        return {"record": page_data(t, caller.roles), "can_write": is_allowed(caller.roles, t.write)}

    description = f"查閱{t.label}；負責單位登錄、匯入與匯出"
    return Page(f"/records/{t.key}", t.label, description, t.read, "records.html", nav=t.write, context=context)


PAGES: list[Page] = [
    Page("/district/schools", "學校管理", "新增學校並開設各校註冊組帳號", Permission.DISTRICT_SCHOOLS_READ, "district_schools.html"),
    Page("/registrar/accounts", "帳號管理", "開設、匯入、重設與停用帳號", Permission.SCHOOL_ACCOUNTS_READ, "accounts.html"),
    Page("/registrar/backups", "資料備份", "定期備份與封存的狀態", Permission.SCHOOL_BACKUPS_READ, "backups.html"),
    # archive
    Page("/registrar/archive", "封存與保存期限", "封存離校學生、下載歷程、清除逾期資料", Permission.SCHOOL_ARCHIVE_READ, "archive.html"),
    Page("/student/outcomes", "我的課程學習成果", "上傳作品、送出認證、勾選上傳", Permission.SELF_OUTCOMES_READ, "student_outcomes.html"),
    # national upload
    Page("/registrar/national", "國教署上傳", "檢查名冊、上傳、進度、收訖明細", Permission.SCHOOL_NATIONAL_UPLOAD, "national.html"),
    Page("/student/receipts", "收訖明細確認", "確認國教署收到的資料，或回報錯誤", Permission.SELF_RECEIPT_CONFIRM, "student_receipts.html"),
    # working group
    Page("/working-group", "工作小組", "成員、任期與會議紀錄", Permission.SCHOOL_WORKING_GROUP_READ, "working_group.html"),
    Page(
        "/working-group/trainings",
        "訓練與研習",
        "學生訓練、教師研習、親師說明與點名",
        Permission.SCHOOL_TRAININGS_READ,
        "wg_trainings.html",
    ),
    Page(
        "/working-group/dashboard",
        "成效評核",
        "各單位與各班完成情形圖表、敘獎提案",
        Permission.SCHOOL_EFFECTIVENESS_READ,
        "wg_dashboard.html",
    ),
    # deadline console
    Page(
        "/national/deadline",
        "截止日上傳監控",
        "各校國教署上傳進度、佇列深度、上傳程序數、重試與無法送達件數（即時更新）",
        Permission.DISTRICT_UPLOAD_CONSOLE_READ,
        "deadline_console.html",
    ),
    Page("/me/password", "變更密碼", "定期更換密碼，保護個人資料", Permission.SELF_PASSWORD_UPDATE, "password.html", context=_my_sessions),
    # web client
    Page(
        "/student/portfolio",
        "我的學習歷程",
        "基本資料、修課成績、成果、多元表現、自傳與學習計畫",
        Permission.SELF_OUTCOMES_READ,
        "student_portfolio.html",
        context=_portfolio,
    ),
    Page(
        "/teacher/certification",
        "成果認證",
        "預覽並認證或退回課程學習成果；代理人",
        Permission.COURSE_QUEUE_READ,
        "teacher_certification.html",
    ),
    Page(
        "/homeroom/class",
        "班級進度",
        "全班進度、提醒學生、檢核自傳與學習計畫",
        Permission.CLASS_PROGRESS_READ,
        "homeroom.html",
    ),
    Page(
        "/statements/check",
        "自傳與學習計畫檢核",
        "閱讀學生的自傳與學習計畫並留言檢核",
        Permission.SCHOOL_STATEMENTS_CHECK,
        "statements_check.html",
    ),
    Page(
        "/registrar/calendar",
        "學期與登錄時段",
        "截止日、登錄時段、重新開放、學期檢核",
        Permission.SCHOOL_CALENDAR_WRITE,
        "calendar.html",
        context=_calendar,
    ),
    Page(
        "/help/reports",
        "問題回報",
        "操作遇到問題時回報給註冊組，並查看回覆",
        Permission.SELF_PROBLEM_REPORTS_WRITE,
        "problem_reports.html",
        context=_report_from,
    ),
    Page(
        "/registrar/problem-reports",
        "問題回報處理",
        "閱讀全校的問題回報（頁面、瀏覽器）並回覆",
        Permission.SCHOOL_PROBLEM_REPORTS_MANAGE,
        "problem_reports_admin.html",
    ),
    Page(
        "/me/notifications",
        "電子郵件通知",
        "截止日提醒、待認證彙整等提醒信的收信設定",
        Permission.SELF_MAIL_SETTINGS,
        "mail_settings.html",
        context=_my_mail,
    ),
    Page(
        "/registrar/mail",
        "郵件寄送紀錄",
        "提醒信寄給了誰、退信與寄送失敗，並可立即寄送今日提醒",
        Permission.SCHOOL_MAIL_MANAGE,
        "mail_log.html",
    ),
    # parents (家長)
    Page("/parent", "家長專區", "查看子女的學習成果、認證與勾選、收訖明細，並確認勾選確認單", Permission.SELF_CHILDREN_READ, "parent.html"),
    Page("/registrar/guardians", "家長邀請", "產生並列印家長邀請碼、查看與移除家長", Permission.SCHOOL_GUARDIANS_MANAGE, "guardians.html"),
    *(_record_page(t) for t in TYPES.values()),
]
_BY_PATH = {page.path: page for page in PAGES}


def pages_for(caller: Caller) -> list[Page]:
    return [page for page in PAGES if is_allowed(caller.roles, page.permission)]


def nav_for(caller: Caller) -> list[Page]:
    return [page for page in pages_for(caller) if page.nav is None or is_allowed(caller.roles, page.nav)]


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
        nav=nav_for(caller),
        csrf=request.cookies.get(CSRF_COOKIE, ""),
        labels={str(role): name for role, name in ROLE_NAMES_ZH.items()},
        names=national_names(),
        **context,
    )


@bp.get("/")
def index():
    return redirect("/home" if _caller_or_none() else "/login")


@bp.get("/login")
def login_page():
    return render_template(
        "login.html", error=None, form={}, providers=current_app.extensions["sso"].public(), next=request.args.get("next", "")
    )


@bp.post("/login")
def login_submit():
    form = {k: request.form.get(k, "") for k in ("school_code", "username", "password")}
    try:
        request_model = parse(Login, form)
        with rpc() as services:
            result = services.identity.login(request_model.model_dump(), client_info())
    except LichengError as exc:
        form.pop("password", None)
        return render_template("login.html", error=exc, form=form, providers=current_app.extensions["sso"].public()), exc.status
    response = redirect("/home", code=303)
    set_session_cookies(response, result["token"], session_cookie_expiry(result))
    return response


@bp.post("/logout")
def logout_submit():
    # The session ends on the server too, not only in this browser.
    caller = _caller_or_none()
    if caller is not None:
        with contextlib.suppress(LichengError):  # an ended session logs out all the same
            with rpc() as services:
                services.identity.logout()
            current_app.extensions["revocation_feed"].mark_ended(caller.session_id)
    response = redirect("/login", code=303)
    clear_session_cookies(response)
    return response


@bp.get("/home")
def home():
    caller = _caller_or_none()
    if caller is None:
        return redirect("/login")
    if caller.must_change_password:
        return redirect("/me/password")
    if caller.has(Role.PARENT):  # a parent's home is its children's page
        return redirect("/parent")
    writable = [{"key": t.key, "label": t.label, "semester": t.semester} for t in TYPES.values() if is_allowed(caller.roles, t.write)]
    todo = {"roles": sorted(caller.roles), "writable": writable}
    mine = [p for p in pages_for(caller) if p.path != "/me/password"]
    records = [p for p in mine if p.path.startswith("/records/")]
    return _render(
        "home.html",
        caller,
        pages=[p for p in mine if p not in records],
        record_pages=records,
        todo=todo,
        warnings=_working_group_warnings(caller) + _mail_warnings(caller),
    )


def _working_group_warnings(caller: Caller) -> list[dict]:
    """working group: the secretary's home page warns about a semester without a meeting."""
    if not is_allowed(caller.roles, Permission.SCHOOL_WORKING_GROUP_READ):
        return []
    try:
        with rpc() as services:
            return services.working_group.warnings()
    except LichengError:
        return []


def _mail_warnings(caller: Caller) -> list[dict]:
    """註冊組: reminders that bounced or failed lately (a wrong address keeps a student uninformed)."""
    if not is_allowed(caller.roles, Permission.SCHOOL_MAIL_MANAGE):
        return []
    try:
        with rpc() as services:
            return services.reminders.warnings()
    except LichengError:
        return []


@bp.get("/<path:path>")
def page(path: str):
    target = _BY_PATH.get("/" + path)
    if target is None:
        abort(404)
    caller = _caller_or_none()
    if caller is None:
        return redirect(f"/login?next=/{path}")
    if caller.must_change_password and target.path != "/me/password":
        return redirect("/me/password")
    if not is_allowed(caller.roles, target.permission):
        # The same answer as for a page that does not exist: a role never learns what others may open.
        return _render("not_found.html", caller), 404
    extra = target.context(caller) if target.context else {}
    return _render(target.template, caller, page=target, page_help=_help(target), default_year=_academic_year(), **extra)


def _help(target: Page) -> str:
    """A short zh-TW 說明 for the page: what it is for and which units use it (from the permission table)."""
    writer = target.nav or target.permission
    units = [ROLE_NAMES_ZH[r] for r in Role if r in GRANTS[writer]]
    return f"{target.description}。使用單位：{'、'.join(units)}。" if units else f"{target.description}。"


def _academic_year() -> int:
    """The ROC academic year of today (a year starts in August)."""
    today = to_taipei(utcnow()).date()
    return today.year - 1911 - (0 if today.month >= 8 else 1)
