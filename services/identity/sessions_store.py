"""The `sessions` and address-throttle collections' queries (services/identity/sessions.py has the rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database

from shared.tenancy import SchoolCollection


class SessionStore:
    def __init__(self, db: Database) -> None:
        self.sessions = SchoolCollection(db["sessions"])
        # Failed logins per source address, across schools: the address throttle's one district-wide list.
        self.address_failures = db["login_address_failures"]

    def ensure_indexes(self) -> None:
        self.sessions.create_index([("account_id", 1), ("ended_at", 1)])
        self.sessions.raw.create_index([("ended_at", 1)], name="ended_feed")
        self.address_failures.create_index([("address", 1), ("at", 1)])

    def start(self, doc: dict[str, Any]) -> None:
        self.sessions.insert_one(doc["school_id"], doc)

    def get(self, session_id: Any) -> dict[str, Any] | None:
        """By id alone: a refresh token names only its session (the id is a random 128-bit value)."""
        if not isinstance(session_id, str) or not session_id:
            return None
        return self.sessions.raw.find_one({"_id": session_id})

    def touch(self, school_id: str, session_id: str, changes: dict[str, Any]) -> None:
        self.sessions.update_one(school_id, {"_id": session_id, "ended_at": None}, {"$set": changes})

    def end(self, school_id: str, session_id: str, now: datetime, reason: str) -> bool:
        return (
            self.sessions.update_one(school_id, {"_id": session_id, "ended_at": None}, {"$set": {"ended_at": now, "end_reason": reason}})
            > 0
        )

    def open_of(self, school_id: str, account_id: str) -> list[dict[str, Any]]:
        return self.sessions.find(school_id, {"account_id": account_id, "ended_at": None}, sort=[("last_seen_at", -1)])

    def end_all(self, school_id: str, account_id: str, now: datetime, reason: str, keep: str | None = None) -> list[str]:
        """Ends every open session of the account (but `keep`); returns the ids ended."""
        ended = []
        for doc in self.open_of(school_id, account_id):
            if doc["_id"] != keep and self.end(school_id, doc["_id"], now, reason):
                ended.append(doc["_id"])
        return ended

    def ended_since(self, since: datetime) -> list[str]:
        """Ids of sessions ended at or after `since` (every school: the gateway refuses their tokens)."""
        return [d["_id"] for d in self.sessions.raw.find({"ended_at": {"$gte": since}}, {"_id": 1})]

    # the address throttle
    def address_failures_since(self, address: str, since: datetime) -> int:
        return self.address_failures.count_documents({"address": address, "at": {"$gt": since}})

    def count_address_failure(self, address: str, now: datetime) -> None:
        self.address_failures.insert_one({"address": address, "at": now})
