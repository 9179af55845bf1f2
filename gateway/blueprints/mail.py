"""E-mail reminders: each person's setting, the registrar's log and 立即寄送, and the unsubscribe link.

The unsubscribe link works without a login (its signature names the account): GET shows a page with
one button, POST stops the reminders. The POST is also the RFC 8058 one-click target mail programs
call, so it needs no CSRF token: it can only ever turn reminders off for the account the link names.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, render_template, request

from gateway.endpoints import endpoint
from gateway.params import int_arg
from gateway.services import rpc, system_rpc
from services.reminders.schemas import MailLog, MailSettings, MailSettingsView, PlanDay, PlanResult
from shared.errors import LichengError
from shared.permissions import Permission

api = Blueprint("mail", __name__, url_prefix="/api/v1")
pages = Blueprint("mail_pages", __name__)


@endpoint(
    api,
    "/me/mail-settings",
    "GET",
    summary="我的電子郵件通知設定 / my e-mail reminders",
    permission=Permission.SELF_MAIL_SETTINGS,
    response=MailSettingsView,
)
def my_settings():
    with rpc() as services:
        return jsonify(services.reminders.my_mail_settings())


@endpoint(
    api,
    "/me/mail-settings",
    "PUT",
    summary="接收或停止提醒信 / receive or stop e-mail reminders",
    permission=Permission.SELF_MAIL_SETTINGS,
    body=MailSettings,
    response=MailSettingsView,
)
def set_my_settings():
    with rpc() as services:
        return jsonify(services.reminders.set_my_mail_settings(g.body.model_dump()))


@endpoint(
    api,
    "/mail/log",
    "GET",
    summary="郵件寄送紀錄：已寄出、退信、失敗 / what was mailed, bounced or failed",
    permission=Permission.SCHOOL_MAIL_MANAGE,
    response=MailLog,
    query={
        "status": "problems (bounced, failed, in_doubt) | queued | sending | retrying | sent | bounced | failed | in_doubt | suppressed",
        "page": "page",
        "per_page": "page size (at most 200)",
    },
)
def mail_log():
    page, per_page = int_arg("page", 1, minimum=1), int_arg("per_page", 50, minimum=1, maximum=200)
    with rpc() as services:
        return jsonify(services.reminders.mail_log(request.args.get("status") or None, page, per_page))


@endpoint(
    api,
    "/mail/plan",
    "POST",
    summary="立即寄送今日提醒（每日也會自動寄送，同一天不會重複）/ send today's reminders now (never twice a day)",
    permission=Permission.SCHOOL_MAIL_MANAGE,
    body=PlanDay,
    response=PlanResult,
)
def plan_today():
    with rpc() as services:
        return jsonify(services.reminders.plan_day({}))


def _unsubscribe_page(token: str, done: bool = False):
    try:
        with system_rpc() as services:
            status = services.reminders.unsubscribe(token) if done else services.reminders.unsubscribe_status(token)
    except LichengError as exc:
        return render_template("unsubscribe.html", error=exc, token=None, status=None, done=False, caller=None), exc.status
    return render_template("unsubscribe.html", error=None, token=token, status=status, done=done, caller=None)


@pages.get("/mail/unsubscribe/<token>")
def unsubscribe_page(token: str):
    return _unsubscribe_page(token)


@pages.post("/mail/unsubscribe/<token>")
def unsubscribe(token: str):
    return _unsubscribe_page(token, done=True)
