"""Sign-ins through OpenID Connect providers: links of provider subjects to accounts, and the attempts
a callback must match (services/identity/sso_logins.py has the rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError


class SsoStore:
    def __init__(self, db: Database) -> None:
        # District-wide: a provider's subject names one account of one school, whichever school asks.
        self.links = db["sso_links"]
        self.attempts = db["sso_attempts"]

    def ensure_indexes(self) -> None:
        self.links.create_index([("issuer", 1), ("subject", 1)], unique=True, name="subject_unique")
        self.links.create_index([("school_id", 1), ("account_id", 1), ("provider", 1)], unique=True, name="one_per_provider")
        self.attempts.create_index([("expires_at", 1)])

    def find(self, issuer: str, subject: str) -> dict[str, Any] | None:
        return self.links.find_one({"issuer": issuer, "subject": subject})

    def add(self, doc: dict[str, Any]) -> bool:
        """False when the subject or the account's link to this provider exists already."""
        try:
            self.links.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    def of_account(self, school_id: str, account_id: str) -> list[dict[str, Any]]:
        return list(self.links.find({"school_id": school_id, "account_id": account_id}).sort("provider", 1))

    def remove(self, school_id: str, account_id: str, provider: str) -> bool:
        return self.links.delete_one({"school_id": school_id, "account_id": account_id, "provider": provider}).deleted_count > 0

    def remove_subject(self, issuer: str, subject: str) -> None:
        self.links.delete_one({"issuer": issuer, "subject": subject})

    def remember(self, doc: dict[str, Any]) -> None:
        self.attempts.delete_many({"expires_at": {"$lt": doc["created_at"]}})  # the few abandoned ones
        self.attempts.insert_one(doc)

    def take(self, state: str, now: datetime) -> dict[str, Any] | None:
        """The attempt, removed in the same step: a callback replayed finds nothing."""
        doc = self.attempts.find_one_and_delete({"_id": state})
        if doc is None or doc["expires_at"] <= now:
            return None
        return doc

    def touch_link(self, link_id: Any, now: datetime) -> None:
        self.links.update_one({"_id": link_id}, {"$set": {"last_used_at": now}})
