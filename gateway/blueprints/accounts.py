"""The registrar's accounts: one by one, bulk import (CSV/XLSX), reset, disable, audit."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, render_template, request

from gateway.endpoints import endpoint
from gateway.import_jobs import job_response
from gateway.params import int_arg
from gateway.services import rpc
from gateway.uploads import uploaded_job_file
from services.identity.schemas import (
    Account,
    AccountCreated,
    AccountImportJob,
    AccountPage,
    AuditEntry,
    CreateAccount,
    PasswordReset,
    UpdateAccount,
)
from shared.clock import to_taipei, utcnow
from shared.permissions import Permission
from shared.tabular import JOB_MAX_ROWS

bp = Blueprint("accounts", __name__, url_prefix="/api/v1")


@endpoint(
    bp,
    "/accounts",
    "POST",
    summary="開設帳號 / open an account",
    permission=Permission.SCHOOL_ACCOUNTS_CREATE,
    body=CreateAccount,
    response=AccountCreated,
    status=201,
)
def create_account():
    with rpc() as services:
        return jsonify(services.identity.create_account(g.body.model_dump(mode="json"))), 201


@endpoint(
    bp,
    "/accounts/import",
    "POST",
    summary=f"批次匯入帳號（CSV/XLSX，最多 {JOB_MAX_ROWS} 列；背景工作，含初始密碼單）/ import accounts as a job",
    multipart=True,
    permission=Permission.SCHOOL_ACCOUNTS_IMPORT,
    response=AccountImportJob,
    status=202,
    other_statuses={
        200: "the same file (same bytes) imported before: nothing done (already_imported); or Prefer: wait=N and the job done",
        422: "with Prefer: wait=N: the job rejected the file (errors per row; nothing imported)",
    },
)
def import_accounts():
    rows, sha256 = uploaded_job_file()
    with rpc() as services:
        job = services.identity.start_account_import(rows, sha256)

    def poll() -> dict:
        with rpc(timeout=5) as services:
            return services.identity.account_import(job["import_id"])

    return job_response(job, poll)


@endpoint(
    bp,
    "/accounts/imports/<import_id>",
    "GET",
    summary="帳號匯入進度 / progress of an account import",
    permission=Permission.SCHOOL_ACCOUNTS_IMPORT,
    response=AccountImportJob,
)
def account_import(import_id: str):
    with rpc() as services:
        return jsonify(services.identity.account_import(import_id))


@endpoint(
    bp,
    "/accounts/imports/<import_id>/password-sheet",
    "GET",
    summary="初始密碼單（依班級，可列印；只能下載一次）/ the initial-password sheet, once",
    permission=Permission.SCHOOL_ACCOUNTS_IMPORT,
    other_statuses={410: "downloaded already: the passwords are gone"},
)
def account_import_sheet(import_id: str):
    with rpc() as services:
        sheet = services.identity.account_import_sheet(import_id)
    page = render_template("password_sheet.html", sheet=sheet, printed_at=roc_now())
    return page, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


@endpoint(
    bp,
    "/accounts",
    "GET",
    summary="帳號列表 / list accounts",
    permission=Permission.SCHOOL_ACCOUNTS_READ,
    response=AccountPage,
    query={"role": "unit role", "class_code": "班級", "q": "part of the username or the name", "page": "page", "per_page": "page size"},
)
def list_accounts():
    page, per_page = int_arg("page", 1, minimum=1), int_arg("per_page", 50, minimum=1, maximum=200)
    with rpc() as services:
        return jsonify(
            services.identity.list_accounts(
                request.args.get("role") or None, request.args.get("class_code") or None, page, per_page, request.args.get("q") or None
            )
        )


@endpoint(bp, "/accounts/<account_id>", "GET", summary="帳號 / one account", permission=Permission.SCHOOL_ACCOUNTS_READ, response=Account)
def get_account(account_id: str):
    with rpc() as services:
        return jsonify(services.identity.get_account(account_id))


@endpoint(
    bp,
    "/accounts/<account_id>",
    "PATCH",
    summary="修改帳號（角色、停用）/ update an account",
    permission=Permission.SCHOOL_ACCOUNTS_UPDATE,
    body=UpdateAccount,
    response=Account,
)
def update_account(account_id: str):
    with rpc() as services:
        return jsonify(services.identity.update_account(account_id, g.body.model_dump(mode="json", exclude_unset=True)))


@endpoint(
    bp,
    "/accounts/<account_id>/reset-password",
    "POST",
    summary="重設密碼 / reset a password",
    permission=Permission.SCHOOL_ACCOUNTS_UPDATE,
    response=PasswordReset,
)
def reset_password(account_id: str):
    with rpc() as services:
        return jsonify(services.identity.reset_password(account_id))


@endpoint(
    bp,
    "/audit",
    "GET",
    summary="稽核紀錄 / audit trail",
    permission=Permission.SCHOOL_AUDIT_READ,
    response=list[AuditEntry],
    query={"limit": "at most 500"},
)
def list_audit():
    with rpc() as services:
        return jsonify(services.identity.list_audit(int_arg("limit", 100, minimum=1, maximum=500)))


def roc_now() -> str:
    moment = to_taipei(utcnow())
    return f"民國 {moment.year - 1911} 年 {moment.month} 月 {moment.day} 日 {moment:%H:%M}"
