"""IdentityService: schools, accounts with unit roles, login. Entrypoints only: parse, act, audit, emit."""

from __future__ import annotations

from typing import Any

from eventlet import tpool
from nameko.events import EventDispatcher, event_handler
from nameko.rpc import rpc

from services.identity import domain, events, lookup
from services.identity.errors import (
    AccountDisabled,
    AccountLocked,
    AccountNotFound,
    LoginFailed,
    SchoolNotFound,
    WrongPassword,
)
from services.identity.passwords import hash_password, verify_password
from services.identity.schemas import (
    Account,
    AccountCreated,
    AuditEntry,
    ChangePassword,
    CreateAccount,
    CreateSchool,
    CreateSchoolAdmin,
    ImportReport,
    Login,
    LoginResult,
    PasswordReset,
    School,
    UpdateAccount,
)
from services.identity.store import IdentityStore
from shared.audit import DISTRICT
from shared.caller import Caller
from shared.clock import utcnow
from shared.errors import ValidationFailed
from shared.mongo import StoreProvider
from shared.permissions import Permission, require
from shared.roles import Role
from shared.service_base import CallerProvider, HealthMixin, SettingsProvider
from shared.tokens import issue_token
from shared.validation import parse


def _account(doc: dict[str, Any]) -> dict[str, Any]:
    return Account.model_validate(domain.account_view(doc)).model_dump(mode="json")


