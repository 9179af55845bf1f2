"""National upload's MongoDB repository: uploads, their items (one per national submission), roster files.

Used by the Nameko service and by the workers (both are this service; nobody else reads it).
"""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from services.national_upload.domain import FINAL_STATES, ItemState
from shared.audit import AuditTrail
from shared.clock import utcnow
from shared.tenancy import SchoolCollection


class UploadStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.uploads = SchoolCollection(db["uploads"])
        self.items = SchoolCollection(db["items"])
        self.files = SchoolCollection(db["roster_files"])
        self.secrets = SchoolCollection(db["national_credentials"])
        self.audit = AuditTrail(SchoolCollection(db["audit"]))
        self.controls = SchoolCollection(db["school_controls"])  # deadline console (issue 10): pause per school

    def ensure_indexes(self) -> None:
        self.uploads.create_index([("created_at", -1)])
        self.items.create_index([("idempotency_key", 1)], unique=True)
        self.items.create_index([("upload_id", 1), ("state", 1)])
        self.items.create_index([("student_id", 1)])
        self.secrets.create_index([], unique=True)
        self.audit.ensure_indexes()

    def ping(self) -> None:
        self.db.command("ping")

    # uploads
    def insert_upload(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.uploads.insert_one(school_id, doc)

    def get_upload(self, school_id: str, upload_id: str) -> dict[str, Any] | None:
        return self.uploads.find_one(school_id, {"_id": upload_id})

    def list_uploads(self, school_id: str, limit: int = 20) -> list[dict[str, Any]]:
        return self.uploads.find(school_id, sort=[("created_at", -1)], limit=limit)

    def progress(self, school_id: str, upload_id: str) -> dict[str, int]:
        counts = {state.value: 0 for state in ItemState}
        pipeline = [
            {"$match": {"school_id": school_id, "upload_id": upload_id}},
            {"$group": {"_id": "$state", "n": {"$sum": 1}}},
        ]
        for row in self.items.raw.aggregate(pipeline):
            counts[row["_id"]] = row["n"]
        return counts

    # items
    def insert_items(self, school_id: str, docs: list[dict[str, Any]]) -> None:
        self.items.insert_many(school_id, docs)

    def get_item(self, school_id: str, item_id: str) -> dict[str, Any] | None:
        return self.items.find_one(school_id, {"_id": item_id})

    def items_of(self, school_id: str, upload_id: str, state: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        filter_: dict[str, Any] = {"upload_id": upload_id}
        if state:
            filter_["state"] = state
        return self.items.find(school_id, filter_, sort=[("_id", 1)], limit=limit)

    def start_sending(self, school_id: str, item_id: str) -> dict[str, Any] | None:
        """Claims the item for one attempt; None when it already has its final result (a redelivery)."""
        return self.items.find_one_and_update(
            school_id,
            {"_id": item_id, "state": {"$nin": [s.value for s in FINAL_STATES]}},
            {"$set": {"state": ItemState.SENDING.value, "updated_at": utcnow()}, "$inc": {"attempts": 1}},
        )

    def record(self, school_id: str, item_id: str, state: ItemState, **fields: Any) -> dict[str, Any] | None:
        now = utcnow()
        entry = {"at": now, "state": state.value, **{k: v for k, v in fields.items() if k in ("detail", "retry_in")}}
        return self.items.find_one_and_update(
            school_id, {"_id": item_id}, {"$set": {"state": state.value, "updated_at": now, **fields}, "$push": {"history": entry}}
        )

    def requeue(self, school_id: str, item_id: str) -> dict[str, Any] | None:
        """A dead item the registrar retries starts over with fresh attempts (same idempotency key)."""
        return self.items.find_one_and_update(
            school_id, {"_id": item_id, "state": ItemState.DEAD.value}, {"$set": {"state": ItemState.QUEUED.value, "attempts": 0}}
        )

    # the school's national credentials (token encrypted with the field key)
    def set_credentials(self, school_id: str, token_enc: str, by: str) -> None:
        self.secrets.update_one(school_id, {}, {"$set": {"token_enc": token_enc, "set_by": by, "set_at": utcnow()}}, upsert=True)

    def credentials(self, school_id: str) -> dict[str, Any] | None:
        return self.secrets.find_one(school_id)

    # roster files (small XLSX, kept so every retry sends the very same bytes)
    def put_file(self, school_id: str, doc: dict[str, Any]) -> None:
        self.files.update_one(school_id, {"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True)

    def get_file(self, school_id: str, file_id: str) -> dict[str, Any] | None:
        return self.files.find_one(school_id, {"_id": file_id})

    # deadline console (issue 10): aggregate figures only (counts, no personal data)
    def schools_with_uploads(self) -> list[str]:
        """Every school that has started an upload (the district admin's console spans schools on purpose)."""
        return sorted(row["_id"] for row in self.uploads.raw.aggregate([{"$group": {"_id": "$school_id"}}]))

    def retries(self, school_id: str, upload_id: str) -> int:
        """Sends beyond each item's first (attempts are counted when a worker claims an item)."""
        pipeline = [
            {"$match": {"school_id": school_id, "upload_id": upload_id, "attempts": {"$gte": 1}}},
            {"$group": {"_id": None, "attempts": {"$sum": "$attempts"}, "items": {"$sum": 1}}},
        ]
        rows = list(self.items.raw.aggregate(pipeline))
        return rows[0]["attempts"] - rows[0]["items"] if rows else 0

    def set_paused(self, school_id: str, paused: bool, by: str) -> None:
        self.controls.update_one(school_id, {}, {"$set": {"paused": paused, "set_by": by, "set_at": utcnow()}}, upsert=True)

    def is_paused(self, school_id: str) -> bool:
        doc = self.controls.find_one(school_id)
        return bool(doc and doc.get("paused"))
