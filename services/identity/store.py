"""Identity's MongoDB repository. Every query names its school (district accounts live under `_district`)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.identity.errors import AccountExists, SchoolExists
from services.identity.guardian_store import GuardianStore
from services.identity.sessions_store import SessionStore
from services.identity.sso_store import SsoStore
from shared.audit import DISTRICT
from shared.audit_store import AuditTrail
from shared.tenancy import SchoolCollection


class IdentityStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.schools = SchoolCollection(db["schools"])  # school_id is the school's own code
        self.accounts = SchoolCollection(db["accounts"])
        self.throttle = SchoolCollection(db["login_throttle"])
        self.failures = SchoolCollection(db["login_failures"])
        self.audit = AuditTrail(SchoolCollection(db["audit"]))
        self.sessions = SessionStore(db)
        self.sso = SsoStore(db)
        self.guardians = GuardianStore(db)

    def ensure_indexes(self) -> None:
        self.schools.create_index([], unique=True, name="school_unique")
        self.accounts.create_index([("username_key", 1)], unique=True)
        self.accounts.create_index([("student_id", 1)])
        self.throttle.create_index([("username_key", 1)], unique=True)
        self.failures.create_index([("username_key", 1), ("at", 1)])
        self.audit.ensure_indexes()
        self.sessions.ensure_indexes()
        self.sso.ensure_indexes()
        self.guardians.ensure_indexes()
        self.accounts.raw.create_index([("email", 1)], name="email")

    def ping(self) -> None:
        self.db.command("ping")

    # schools
    def insert_school(self, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.schools.insert_one(doc["code"], doc)
        except DuplicateKeyError:
            raise SchoolExists(f"學校代碼 {doc['code']} 已存在", f"school {doc['code']} exists") from None

    def get_school(self, code: str) -> dict[str, Any] | None:
        return self.schools.find_one(code)

    def list_schools(self) -> list[dict[str, Any]]:
        # The tenant registry itself is the one district-wide listing (district admin only).
        return list(self.schools.raw.find({}).sort("code", 1))

    # accounts
    def insert_account(self, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.accounts.insert_one(doc["school_id"], doc)
        except DuplicateKeyError:
            raise AccountExists(f"帳號 {doc['username']} 已存在", f"account {doc['username']} exists") from None

    def insert_accounts(self, school_id: str, docs: list[dict[str, Any]], batch: str) -> None:
        """All or nothing: on any failure the rows of this batch already written are removed."""
        tagged = [{**d, "import_batch": batch} for d in docs]
        try:
            self.accounts.insert_many(school_id, tagged)
        except Exception:
            self.accounts.delete_many(school_id, {"import_batch": batch})
            raise

    def find_account(self, school_id: str, account_id: str) -> dict[str, Any] | None:
        return self.accounts.find_one(school_id, {"_id": account_id})

    def find_by_username(self, school_id: str, username: str) -> dict[str, Any] | None:
        return self.accounts.find_one(school_id, {"username_key": username.lower()})

    def mailable(self, school_id: str) -> list[dict[str, Any]]:
        """The school's enabled accounts that have an e-mail: who reminders can reach."""
        docs = self.accounts.find(
            school_id, {"disabled": False}, projection={"display_name": 1, "email": 1, "roles": 1, "student_id": 1, "username": 1}
        )
        return [d for d in docs if d.get("email")]

    def accounts_with_email(self, email: str, limit: int = 2) -> list[dict[str, Any]]:
        """Accounts of any school the schools gave this e-mail (a provider's verified e-mail links one)."""
        return list(self.accounts.raw.find({"email": email.lower()}).limit(limit))

    def usernames(self, school_id: str) -> set[str]:
        return {d["username_key"] for d in self.accounts.find(school_id, projection={"username_key": 1})}

    @staticmethod
    def _account_filter(role: str | None, class_code: str | None, q: str | None = None) -> dict[str, Any]:
        filter_: dict[str, Any] = {}
        if role:
            filter_["roles"] = role
        if class_code:
            filter_["class_code"] = class_code
        if q:  # part of the username (any case) or of the name, taken literally
            needle = re.escape(q.strip()[:50])
            filter_["$or"] = [{"username_key": {"$regex": needle.lower()}}, {"display_name": {"$regex": needle}}]
        return filter_

    def list_accounts(
        self, school_id: str, *, role: str | None, class_code: str | None, skip: int, limit: int, q: str | None = None
    ) -> list[dict[str, Any]]:
        filter_ = self._account_filter(role, class_code, q)
        return self.accounts.find(school_id, filter_, sort=[("username_key", 1)], skip=skip, limit=limit)

    def count_accounts(self, school_id: str, role: str | None = None, class_code: str | None = None, q: str | None = None) -> int:
        """The total the list's pager shows: the same filter as the list."""
        return self.accounts.count(school_id, self._account_filter(role, class_code, q))

    def update_account(self, school_id: str, account_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        return self.accounts.find_one_and_update(school_id, {"_id": account_id}, {"$set": changes})

    def disable_for_leavers(self, school_id: str, student_ids: list[str], leaving: bool) -> list[str]:
        """Student accounts of students who left are disabled (marked as by archive); undoing an archive
        re-enables only those. Returns the account ids changed (one update each: a handful per event)."""
        if leaving:
            filter_: dict[str, Any] = {"student_id": {"$in": student_ids}, "disabled": {"$ne": True}}
            change: dict[str, Any] = {"$set": {"disabled": True, "disabled_by_archive": True}}
        else:
            filter_ = {"student_id": {"$in": student_ids}, "disabled_by_archive": True}
            change = {"$set": {"disabled": False}, "$unset": {"disabled_by_archive": ""}}
        changed = [d["_id"] for d in self.accounts.find(school_id, filter_, projection={"_id": 1})]
        for account_id in changed:
            self.accounts.update_one(school_id, {"_id": account_id}, change)
        return changed

    def disabled_by_archive(self, school_id: str) -> list[str]:
        """Student ids whose accounts an archive disabled (the reconcile re-enables those no longer archived)."""
        docs = self.accounts.find(school_id, {"disabled_by_archive": True}, projection={"student_id": 1})
        return [d["student_id"] for d in docs if d.get("student_id")]

    # login throttle
    def throttle_state(self, school_id: str, username: str) -> dict[str, Any] | None:
        return self.throttle.find_one(school_id, {"username_key": username.lower()})

    # Failed logins are counted as inserted documents, not with $inc: FerretDB 1.x applies concurrent
    # read-modify-write updates non-atomically (measured: 10 threads x 20 $inc kept 38 of 200), and a
    # brute-force run is exactly such a burst. Inserts are never lost.
    def count_failure(self, school_id: str, username: str, now: datetime) -> int:
        """Records one failed login; returns the failures since the last success or lock."""
        key = username.lower()
        self.failures.insert_one(school_id, {"username_key": key, "at": now})
        state = self.throttle.find_one(school_id, {"username_key": key}) or {}
        since = state.get("reset_at")
        filter_: dict[str, Any] = {"username_key": key}
        if since is not None:
            filter_["at"] = {"$gt": since}
        return self.failures.count(school_id, filter_)

    def lock(self, school_id: str, username: str, until: datetime, now: datetime) -> None:
        self._set_throttle(school_id, username, {"locked_until": until, "reset_at": now})

    def clear_throttle(self, school_id: str, username: str, now: datetime) -> None:
        self._set_throttle(school_id, username, {"locked_until": None, "reset_at": now})

    def _set_throttle(self, school_id: str, username: str, changes: dict[str, Any]) -> None:
        key = username.lower()
        try:
            self.throttle.update_one(school_id, {"username_key": key}, {"$set": changes}, upsert=True)
        except DuplicateKeyError:  # two first writers raced on the upsert; the row exists now
            self.throttle.update_one(school_id, {"username_key": key}, {"$set": changes})

    @staticmethod
    def district() -> str:
        return DISTRICT
