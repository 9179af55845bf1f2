"""Parents (家長): 註冊組's invitations and a student's parents; the public join page; a parent's
read-only views of its children and its 確認單 acknowledgement.

Invitations and links are identity's; every child's read goes to the service that composes it
(documents), which asks identity whose child it is: another family's or school's student is 404."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request

from gateway.auth import client_info, optional_caller, session_cookie_expiry, set_session_cookies
from gateway.downloads import pdf_response
from gateway.endpoints import QueryParam, endpoint
from gateway.params import int_arg
from gateway.services import rpc
from services.documents.schemas import AcknowledgeConfirmation
from services.identity.schemas import (
    Child,
    CreateInvitations,
    InvitationBatch,
    InvitationView,
    JoinAsParent,
    LinkChild,
    LoginResult,
    StudentGuardians,
)
from shared.clock import to_taipei, utcnow
from shared.errors import LichengError
from shared.permissions import Permission
from shared.roles import Role
from shared.validation import parse

bp = Blueprint("parents", __name__, url_prefix="/api/v1")
pages = Blueprint("parent_pages", __name__)
P = Permission
TERM = {"year": "學年度 (default: the current semester)", "term": "學期 1 or 2"}


def _term() -> tuple[int | None, int | None]:
    return int_arg("year", None, minimum=100, maximum=200), int_arg("term", None, minimum=1, maximum=2)


def _roc(iso: str, with_time: bool = False) -> str:
    from datetime import datetime

    at = to_taipei(datetime.fromisoformat(iso))
    day = f"{at.year - 1911}/{at.month:02d}/{at.day:02d}"
    return f"{day} {at:%H:%M}" if with_time else day


# --- 註冊組 ---


@endpoint(
    bp,
    "/guardians/invitations",
    "POST",
    summary="產生家長邀請碼（學生或全班；邀請單只能下載一次）/ invite parents of students or a class",
    permission=P.SCHOOL_GUARDIANS_MANAGE,
    body=CreateInvitations,
    response=InvitationBatch,
    status=201,
)
def create_invitations():
    with rpc() as services:
        return jsonify(services.identity.create_invitations(g.body.model_dump(mode="json"))), 201


@endpoint(
    bp,
    "/guardians/batches/<batch_id>/sheet",
    "GET",
    summary="家長邀請單（每生一張，可列印；只能下載一次）/ the invitation slips, once (HTML, or JSON to an API client)",
    permission=P.SCHOOL_GUARDIANS_MANAGE,
    other_statuses={410: "downloaded already: only the codes' hashes remain"},
)
def invitation_sheet(batch_id: str):
    with rpc() as services:
        sheet = services.identity.invitation_sheet(batch_id)
    join = request.host_url.rstrip("/") + "/parent/join"
    slips = [{**s, "url": f"{join}?code={s['code']}"} for s in sheet["slips"]]
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        response = jsonify({**sheet, "slips": slips, "join_url": join})
    else:
        now = to_taipei(utcnow())
        page = render_template(
            "invitation_sheet.html",
            sheet=sheet,
            slips=slips,
            join_url=join,
            expires=_roc(sheet["expires_at"]),
            printed_at=f"{now.year - 1911}/{now.month:02d}/{now.day:02d} {now:%H:%M}",
        )
        response = Response(page, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@endpoint(
    bp,
    "/guardians/invitations",
    "GET",
    summary="家長邀請碼狀態（依班級或學生）/ invitations of a class or a student",
    permission=P.SCHOOL_GUARDIANS_MANAGE,
    response=list[InvitationView],
    query={"class_code": "班級", "student_id": "學號"},
)
def list_invitations():
    with rpc() as services:
        return jsonify(services.identity.invitations(request.args.get("class_code") or None, request.args.get("student_id") or None))


@endpoint(
    bp,
    "/guardians/invitations/<invitation_id>/revoke",
    "POST",
    summary="撤銷家長邀請碼 / revoke an unused invitation",
    permission=P.SCHOOL_GUARDIANS_MANAGE,
    response=InvitationView,
    other_statuses={410: "the code was used already: remove the parent link instead"},
)
def revoke_invitation(invitation_id: str):
    with rpc() as services:
        return jsonify(services.identity.revoke_invitation(invitation_id))


@endpoint(
    bp,
    "/guardians/students/<student_id>",
    "GET",
    summary="學生的家長與邀請碼 / a student's parents and invitations",
    permission=P.SCHOOL_GUARDIANS_MANAGE,
    response=StudentGuardians,
)
def student_guardians(student_id: str):
    with rpc() as services:
        return jsonify(services.identity.student_guardians(student_id))


@endpoint(
    bp,
    "/guardians/links/<link_id>",
    "DELETE",
    summary="移除家長連結 / end a parent's access to a student",
    permission=P.SCHOOL_GUARDIANS_MANAGE,
    status=204,
)
def remove_guardian(link_id: str):
    with rpc() as services:
        services.identity.remove_guardian(link_id)
    return "", 204


# --- the parent ---


@endpoint(
    bp,
    "/parent/join",
    "POST",
    summary="家長以邀請碼開設帳號並登入 / a parent opens an account with an invitation code",
    permission=None,
    body=JoinAsParent,
    response=LoginResult,
    status=201,
    other_statuses={404: "no invitation has this code", 410: "the code was used, has expired or was revoked"},
)
def join():
    with rpc() as services:
        result = services.identity.join_as_parent(g.body.model_dump(), client_info())
    response = jsonify(result)
    response.status_code = 201
    set_session_cookies(response, result["token"], session_cookie_expiry(result))
    return response


@endpoint(bp, "/parent/children", "GET", summary="我的子女 / my children", permission=P.SELF_CHILDREN_READ, response=list[Child])
def my_children():
    with rpc() as services:
        return jsonify(services.identity.my_children())


@endpoint(
    bp,
    "/parent/children",
    "POST",
    summary="以邀請碼新增子女 / add a child with its invitation code",
    permission=P.SELF_CHILDREN_LINK,
    body=LinkChild,
    response=Child,
    status=201,
    other_statuses={410: "the code was used, has expired or was revoked, or the child is linked already"},
)
def link_child():
    with rpc() as services:
        return jsonify(services.identity.link_child(g.body.model_dump(), client_info())), 201


@endpoint(
    bp,
    "/parent/children/<student_id>/portfolio",
    "GET",
    summary="子女的課程學習成果與多元表現（含認證與勾選）/ a child's outcomes and performances",
    permission=P.CHILD_PORTFOLIO_READ,
    query=TERM,
)
def child_portfolio(student_id: str):
    with rpc() as services:
        return jsonify(services.documents.child_portfolio(student_id, *_term()))


@endpoint(
    bp,
    "/parent/children/<student_id>/confirmation",
    "GET",
    summary="子女的勾選確認單與家長確認紀錄 / a child's confirmation sheet and its acknowledgements",
    permission=P.CHILD_PORTFOLIO_READ,
    query=TERM,
)
def child_confirmation(student_id: str):
    with rpc() as services:
        return jsonify(services.documents.child_confirmation(student_id, *_term()))


@endpoint(
    bp,
    "/parent/children/<student_id>/confirmation.pdf",
    "GET",
    summary="子女的勾選確認單（PDF）/ a child's confirmation sheet (PDF)",
    permission=P.CHILD_PORTFOLIO_READ,
    query={**TERM, "download": QueryParam("1: save instead of showing", {"type": "string", "enum": ["1"]})},
)
def child_confirmation_pdf(student_id: str):
    with rpc() as services:
        return pdf_response(services.documents.child_confirmation_pdf(student_id, *_term()))


@endpoint(
    bp,
    "/parent/children/<student_id>/confirmation/acknowledgement",
    "POST",
    summary="家長確認已看過勾選確認單 / acknowledge the confirmation sheet shown",
    permission=P.CHILD_CONFIRMATION_ACKNOWLEDGE,
    body=AcknowledgeConfirmation,
    status=201,
)
def acknowledge_confirmation(student_id: str):
    with rpc() as services:
        return jsonify(services.documents.acknowledge_child_confirmation(student_id, g.body.model_dump(mode="json"))), 201


@endpoint(
    bp,
    "/parent/children/<student_id>/receipts",
    "GET",
    summary="子女的收訖明細 / a child's national receipts",
    permission=P.CHILD_PORTFOLIO_READ,
)
def child_receipts(student_id: str):
    with rpc() as services:
        return jsonify(services.documents.child_receipts(student_id))


# --- the public join page (a page of its own, like the login page) ---


def _signed_in_parent():
    try:
        caller = optional_caller()
    except LichengError:
        return None
    return caller if caller is not None and caller.has(Role.PARENT) else None


@pages.get("/parent/join")
def join_page():
    form = {"code": request.args.get("code", "")[:40]}
    return render_template("parent_join.html", error=None, form=form, parent=_signed_in_parent())


@pages.post("/parent/join")
def join_submit():
    form = {k: request.form.get(k, "") for k in ("code", "username", "display_name", "password")}
    try:
        body = parse(JoinAsParent, form)
        with rpc() as services:
            result = services.identity.join_as_parent(body.model_dump(), client_info())
    except LichengError as exc:
        form.pop("password", None)
        fields = {e.get("field", "").split(".")[0]: e.get("message", "") for e in exc.errors}
        return render_template("parent_join.html", error=exc, fields=fields, form=form, parent=_signed_in_parent()), exc.status
    response = redirect("/parent?joined=1", code=303)
    set_session_cookies(response, result["token"], session_cookie_expiry(result))
    return response
