"""IdentityService: schools, accounts with unit roles, login. Entrypoints only: parse, act, audit, emit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from eventlet import tpool
from nameko.events import EventDispatcher
from nameko.rpc import rpc

from services.identity import domain, events, lookup_store
from services.identity import sessions as session_rules
from services.identity.account_imports import AccountImports
from services.identity.errors import (
    AccountDisabled,
    AccountLocked,
    AccountNotFound,
    AddressThrottled,
    LoginFailed,
    SchoolNotFound,
    SessionEnded,
    SessionNotFound,
    WrongPassword,
)
from services.identity.guardians import Guardians
from services.identity.leavers import Leavers
from services.identity.passwords import hash_generated, hash_password, verify_password
from services.identity.schemas import (
    Account,
    AccountCreated,
    AuditEntry,
    ChangePassword,
    CreateAccount,
    CreateSchool,
    CreateSchoolAdmin,
    Login,
    LoginResult,
    PasswordReset,
    Refresh,
    School,
    SessionView,
    UpdateAccount,
)
from services.identity.sso_logins import SsoLogins
from services.identity.store import IdentityStore
from shared.audit import DISTRICT
from shared.caller import Caller
from shared.changes import ChangesMixin
from shared.clock import utcnow
from shared.errors import ValidationFailed, field_error
from shared.mongo import StoreProvider
from shared.permissions import Permission, require, require_system
from shared.roles import Role
from shared.service_base import CallerProvider, HealthMixin, SettingsProvider
from shared.tokens import issue_token
from shared.validation import parse


def _account(doc: dict[str, Any]) -> dict[str, Any]:
    return Account.model_validate(domain.account_view(doc)).model_dump(mode="json")


class IdentityService(AccountImports, Guardians, Leavers, SsoLogins, ChangesMixin, HealthMixin):
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
        event = (events.SCHOOL_CREATED, {"school_id": request.code, "name": request.name})
        self.changes.record(DISTRICT, caller, "school.create", request.code, after=doc, event=event)
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
        stored = hash_generated(self.settings.field_key, password) if generated else tpool.execute(hash_password, password)
        doc = domain.account_document(request, school_id, stored, utcnow(), must_change=True)
        self.store.insert_account(doc)
        created = {"school_id": school_id, "account_id": doc["_id"], "roles": doc["roles"], "student_id": doc["student_id"]}
        self.changes.record(school_id, caller, "account.create", doc["_id"], after=doc, event=(events.ACCOUNT_CREATED, created))
        return AccountCreated(account=_account(doc), initial_password=password if generated else None).model_dump(mode="json")

    @rpc
    def list_accounts(
        self, role: str | None = None, class_code: str | None = None, page: int = 1, per_page: int = 50, q: str | None = None
    ) -> dict:
        """A page of the school's accounts by username; `q` finds a part of the username or the name."""
        caller = require(self.caller, Permission.SCHOOL_ACCOUNTS_READ)
        school_id = caller.require_school()
        page, per_page = max(1, int(page)), min(max(1, int(per_page)), 200)
        q = q if isinstance(q, str) and q.strip() else None
        docs = self.store.list_accounts(school_id, role=role, class_code=class_code, skip=(page - 1) * per_page, limit=per_page, q=q)
        total = self.store.count_accounts(school_id, role, class_code, q)
        return {"items": [_account(d) for d in docs], "page": page, "per_page": per_page, "total": total}

    @rpc
    def get_account(self, account_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_ACCOUNTS_READ)
        return _account(self._find(caller.require_school(), account_id))

    @rpc
    def update_account(self, account_id: str, payload: dict) -> dict:
        caller = require(self.caller, Permission.SCHOOL_ACCOUNTS_UPDATE)
        school_id = caller.require_school()
        before = self._find(school_id, account_id)
        changes = parse(UpdateAccount, payload).model_dump(exclude_none=True, mode="json")
        if "roles" in changes and Role.PARENT.value in before.get("roles", []):
            raise ValidationFailed(
                "家長帳號不可加上其他角色",
                "a parent's account holds no other role",
                [field_error("roles", "家長帳號不可加上其他角色", "a parent's account holds no other role", "parent_only")],
            )
        if not changes:
            return _account(before)
        after = self.store.update_account(school_id, account_id, changes)
        event = (events.ACCOUNT_CHANGED, {"school_id": school_id, "account_id": account_id, "changes": changes})
        self.changes.record(school_id, caller, "account.update", account_id, before=before, after=after, event=event)
        # What the account's tokens claim (roles) or allow (being enabled) changed: its sessions end.
        if changes.get("disabled") is True and not before.get("disabled"):
            self._end_sessions(school_id, account_id, caller, "disabled")
        elif "roles" in changes and sorted(changes["roles"]) != sorted(before.get("roles", [])):
            self._end_sessions(school_id, account_id, caller, "roles_changed")
        return _account(after)

    @rpc
    def reset_password(self, account_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_ACCOUNTS_UPDATE)
        school_id = caller.require_school()
        doc = self._find(school_id, account_id)
        password = domain.generate_password()
        self.store.update_account(
            school_id, account_id, {"password_hash": hash_generated(self.settings.field_key, password), "must_change_password": True}
        )
        self.store.clear_throttle(school_id, doc["username"], utcnow())
        self.changes.record(school_id, caller, "account.reset_password", account_id)
        self._end_sessions(school_id, account_id, caller, "password_reset")
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
    def login(self, payload: dict, client: dict | None = None) -> dict:
        """`client`: the source address and user agent the gateway saw (the session list shows them)."""
        request = parse(Login, payload)
        school_id = request.school_code.strip().upper() or DISTRICT
        address, user_agent = session_rules.client_of(client)
        now = utcnow()
        window = now - timedelta(seconds=self.settings.login_address_window_seconds)
        if address and self.store.sessions.address_failures_since(address, window) >= self.settings.login_address_max_failures:
            self.changes.record(DISTRICT, None, "auth.address_throttled", address)
            raise AddressThrottled("請稍後再試", "try again later")
        state = self.store.throttle_state(school_id, request.username)
        until = domain.locked_until(state, now)
        if until is not None:
            raise AccountLocked(f"請於 {int((until - now).total_seconds() // 60) + 1} 分鐘後再試", "try again later")
        doc = self.store.find_by_username(school_id, request.username)
        if not tpool.execute(verify_password, doc["password_hash"] if doc else None, request.password, self.settings.field_key):
            self._count_failure(school_id, request.username, now)
            if address:
                self.store.sessions.count_address_failure(address, now)
            raise LoginFailed()
        if doc.get("disabled"):
            self.changes.record(school_id, None, "auth.login_disabled", doc["_id"])
            raise AccountDisabled("此帳號已停用，請洽註冊組", "the account is disabled")
        self.store.clear_throttle(school_id, request.username, now)
        result = self._open_session(doc, school_id, now, address, user_agent)
        self.changes.record(school_id, None, "auth.login", doc["_id"], note=result["session_id"])
        return result

    def _open_session(self, doc: dict[str, Any], school_id: str, now: Any, address: str, user_agent: str, via: str = "password") -> dict:
        """`via`: "password", or "sso:<provider>" (a provider's sign-in need not change the initial password)."""
        secret = session_rules.new_refresh_secret()
        session_doc = {
            "_id": domain.new_id(),
            "school_id": school_id,
            "account_id": doc["_id"],
            "created_at": now,
            "last_seen_at": now,
            "expires_at": now + timedelta(seconds=self.settings.jwt_ttl_seconds),
            "address": address,
            "user_agent": user_agent,
            "refresh_hash": session_rules.refresh_hash(secret),
            "ended_at": None,
            "end_reason": None,
            "via": via,
        }
        self.store.sessions.start(session_doc)
        return self._session_result(doc, session_doc, now, secret)

    def _session_result(self, doc: dict[str, Any], session_doc: dict[str, Any], now: Any, secret: str = "") -> dict:
        if session_doc.get("via", "password") != "password":
            doc = {**doc, "must_change_password": False}
        token, expires = self._issue(doc, session_doc["_id"], now, session_doc["expires_at"])
        return LoginResult(
            token=token,
            expires_at=expires,
            account=_account(doc),
            session_id=session_doc["_id"],
            refresh_token=f"{session_doc['_id']}.{secret}" if secret else "",
            session_expires_at=session_doc["expires_at"],
        ).model_dump(mode="json")

    def _live_session(self, session_doc: dict[str, Any] | None, now: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The session and its account, or SessionEnded (ending a session found over on the way)."""
        if session_doc is None:
            raise SessionEnded()
        school_id = session_doc["school_id"]
        reason = session_rules.why_over(session_doc, now, self.settings.session_idle_seconds)
        account = self.store.find_account(school_id, session_doc["account_id"])
        if reason is None and (account is None or account.get("disabled")):
            reason = "disabled"
        if reason is not None:
            if self.store.sessions.end(school_id, session_doc["_id"], now, reason):
                self.changes.record(school_id, None, "session.end", session_doc["account_id"], note=f"{session_doc['_id']} {reason}")
            raise SessionEnded()
        return session_doc, account  # type: ignore[return-value]

    @rpc
    def refresh(self, payload: dict, client: dict | None = None) -> dict:
        """An API client trades its refresh token (once) for a new access token and refresh token."""
        request = parse(Refresh, payload)
        now = utcnow()
        parts = session_rules.split_refresh_token(request.refresh_token)
        session_doc = self.store.sessions.get(parts[0]) if parts else None
        if parts is None or session_doc is None or not session_rules.refresh_matches(session_doc, parts[1]):
            if session_doc is not None and session_doc.get("ended_at") is None:
                # A refresh token used twice was copied: end the session rather than guess which copy is genuine.
                self.store.sessions.end(session_doc["school_id"], session_doc["_id"], now, "refresh_reused")
                self.changes.record(
                    session_doc["school_id"], None, "session.end", session_doc["account_id"], note=f"{session_doc['_id']} refresh_reused"
                )
            raise SessionEnded()
        session_doc, account = self._live_session(session_doc, now)
        secret = session_rules.new_refresh_secret()
        address, user_agent = session_rules.client_of(client)
        changes = {"last_seen_at": now, "refresh_hash": session_rules.refresh_hash(secret)}
        if address:
            changes.update(address=address, user_agent=user_agent)
        self.store.sessions.touch(session_doc["school_id"], session_doc["_id"], changes)
        self.changes.record(session_doc["school_id"], None, "session.refresh", account["_id"], note=session_doc["_id"])
        return self._session_result(account, session_doc, now, secret)

    @rpc
    def resume(self, session_id: str, account_id: str) -> dict:
        """A new access token for a browser whose cookie's token expired while its session lives on
        (the gateway checked that token's signature); idling past the timeout ends the session instead."""
        self._system_only("renews browser sessions")
        now = utcnow()
        session_doc = self.store.sessions.get(session_id)
        if session_doc is not None and session_doc["account_id"] != account_id:
            session_doc = None
        session_doc, account = self._live_session(session_doc, now)
        self.store.sessions.touch(session_doc["school_id"], session_doc["_id"], {"last_seen_at": now})
        self.changes.record(session_doc["school_id"], None, "session.resume", account["_id"], note=session_doc["_id"])
        return self._session_result(account, session_doc, now)

    @rpc
    def ended_sessions(self, since: str | None = None) -> dict:
        """The revocation feed: ids of sessions ended since `since` (ISO time; default: as far back as a
        still-valid access token can reach). Gateways poll it and refuse those sessions' tokens."""
        self._system_only("reads the revocation feed")
        now = utcnow()
        floor = now - timedelta(seconds=self.settings.access_ttl_seconds + 60)
        try:
            start = max(datetime.fromisoformat(since), floor) if isinstance(since, str) and since else floor
        except (ValueError, TypeError):
            start = floor
        return {"now": now.isoformat(), "session_ids": self.store.sessions.ended_since(start)}

    @rpc
    def list_sessions(self) -> list[dict]:
        caller = require(self.caller, Permission.SELF_ACCOUNT_READ)
        now = utcnow()
        school_id = caller.school_id or DISTRICT
        out = []
        for doc in self.store.sessions.open_of(school_id, caller.user_id):
            if session_rules.why_over(doc, now, self.settings.session_idle_seconds) is None:
                view = {**doc, "id": doc["_id"], "current": doc["_id"] == caller.session_id}
                out.append(SessionView.model_validate(view).model_dump(mode="json"))
        return out

    @rpc
    def end_session(self, session_id: str) -> None:
        """The caller ends one of its own sessions (a lost phone, a shared computer)."""
        caller = require(self.caller, Permission.SELF_ACCOUNT_READ)
        school_id = caller.school_id or DISTRICT
        doc = self.store.sessions.get(session_id)
        if doc is None or doc["school_id"] != school_id or doc["account_id"] != caller.user_id or doc.get("ended_at") is not None:
            raise SessionNotFound("找不到此登入裝置", "session not found")
        self.store.sessions.end(school_id, session_id, utcnow(), "ended_by_user")
        self.changes.record(school_id, caller, "session.end", caller.user_id, note=f"{session_id} ended_by_user")

    @rpc
    def logout_everywhere(self) -> list[str]:
        """Ends every session of the caller's account, its own included; returns their ids."""
        caller = require(self.caller, Permission.SELF_ACCOUNT_READ)
        return self._end_sessions(caller.school_id or DISTRICT, caller.user_id, caller, "logout_everywhere")

    def _end_sessions(self, school_id: str, account_id: str, caller: Caller | None, reason: str, keep: str | None = None) -> list[str]:
        ended = self.store.sessions.end_all(school_id, account_id, utcnow(), reason, keep=keep)
        for session_id in ended:
            self.changes.record(school_id, caller, "session.end", account_id, note=f"{session_id} {reason}")
        return ended

    def _count_failure(self, school_id: str, username: str, now: Any) -> None:
        policy = domain.ThrottlePolicy(self.settings.login_max_failures, self.settings.login_lock_seconds)
        failures = self.store.count_failure(school_id, username, now)
        self.changes.record(school_id, None, "auth.login_failed", username.lower(), note=f"failures={failures}")
        until = domain.lock_after(failures, now, policy)
        if until is not None:
            self.store.lock(school_id, username, until, now)
            self.changes.record(school_id, None, "auth.locked", username.lower())

    def _issue(self, doc: dict[str, Any], session_id: str, now: Any, session_expires: Any) -> tuple[str, Any]:
        user = {**doc, "school_id": None if doc["school_id"] == DISTRICT else doc["school_id"]}
        # An access token never outlives its session.
        ttl = min(self.settings.access_ttl_seconds, max(1, int((session_expires - now).total_seconds())))
        return issue_token(
            secret=self.settings.jwt_secret, audience=self.settings.jwt_audience, user=user, session_id=session_id, now=now, ttl_seconds=ttl
        )

    @rpc
    def logout(self) -> None:
        caller = require(self.caller, Permission.SELF_ACCOUNT_READ)
        school_id = caller.school_id or DISTRICT
        self.changes.record(school_id, caller, "auth.logout", caller.user_id, note=caller.session_id)
        if caller.session_id and self.store.sessions.end(school_id, caller.session_id, utcnow(), "logout"):
            self.changes.record(school_id, caller, "session.end", caller.user_id, note=f"{caller.session_id} logout")

    @rpc
    def me(self) -> dict:
        caller = require(self.caller, Permission.SELF_ACCOUNT_READ)
        return _account(self._find(caller.school_id or DISTRICT, caller.user_id))

    @rpc
    def change_password(self, payload: dict) -> dict:
        """Every other session of the account ends; the caller's own goes on with a new access token
        (no longer limited to changing the password), returned like a login's."""
        caller = require(self.caller, Permission.SELF_PASSWORD_UPDATE)
        request = parse(ChangePassword, payload)
        school_id = caller.school_id or DISTRICT
        doc = self._find(school_id, caller.user_id)
        current = self.store.sessions.get(caller.session_id) if caller.session_id else None
        if caller.session_id and (current is None or current["account_id"] != caller.user_id or current.get("ended_at") is not None):
            raise SessionEnded()
        if not tpool.execute(verify_password, doc["password_hash"], request.current_password, self.settings.field_key):
            raise WrongPassword("目前密碼不正確", "the current password is wrong")
        domain.check_password_policy(doc["username"], request.new_password)
        new_hash = tpool.execute(hash_password, request.new_password)
        after = self.store.update_account(school_id, caller.user_id, {"password_hash": new_hash, "must_change_password": False})
        self.changes.record(school_id, caller, "auth.password_changed", caller.user_id)
        self._end_sessions(school_id, caller.user_id, caller, "password_changed", keep=caller.session_id or None)
        now = utcnow()
        if current is None:  # a caller without a session (not through the gateway) gets one, as at login
            return self._open_session(after or doc, school_id, now, "", "")
        secret = session_rules.new_refresh_secret()
        self.store.sessions.touch(school_id, current["_id"], {"last_seen_at": now, "refresh_hash": session_rules.refresh_hash(secret)})
        return self._session_result(after or doc, current, now, secret)

    # working group figures

    @rpc
    def staff_directory(self, role: str | None = None) -> list[dict]:
        """Enabled staff accounts (id, username, name, roles), optionally of one role: who should attend a
        teacher workshop, whose name goes beside a figure. No student accounts, nothing else of an account."""
        caller = require(self.caller, Permission.SCHOOL_STAFF_DIRECTORY_READ)
        docs = self.store.list_accounts(caller.require_school(), role=role or None, class_code=None, skip=0, limit=0)
        return [
            {"id": d["_id"], "username": d["username"], "display_name": d.get("display_name", ""), "roles": sorted(d.get("roles", []))}
            for d in docs
            if not d.get("disabled") and domain.is_staff(d)
        ]

    # reminders by e-mail

    @rpc
    def mail_recipients(self, school_id: str) -> list[dict]:
        """The enabled accounts of a school (or "_district": the district admins) that have an e-mail:
        id, name, e-mail, roles and 學號. For the reminders service's daily plan only."""
        require_system(self.caller, "plans reminders")
        return [
            {
                "id": d["_id"],
                "name": d.get("display_name") or d.get("username", ""),
                "email": d["email"],
                "roles": sorted(d.get("roles", [])),
                "student_id": d.get("student_id"),
            }
            for d in self.store.mailable(school_id)
        ]

    @rpc
    def school_codes(self) -> list[str]:
        """Every school's code (the reminders service plans each school's day)."""
        require_system(self.caller, "lists schools for internal work")
        return [s["code"] for s in self.store.list_schools()]

    # printed documents

    @rpc
    def letterhead(self, staff_ids: list[str] | None = None) -> dict:
        """The caller's school name and the display names of the given staff accounts, for a printed
        document's heading and its teachers' names (students' accounts are never named here)."""
        caller = require(self.caller, Permission.SELF_ACCOUNT_READ)
        school_id = caller.require_school()
        school = self.store.get_school(school_id) or {}
        names: dict[str, str] = {}
        for account_id in [i for i in (staff_ids or []) if isinstance(i, str)][:500]:
            doc = self.store.find_account(school_id, account_id)
            if doc and domain.is_staff(doc):
                names[account_id] = doc.get("display_name") or doc["username"]
        return {"school_id": school_id, "school_name": school.get("name", school_id), "names": names}

    # pickers

    @rpc
    def lookup_staff(self, q: str = "", role: str | None = None, ids: list | None = None) -> list[dict]:
        """At most 20 staff of the caller's school matching a name, or the named ids (to show stored values by name)."""
        if ids:  # names of staff already chosen (a course's teachers): any school member may read those
            caller = require(self.caller, Permission.SCHOOL_RECORD_RULES_READ)
            return lookup_store.staff(self.store, caller.require_school(), ids=list(ids))
        caller = require(self.caller, Permission.SCHOOL_STAFF_LOOKUP)
        return lookup_store.staff(self.store, caller.require_school(), q if isinstance(q, str) else "", role or None)

    @rpc
    def staff_ids_by_username(self, usernames: list) -> dict[str, str]:
        """Lower-cased username -> account id of the caller's school's enabled staff (import files name
        teachers by 帳號; the gateway turns those into the ids records stores)."""
        caller = require(self.caller, Permission.SCHOOL_STAFF_LOOKUP)
        return lookup_store.staff_by_username(self.store, caller.require_school(), list(usernames or []))
