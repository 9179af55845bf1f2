"""Identity rules: account documents, password policy, login throttling, bulk-import rows. No I/O."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from services.identity.schemas import CreateAccount
from shared.errors import ValidationFailed, field_error
from shared.roles import ROLE_NAMES_ZH, Role
from shared.validation import errors_from

# Column names accepted in an import file, in zh-TW or English.
IMPORT_COLUMNS: dict[str, str] = {
    "帳號": "username",
    "username": "username",
    "姓名": "display_name",
    "display_name": "display_name",
    "name": "display_name",
    "角色": "roles",
    "roles": "roles",
    "班級": "class_code",
    "class_code": "class_code",
    "class": "class_code",
    "學號": "student_id",
    "學生編號": "student_id",
    "student_id": "student_id",
    "電子郵件": "email",
    "email": "email",
    "e-mail": "email",
    "密碼": "password",
    "password": "password",
}
REQUIRED_COLUMNS = ("username", "display_name", "roles")
# Role names as a school writes them in a sheet (roles by their zh-TW unit names, a few common short forms).
# A parent's account is never imported: the parent opens it with an invitation code (guardians.py).
_IMPORTED_ROLES = [r for r in Role if r not in (Role.DISTRICT_ADMIN, Role.PARENT)]
ROLE_ALIASES: dict[str, str] = {ROLE_NAMES_ZH[role]: role.value for role in _IMPORTED_ROLES} | {
    "教師": Role.TEACHER.value,
    "註冊組長": Role.REGISTRAR.value,
    "教學組長": Role.CURRICULUM.value,
    "輔導教師": Role.GUIDANCE.value,
    "生活輔導組": Role.DISCIPLINE.value,
    "競賽承辦": Role.CONTEST_ORGANIZER.value,
    "工作小組執行秘書": Role.WORKING_GROUP.value,
}

_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I


# Accounts that are not staff: they are never suggested as colleagues, named on documents or listed
# in the staff directory.
NOT_STAFF = frozenset({Role.STUDENT.value, Role.PARENT.value})


def is_staff(doc: dict[str, Any]) -> bool:
    return bool(set(doc.get("roles", [])) - NOT_STAFF)


def new_id() -> str:
    return uuid.uuid4().hex


def generate_password(length: int = 12) -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def check_password_policy(username: str, password: str) -> None:
    """Beyond the length in the schema: not the username, not one repeated character."""
    if password.lower() == username.lower() or len(set(password)) < 3:
        raise ValidationFailed(
            "密碼太容易猜到",
            "the password is too easy to guess",
            [
                field_error(
                    "password",
                    "密碼不可與帳號相同，且須含 3 種以上字元",
                    "must differ from the username and use 3+ distinct characters",
                    "weak_password",
                )
            ],
        )


def account_document(request: CreateAccount, school_id: str, password_hash: str, now: datetime, *, must_change: bool) -> dict[str, Any]:
    return {
        "_id": new_id(),
        "school_id": school_id,
        "username": request.username,
        "username_key": request.username.lower(),
        "display_name": request.display_name,
        "roles": [str(r) for r in request.roles],
        "class_code": request.class_code,
        "student_id": request.student_id,
        "email": request.email,
        "password_hash": password_hash,
        "disabled": False,
        "must_change_password": must_change,
        "created_at": now,
    }


def parent_document(username: str, display_name: str, school_id: str, password_hash: str, now: datetime) -> dict[str, Any]:
    """A parent's account, opened by the parent with an invitation code: its password is its own."""
    request = CreateAccount.model_construct(
        username=username, display_name=display_name, roles=[Role.PARENT], password=None, class_code=None, student_id=None, email=None
    )
    return account_document(request, school_id, password_hash, now, must_change=False)


def account_view(doc: dict[str, Any]) -> dict[str, Any]:
    """The public shape of an account (never the hash)."""
    return {
        "id": doc["_id"],
        "school_id": doc.get("school_id"),
        "username": doc["username"],
        "display_name": doc["display_name"],
        "roles": doc["roles"],
        "class_code": doc.get("class_code"),
        "student_id": doc.get("student_id"),
        "email": doc.get("email"),
        "disabled": doc.get("disabled", False),
        "must_change_password": doc.get("must_change_password", False),
        "created_at": doc["created_at"],
    }


# --- login throttling (shared by every gateway worker because it lives in the database) ---


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    lock_seconds: int


def locked_until(state: dict[str, Any] | None, now: datetime) -> datetime | None:
    if not state or not state.get("locked_until"):
        return None
    until = state["locked_until"]
    return until if until > now else None


def lock_after(failures: int, now: datetime, policy: ThrottlePolicy) -> datetime | None:
    """When this many consecutive failures lock the account, until when."""
    if failures >= policy.max_failures:
        return now + timedelta(seconds=policy.lock_seconds)
    return None


# --- bulk import ---


def normalise_row(raw: dict[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for header, value in raw.items():
        key = IMPORT_COLUMNS.get(header.strip().lower()) or IMPORT_COLUMNS.get(header.strip())
        if key and value != "":
            row[key] = value
    if "roles" in row:
        names = row["roles"].replace("、", ",").replace("，", ",").replace(";", ",").replace(" ", ",").split(",")
        row["roles"] = [ROLE_ALIASES.get(r.strip(), r.strip()) for r in names if r.strip()]
    return row


def _unknown_role(field: str, roles: list[str]) -> dict[str, str]:
    position = field.split(".")[1] if "." in field else ""
    value = roles[int(position)] if position.isdigit() and int(position) < len(roles) else ""
    allowed = "、".join(ROLE_NAMES_ZH[r] for r in _IMPORTED_ROLES)
    return {
        "field": "roles",
        "message": f"沒有「{value}」這個角色；可填：{allowed}",
        "message_en": f"unknown role {value!r}",
    }


def check_import_columns(raw_rows: list[dict[str, str]]) -> None:
    present = {IMPORT_COLUMNS.get(h.strip().lower()) or IMPORT_COLUMNS.get(h.strip()) for h in raw_rows[0]}
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    if missing:
        raise ValidationFailed(
            "匯入檔缺少必要欄位：" + "、".join(missing),
            "missing columns: " + ", ".join(missing),
            [field_error(c, "缺少此欄位", "column missing", "missing_column") for c in missing],
        )


def validate_import(raw_rows: list[dict[str, str]], existing_usernames: set[str]) -> tuple[list[CreateAccount], list[dict[str, Any]]]:
    """Every row checked; returns the accounts to create and the per-row errors (row 2 is the first data row)."""
    check_import_columns(raw_rows)
    accounts: list[CreateAccount] = []
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_rows, start=2):
        row = normalise_row(raw)
        try:
            account = CreateAccount.model_validate(row)
        except ValidationError as exc:
            for err in errors_from(exc):
                code = "unknown_role" if err["field"].startswith("roles") and err["code"] == "enum" else err["code"]
                if err["field"].startswith("class_code"):
                    code = "bad_class"
                if code == "unknown_role":  # name the column and the value, never a field path like roles.0
                    err = {**err, **_unknown_role(err["field"], row.get("roles", []))}
                errors.append({"row": index, **err, "code": code})
            continue
        key = account.username.lower()
        if key in seen:
            errors.append(
                {"row": index, **field_error("username", f"與第 {seen[key]} 列帳號重複", f"duplicates row {seen[key]}", "duplicate")}
            )
            continue
        seen[key] = index
        if key in existing_usernames:
            errors.append({"row": index, **field_error("username", "帳號已存在", "the account already exists", "duplicate")})
            continue
        accounts.append(account)
    return accounts, errors
