"""The audit trail: who changed what, when, with the before and after images ."""

from __future__ import annotations

import uuid
from typing import Any

from shared.caller import Caller
from shared.clock import utcnow
from shared.tenancy import SchoolCollection

# District-level actions (creating schools) are audited under this pseudo-school.
DISTRICT = "_district"

# Never copied into an audit image: secrets, the encrypted or hashed national ID, the document's own id.
SCRUBBED = frozenset({"_id", "password", "password_hash", "national_id_enc", "national_id_hash"})


def _scrub(image: dict[str, Any] | None) -> dict[str, Any] | None:
    if image is None:
        return None
    return {k: v for k, v in image.items() if k not in SCRUBBED}


def entry(
    caller: Caller | None,
    action: str,
    target: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One audit entry, its images scrubbed (the trail adds the school)."""
    return {
        "_id": uuid.uuid4().hex,
        "at": utcnow(),
        "actor": caller.user_id if caller else "anonymous",
        "actor_name": caller.username if caller else "",
        "request_id": caller.request_id if caller else "",
        "action": action,
        "target": target,
        "before": _scrub(before),
        "after": _scrub(after),
        "note": note,
    }


class AuditTrail:
    def __init__(self, collection: SchoolCollection) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        self.collection.create_index([("at", -1)])
        self.collection.create_index([("target", 1), ("at", -1)])

    def record(
        self,
        school_id: str,
        caller: Caller | None,
        action: str,
        target: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        note: str = "",
    ) -> None:
        self.collection.insert_one(school_id, entry(caller, action, target, before=before, after=after, note=note))

    def record_many(self, school_id: str, entries: list[dict[str, Any]]) -> None:
        """Entries built with `entry`, in one round trip."""
        self.collection.insert_many(school_id, entries)

    def list(self, school_id: str, *, target: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        filter_ = {"target": target} if target else {}
        return self.collection.find(school_id, filter_, sort=[("at", -1)], limit=limit)