class IdentityService(HealthMixin):
    name = "identity"

    store: IdentityStore = StoreProvider("identity", IdentityStore)
    caller: Caller | None = CallerProvider()
    settings = SettingsProvider()
    dispatch = EventDispatcher()

    # --- schools (district admin) ---

    @rpc
    def create_school(self, payload: dict) -> dict:
        caller = require(self.caller, Permission.DISTRICT_SCHOOLS_CREATE)
        request = parse(CreateSchool, payload)
        doc = self.store.insert_school({"code": request.code, "name": request.name, "created_at": utcnow()})
        self.store.audit.record(DISTRICT, caller, "school.create", request.code, after=doc)
        self.dispatch(events.SCHOOL_CREATED, {"school_id": request.code, "name": request.name})
        return School.model_validate(doc).model_dump(mode="json")

    @rpc
    def list_schools(self) -> list[dict]:
        require(self.caller, Permission.DISTRICT_SCHOOLS_READ)
        return [School.model_validate(d).model_dump(mode="json") for d in self.store.list_schools()]

    @rpc
    def create_school_admin(self, school_code: str, payload: dict) -> dict:
        """The district admin opens a school's first registrar account."""
        caller = require(self.caller, Permission.DISTRICT_SCHOOL_ADMINS_CREATE)
        if not isinstance(school_code, str) or self.store.get_school(school_code) is None:
            raise SchoolNotFound(f"找不到學校 {school_code}", f"no school {school_code}")
        request = parse(CreateSchoolAdmin, payload)
        account = CreateAccount(
            username=request.username, display_name=request.display_name, roles=[Role.REGISTRAR], password=request.password
        )
        return self._create(caller, school_code, account)

    # --- accounts (registrar) ---

    @rpc
    def create_account(self, payload: dict) -> dict:
        caller = require(self.caller, Permission.SCHOOL_ACCOUNTS_CREATE)
        return self._create(caller, caller.require_school(), parse(CreateAccount, payload))

    def _create(self, caller: Caller, school_id: str, request: CreateAccount) -> dict:
        generated = request.password is None
        password = domain.generate_password() if generated else request.password
        domain.check_password_policy(request.username, password)
        doc = domain.account_document(request, school_id, tpool.execute(hash_password, password), utcnow(), must_change=True)
        self.store.insert_account(doc)
        self.store.audit.record(school_id, caller, "account.create", doc["_id"], after=doc)
        self.dispatch(
            events.ACCOUNT_CREATED,
            {"school_id": school_id, "account_id": doc["_id"], "roles": doc["roles"], "student_id": doc["student_id"]},
        )
        return AccountCreated(account=_account(doc), initial_password=password if generated else None).model_dump(mode="json")

    @rpc
    def import_accounts(self, rows: list[dict[str, str]]) -> dict:
        """All or nothing: any row error imports nothing and returns the per-row report."""
        caller = require(self.caller, Permission.SCHOOL_ACCOUNTS_IMPORT)
        school_id = caller.require_school()
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            raise ValidationFailed("匯入檔沒有資料列", "the import has no rows")
        accounts, errors = domain.validate_import(rows, self.store.usernames(school_id))
        if errors:
            return ImportReport(imported=0, rows=len(rows), errors=errors).model_dump(mode="json")
        now = utcnow()
        passwords: dict[str, str] = {}
        docs = []
        for account in accounts:
            password = account.password or domain.generate_password()
            if account.password is None:
                passwords[account.username] = password
            docs.append(domain.account_document(account, school_id, tpool.execute(hash_password, password), now, must_change=True))
        batch = domain.new_id()
        self.store.insert_accounts(school_id, docs, batch)
        self.store.audit.record(school_id, caller, "account.import", batch, note=f"{len(docs)} accounts")
        for doc in docs:
            self.dispatch(
                events.ACCOUNT_CREATED,
                {"school_id": school_id, "account_id": doc["_id"], "roles": doc["roles"], "student_id": doc["student_id"]},
            )
        return ImportReport(imported=len(docs), rows=len(rows), errors=[], initial_passwords=passwords).model_dump(mode="json")

    @rpc
    def list_accounts(self, role: str | None = None, class_code: str | None = None, page: int = 1, per_page: int = 50) -> dict:
        caller = require(self.caller, Permission.SCHOOL_ACCOUNTS_READ)
        school_id = caller.require_school()
        page, per_page = max(1, int(page)), min(max(1, int(per_page)), 200)
        docs = self.store.list_accounts(school_id, role=role, class_code=class_code, skip=(page - 1) * per_page, limit=per_page)
        total = self.store.count_accounts(school_id, role, class_code)
        return {"items": [_account(d) for d in docs], "page": page, "per_page": per_page, "total": total}

    @rpc
    def get_account(self, account_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_ACCOUNTS_READ)
        return _account(self._find(caller.require_school(), account_id))

    @event_handler("records", "student_archived")
    def on_student_archived(self, payload: dict) -> None:
        """A student who left (畢業/轉出) can no longer log in; the registrar still reads the portfolio."""
        self._leavers(payload, leaving=True)

    @event_handler("records", "student_unarchived")
    def on_student_unarchived(self, payload: dict) -> None:
        self._leavers(payload, leaving=False)

    def _leavers(self, payload: dict, leaving: bool) -> None:
        school_id = payload["school_id"]
        action = "account.disabled_by_archive" if leaving else "account.enabled_by_unarchive"
        for account_id in self.store.disable_for_leavers(school_id, list(payload.get("student_ids") or []), leaving):
            self.store.audit.record(school_id, None, action, account_id)

    @rpc
    def update_account(self, account_id: str, payload: dict) -> dict:
        caller = require(self.caller, Permission.SCHOOL_ACCOUNTS_UPDATE)
        school_id = caller.require_school()
        before = self._find(school_id, account_id)
        changes = parse(UpdateAccount, payload).model_dump(exclude_none=True, mode="json")
        if not changes:
            return _account(before)
        after = self.store.update_account(school_id, account_id, changes)
        self.store.audit.record(school_id, caller, "account.update", account_id, before=before, after=after)
        self.dispatch(events.ACCOUNT_CHANGED, {"school_id": school_id, "account_id": account_id, "changes": changes})
        return _account(after)

    @rpc
    def reset_password(self, account_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_ACCOUNTS_UPDATE)
        school_id = caller.require_school()
        doc = self._find(school_id, account_id)
        password = domain.generate_password()
        self.store.update_account(
            school_id, account_id, {"password_hash": tpool.execute(hash_password, password), "must_change_password": True}
        )
        self.store.clear_throttle(school_id, doc["username"], utcnow())
        self.store.audit.record(school_id, caller, "account.reset_password", account_id)
        return PasswordReset(account_id=account_id, temporary_password=password).model_dump(mode="json")

    @rpc
    def list_audit(self, limit: int = 100) -> list[dict]:
        caller = require(self.caller, Permission.SCHOOL_AUDIT_READ)
        entries = self.store.audit.list(caller.require_school(), limit=min(max(1, int(limit)), 500))
        return [AuditEntry.model_validate(e).model_dump(mode="json") for e in entries]

    def _find(self, school_id: str, account_id: str) -> dict[str, Any]:
        doc = self.store.find_account(school_id, account_id) if isinstance(account_id, str) else None
        if doc is None:
            raise AccountNotFound("找不到此帳號", "account not found")
        return doc

    # --- login and the caller's own account ---

    @rpc
    def login(self, payload: dict) -> dict:
        request = parse(Login, payload)
        school_id = request.school_code.strip().upper() or DISTRICT
        now = utcnow()
        state = self.store.throttle_state(school_id, request.username)
        until = domain.locked_until(state, now)
        if until is not None:
            raise AccountLocked(f"請於 {int((until - now).total_seconds() // 60) + 1} 分鐘後再試", "try again later")
        doc = self.store.find_by_username(school_id, request.username)
        if not tpool.execute(verify_password, doc["password_hash"] if doc else None, request.password):
            self._count_failure(school_id, request.username, now)
            raise LoginFailed()
        if doc.get("disabled"):
            self.store.audit.record(school_id, None, "auth.login_disabled", doc["_id"])
            raise AccountDisabled("此帳號已停用，請洽註冊組", "the account is disabled")
        self.store.clear_throttle(school_id, request.username, now)
        session_id = domain.new_id()
        token, expires = self._issue(doc, session_id, now)
        self.store.audit.record(school_id, None, "auth.login", doc["_id"], note=session_id)
        return LoginResult(token=token, expires_at=expires, account=_account(doc)).model_dump(mode="json")

    def _count_failure(self, school_id: str, username: str, now: Any) -> None:
        policy = domain.ThrottlePolicy(self.settings.login_max_failures, self.settings.login_lock_seconds)
        failures = self.store.count_failure(school_id, username, now)
        self.store.audit.record(school_id, None, "auth.login_failed", username.lower(), note=f"failures={failures}")
        until = domain.lock_after(failures, now, policy)
        if until is not None:
            self.store.lock(school_id, username, until, now)
            self.store.audit.record(school_id, None, "auth.locked", username.lower())

    def _issue(self, doc: dict[str, Any], session_id: str, now: Any) -> tuple[str, Any]:
        user = {**doc, "school_id": None if doc["school_id"] == DISTRICT else doc["school_id"]}
        return issue_token(
            secret=self.settings.jwt_secret,
            audience=self.settings.jwt_audience,
            user=user,
            session_id=session_id,
            now=now,
            ttl_seconds=self.settings.jwt_ttl_seconds,
        )

    @rpc
    def logout(self) -> None:
        caller = require(self.caller, Permission.SELF_ACCOUNT_READ)
        self.store.audit.record(caller.school_id or DISTRICT, caller, "auth.logout", caller.user_id)

    @rpc
    def me(self) -> dict:
        caller = require(self.caller, Permission.SELF_ACCOUNT_READ)
        return _account(self._find(caller.school_id or DISTRICT, caller.user_id))

    @rpc
    def change_password(self, payload: dict) -> None:
        caller = require(self.caller, Permission.SELF_PASSWORD_UPDATE)
        request = parse(ChangePassword, payload)
        school_id = caller.school_id or DISTRICT
        doc = self._find(school_id, caller.user_id)
        if not tpool.execute(verify_password, doc["password_hash"], request.current_password):
            raise WrongPassword("目前密碼不正確", "the current password is wrong")
        domain.check_password_policy(doc["username"], request.new_password)
        new_hash = tpool.execute(hash_password, request.new_password)
        self.store.update_account(school_id, caller.user_id, {"password_hash": new_hash, "must_change_password": False})
        self.store.audit.record(school_id, caller, "auth.password_changed", caller.user_id)

    # working group figures (issue 8)

    @rpc
    def staff_directory(self, role: str | None = None) -> list[dict]:
        """Enabled staff accounts (id, username, name, roles), optionally of one role: who should attend a
        teacher workshop, whose name goes beside a figure. No student accounts, nothing else of an account."""
        caller = require(self.caller, Permission.SCHOOL_STAFF_DIRECTORY_READ)
        docs = self.store.list_accounts(caller.require_school(), role=role or None, class_code=None, skip=0, limit=0)
        return [
            {"id": d["_id"], "username": d["username"], "display_name": d.get("display_name", ""), "roles": sorted(d.get("roles", []))}
            for d in docs
            if not d.get("disabled") and set(d.get("roles", [])) - {Role.STUDENT.value}
        ]

    # pickers

    @rpc
    def lookup_staff(self, q: str = "", role: str | None = None, ids: list | None = None) -> list[dict]:
        """At most 20 staff of the caller's school matching a name, or the named ids (to show stored values by name)."""
        if ids:  # names of staff already chosen (a course's teachers): any school member may read those
            caller = require(self.caller, Permission.SCHOOL_RECORD_RULES_READ)
            return lookup.staff(self.store, caller.require_school(), ids=list(ids))
        caller = require(self.caller, Permission.SCHOOL_STAFF_LOOKUP)
        return lookup.staff(self.store, caller.require_school(), q if isinstance(q, str) else "", role or None)
