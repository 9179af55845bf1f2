"""Browser pages in zh-TW: login and a landing page per role (the full UI grows with later issues)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, redirect, render_template, request

from gateway.auth import CSRF_COOKIE, clear_session_cookies, optional_caller, set_session_cookies
from gateway.services import rpc
from services.identity.schemas import Login
from shared.errors import LichengError
from shared.roles import ROLE_NAMES_ZH, Role
from shared.validation import parse

bp = Blueprint("pages", __name__)

# What each role finds on its landing page: (title, description), in zh-TW.
ROLE_TASKS: dict[Role, list[tuple[str, str]]] = {
    Role.DISTRICT_ADMIN: [("學校管理", "新增學校並開設各校註冊組帳號")],
    Role.REGISTRAR: [
        ("帳號管理", "開設、匯入、重設與停用帳號"),
        ("學生基本資料", "每學期檢核學籍資料"),
        ("國教署上傳", "名冊檢核與上傳、收訖明細"),
    ],
    Role.CURRICULUM: [("課程名稱", "登錄各班開課課程與任課教師"), ("選修課程", "登錄學生選修科目")],
    Role.GUIDANCE: [("修課評估", "學群（類群）探索與就業規劃"), ("自傳/學習計畫", "指導與檢核")],
    Role.COUNSELOR: [("課程諮詢紀錄", "登錄日期/時間/地點與諮詢內容")],
    Role.DISCIPLINE: [("出缺勤紀錄", "維護學生全學年出缺勤")],
    Role.ACTIVITIES: [("幹部與社團", "學生會、社團、班級幹部紀錄"), ("服務學習", "公共服務與志工紀錄")],
    Role.CONTEST_ORGANIZER: [("校內競賽", "登錄競賽成績供學生認領")],
    Role.HOMEROOM: [("班級進度", "督導學生依時程登錄學習成果與多元表現")],
    Role.TEACHER: [("學習成果認證", "認證學生上傳之課程學習成果")],
    Role.STUDENT: [("我的學習歷程", "課程學習成果、多元表現、自傳/學習計畫")],
    Role.WORKING_GROUP: [("工作小組", "會議、研習與成效評核")],
}


@bp.get("/")
def index():
    try:
        caller = optional_caller()
    except LichengError:
        caller = None
    return redirect("/home" if caller else "/login")


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
    try:
        caller = optional_caller()
    except LichengError:
        caller = None
    if caller is None:
        return redirect("/login")
    roles = sorted(caller.roles, key=list(Role).index)
    sections = [(ROLE_NAMES_ZH[r], ROLE_TASKS.get(r, [])) for r in roles]
    return render_template("home.html", caller=caller, sections=sections, csrf=request.cookies.get(CSRF_COOKIE, ""))
