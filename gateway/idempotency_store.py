"""The `idempotency` collection of the gateway's own database: claims and stored outcomes of
`Idempotency-Key` requests (gateway/idempotency.py says how they are used)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from shared.crypto import FieldCipher


class IdempotencyStore:
    """The `idempotency` collection of the gateway's own database."""

    def __init__(self, collection: Collection, cipher: FieldCipher) -> None:
        self.collection = collection
        self.cipher = cipher
        self._purged_at = datetime.min.replace(tzinfo=UTC)

    def ensure_indexes(self) -> None:
        self.collection.create_index([("expires_at", ASCENDING)])

    def claim(self, doc_id: str, doc: dict) -> dict | None:
        """Insert the claim; None when it is ours, else the document that holds the key."""
        try:
            self.collection.insert_one({"_id": doc_id, **doc})
            return None
        except DuplicateKeyError:
            return self.collection.find_one({"_id": doc_id}) or {}

    def release(self, doc_id: str, claimed_at: datetime) -> None:
        self.collection.delete_one({"_id": doc_id, "state": "pending", "claimed_at": claimed_at})

    def drop_if(self, doc_id: str, held: dict) -> None:
        """Remove an expired or abandoned claim, only if it is still the very one we looked at."""
        self.collection.delete_one({"_id": doc_id, "claimed_at": held.get("claimed_at")})

    def complete(self, doc_id: str, claimed_at: datetime, outcome: dict) -> None:
        self.collection.update_one({"_id": doc_id, "claimed_at": claimed_at}, {"$set": {"state": "done", **outcome}})

    def purge_expired(self, now: datetime) -> None:
        """Expired keys are removed now and then by whichever request passes (no TTL index in FerretDB)."""
        if now - self._purged_at < timedelta(minutes=10):
            return
        self._purged_at = now
        self.collection.delete_many({"expires_at": {"$lt": now}})
