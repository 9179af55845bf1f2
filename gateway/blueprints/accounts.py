"""The registrar's accounts: one by one, bulk import (CSV/XLSX), reset, disable, audit."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from gateway.endpoints import endpoint
from gateway.params import int_arg
from gateway.services import rpc
from gateway.uploads import uploaded_table
from services.identity.schemas import (
    Account,
    AccountCreated,
    AccountPage,
    AuditEntry,
    CreateAccount,
    ImportReport,
    PasswordReset,
    UpdateAccount,
)
from shared.permissions import Permission

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
    summary="批次匯入帳號（CSV/XLSX）/ import accounts",
    multipart=True,
    permission=Permission.SCHOOL_ACCOUNTS_IMPORT,
    response=ImportReport,
)
def import_accounts():
    rows = uploaded_table()
    with rpc() as services:
        report = services.identity.import_accounts(rows)
    return jsonify(report), (200 if not report["errors"] else 422)


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
