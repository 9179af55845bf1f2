"""National upload's MongoDB repository: uploads, their items (one per national submission), roster files.

Used by the Nameko service and by the workers (both are this service; nobody else reads it).
"""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from services.national_upload.domain import CARRIED, FINAL_STATES, ItemState, assign_lanes
from shared.audit_store import AuditTrail
from shared.clock import utcnow
from shared.tenancy import SchoolCollection


class UploadStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.uploads = SchoolCollection(db["uploads"])
        self.items = SchoolCollection(db["items"])
        self.files = SchoolCollection(db["roster_files"])
        self.secrets = SchoolCollection(db["national_credentials"])
        self.receipts = SchoolCollection(db["receipts"])
        self.entries = SchoolCollection(db["receipt_entries"])  # one per student and roster: confirm or report
        self.audit = AuditTrail(SchoolCollection(db["audit"]))
        self.controls = SchoolCollection(db["school_controls"])  # deadline console: pause per school

    def ensure_indexes(self) -> None:
        self.uploads.create_index([("created_at", -1)])
        self.items.create_index([("idempotency_key", 1)], unique=True)
        self.items.create_index([("upload_id", 1), ("state", 1)])
        self.items.create_index([("student_id", 1)])
        self.items.create_index([("upload_id", 1), ("kind", 1), ("state", 1)])
        self.items.create_index([("year", 1), ("term", 1), ("state", 1)])
        self.items.create_index([("upload_id", 1), ("lane", 1)])
        self.files.create_index([("upload_id", 1)])
        self.secrets.create_index([], unique=True)
        self.receipts.create_index([("upload_id", 1)])
        self.entries.create_index([("upload_id", 1), ("state", 1)])
        self.entries.create_index([("student_id", 1)])
        self.audit.ensure_indexes()

    def ping(self) -> None:
        self.db.command("ping")

    # uploads
    def insert_upload(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.uploads.insert_one(school_id, doc)

    def get_upload(self, school_id: str, upload_id: str) -> dict[str, Any] | None:
        return self.uploads.find_one(school_id, {"_id": upload_id})

    def update_upload(self, school_id: str, upload_id: str, fields: dict[str, Any]) -> None:
        self.uploads.update_one(school_id, {"_id": upload_id}, {"$set": fields})

    def uploads_in_state(self, state: str, limit: int = 50) -> list[dict[str, Any]]:
        """Across schools (the service's own housekeeping: resuming an interrupted publish)."""
        return list(self.uploads.raw.find({"state": state}, limit=limit))

    def unsettled_uploads(self, limit: int = 500) -> list[dict[str, Any]]:
        """Across schools: fully published uploads some of whose items may not have ended (reconcile.py)."""
        return list(self.uploads.raw.find({"state": "sending", "settled": {"$ne": True}}, limit=limit))

    def items_in_state(self, school_id: str, upload_id: str, state: str) -> list[dict[str, Any]]:
        """Equalities only, which FerretDB hands to PostgreSQL (one upload's items in one state)."""
        fields = ("_id", "idempotency_key", "state", "kind", "after_evidence", "lane", "updated_at", "republished_at", *CARRIED)
        projection = dict.fromkeys(fields, 1)
        return self.items.find(school_id, {"upload_id": upload_id, "state": state}, projection=projection)

    def stamp_republished(self, school_id: str, item_id: str, at: Any) -> None:
        self.items.update_one(school_id, {"_id": item_id}, {"$set": {"republished_at": at}})

    def list_uploads(self, school_id: str, limit: int = 20) -> list[dict[str, Any]]:
        return self.uploads.find(school_id, sort=[("created_at", -1)], limit=limit)

    def latest_sent(self, school_id: str) -> list[dict[str, Any]]:
        """The latest upload that was started (not a roster check's draft), as a list of at most one."""
        started = {"state": {"$nin": ["draft", "checking", "check_failed"]}}
        return self.uploads.find(school_id, started, sort=[("created_at", -1)], limit=1)

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
        """Items without a `lane` are given one (their block of the upload, for the workers' batches)."""
        assign_lanes(docs)
        self.items.insert_many(school_id, docs)

    def existing_keys(self, school_id: str, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), 1000):
            batch = keys[start : start + 1000]
            found |= {
                d["idempotency_key"]
                for d in self.items.find(school_id, {"idempotency_key": {"$in": batch}}, projection={"idempotency_key": 1})
            }
        return found

    def items_after(self, school_id: str, upload_id: str, after_id: str, limit: int, lane: int | None = None) -> list[dict[str, Any]]:
        """Items of an upload in _id order after a cursor (publishing resumes from the last batch).

        From `lane` (the cursor's, or 0 at the start) the items are read lane by lane: FerretDB applies
        `_id > cursor` after decoding what the equalities select, so one read over the upload decoded
        all of its items for every batch published (26,000 for a 2,000-student school, once a second).
        Lanes are consecutive blocks in _id order; the cursor's own lane may have nothing left, so the
        read ends at the first empty lane after it. Items from before lanes are read the whole way."""
        projection = dict.fromkeys(("_id", "idempotency_key", "state", "after_evidence", "lane", *CARRIED), 1)
        whole = {"upload_id": upload_id, "_id": {"$gt": after_id}}
        if lane is None:
            return self.items.find(school_id, whole, sort=[("_id", 1)], limit=limit, projection=projection)
        found: list[dict[str, Any]] = []
        current = lane
        while len(found) < limit:
            batch = self.items.find(
                school_id, {**whole, "lane": current}, sort=[("_id", 1)], limit=limit - len(found), projection=projection
            )
            if not batch and current > lane:
                break
            found += batch
            current += 1
        if not found and not after_id:  # nothing in lane 0: an upload whose items have no lanes
            return self.items.find(school_id, whole, sort=[("_id", 1)], limit=limit, projection=projection)
        return found

    def unfinished_through(self, school_id: str, upload_id: str, cursor: str) -> int:
        """Items up to the publishing cursor (published) still on their way: not accepted, rejected or dead."""
        unfinished = [ItemState.QUEUED.value, ItemState.SENDING.value, ItemState.RETRYING.value]  # dead ones wait off the queue
        return self.items.count(school_id, {"upload_id": upload_id, "state": {"$in": unfinished}, "_id": {"$lte": cursor}})

    def unfinished_by_lane(self, school_id: str, upload_id: str, lanes: list[int], cursor: str) -> dict[int, int]:
        """unfinished_through one lane at a time: each count decodes one block of the upload in FerretDB,
        where the count over the whole upload decoded all of it (seconds for 26,000 items, once a second)."""
        unfinished = [ItemState.QUEUED.value, ItemState.SENDING.value, ItemState.RETRYING.value]
        return {
            lane: self.items.count(school_id, {"upload_id": upload_id, "lane": lane, "state": {"$in": unfinished}, "_id": {"$lte": cursor}})
            for lane in lanes
        }

    def lane_of(self, school_id: str, item_id: str) -> int | None:
        item = self.items.find_one(school_id, {"_id": item_id}, projection={"lane": 1})
        return item.get("lane") if item else None

    def evidence_pending(self, school_id: str, upload_id: str) -> bool:
        """Whether any evidence item of an upload is still on its way (rosters that refer to them wait).
        One state at a time, as equalities FerretDB hands to PostgreSQL, stopping at the first found: a
        count with `$nin` decoded every evidence item of the upload in FerretDB (seconds for 26,000), and
        a waiting roster asks again after every retry delay.

        The states are asked in the order an item moves through them (queued, then sending, and between
        sending and retrying), so an item that moves while they are asked is met at a later question: a
        claim (queued to sending) is met at `sending`, and a failed send (sending to retrying) at the
        second `retrying`; retrying to sending again takes a retry delay, far longer than the questions.
        Asked the other way round, a roster could go out while a file it refers to was being claimed,
        and the national side rejected it."""
        on_the_way = (ItemState.QUEUED, ItemState.RETRYING, ItemState.SENDING, ItemState.RETRYING)
        return any(
            self.items.find_one(school_id, {"upload_id": upload_id, "kind": "evidence", "state": state.value}, projection={"_id": 1})
            for state in on_the_way
        )

    def term_counts(self, school_id: str, year: int, term: int) -> dict[str, int]:
        counts = {state.value: 0 for state in ItemState}
        pipeline = [
            {"$match": {"school_id": school_id, "year": year, "term": term}},
            {"$group": {"_id": "$state", "n": {"$sum": 1}}},
        ]
        for row in self.items.raw.aggregate(pipeline):
            counts[row["_id"]] = row["n"]
        return counts

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

    # a worker's batches (services/national_upload/batching.py): `lane` narrows what FerretDB decodes
    def items_in_lane(self, school_id: str, upload_id: str, lane: int, ids: list[str]) -> list[dict[str, Any]]:
        return self.items.find(school_id, {"upload_id": upload_id, "lane": lane, "_id": {"$in": ids}})

    def start_sending_many(self, school_id: str, upload_id: str, lane: int, ids: list[str], now: Any) -> int:
        """start_sending for several items of one lane (those already final are left alone); how many were claimed."""
        final = [s.value for s in FINAL_STATES]
        return self.items.update_many(
            school_id,
            {"upload_id": upload_id, "lane": lane, "_id": {"$in": ids}, "state": {"$nin": final}},
            {"$set": {"state": ItemState.SENDING.value, "updated_at": now}, "$inc": {"attempts": 1}},
        )

    def record_many(self, school_id: str, upload_id: str, lane: int, ids: list[str], state: ItemState, detail: str) -> None:
        """record for several items of one lane with the same result and no fields of their own."""
        now = utcnow()
        entry = {"at": now, "state": state.value, "detail": detail}
        self.items.update_many(
            school_id,
            {"upload_id": upload_id, "lane": lane, "_id": {"$in": ids}},
            {"$set": {"state": state.value, "updated_at": now, "detail": detail}, "$push": {"history": entry}},
        )

    def record(self, school_id: str, item_id: str, state: ItemState, **fields: Any) -> None:
        """One plain update (no document read back): the worker needs only that it was written."""
        now = utcnow()
        entry = {"at": now, "state": state.value, **{k: v for k, v in fields.items() if k in ("detail", "retry_in")}}
        self.items.update_one(
            school_id, {"_id": item_id}, {"$set": {"state": state.value, "updated_at": now, **fields}, "$push": {"history": entry}}
        )

    def requeue(self, school_id: str, item_id: str) -> dict[str, Any] | None:
        """A dead item the registrar retries starts over with fresh attempts (same idempotency key)."""
        return self.items.find_one_and_update(
            school_id, {"_id": item_id, "state": ItemState.DEAD.value}, {"$set": {"state": ItemState.QUEUED.value, "attempts": 0}}
        )

    # the school's national credentials (token encrypted with the field key)
    def set_credentials(self, school_id: str, token_enc: str, by: str, receipt_password_enc: str | None = None) -> None:
        fields = {"token_enc": token_enc, "set_by": by, "set_at": utcnow()}
        if receipt_password_enc:
            fields["receipt_password_enc"] = receipt_password_enc
        self.secrets.update_one(school_id, {}, {"$set": fields}, upsert=True)

    def credentials(self, school_id: str) -> dict[str, Any] | None:
        return self.secrets.find_one(school_id)

    # roster files (small XLSX, kept so every retry sends the very same bytes)
    def put_file(self, school_id: str, doc: dict[str, Any]) -> None:
        self.files.update_one(school_id, {"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True)

    def get_file(self, school_id: str, file_id: str) -> dict[str, Any] | None:
        return self.files.find_one(school_id, {"_id": file_id})

    def files_of(self, school_id: str, upload_id: str) -> list[dict[str, Any]]:
        """The roster files of an upload, without their bytes."""
        return self.files.find(school_id, {"upload_id": upload_id}, sort=[("code", 1)], projection={"data": 0})

    # receipts (收訖明細) and the students' answers
    def put_receipt(self, school_id: str, doc: dict[str, Any]) -> None:
        self.receipts.update_one(school_id, {"_id": doc["_id"]}, {"$set": doc}, upsert=True)

    def receipts_of(self, school_id: str, upload_id: str) -> list[dict[str, Any]]:
        return self.receipts.find(school_id, {"upload_id": upload_id}, sort=[("_id", 1)])

    def put_entry(self, school_id: str, doc: dict[str, Any]) -> None:
        """A re-imported receipt refreshes what is shown, never a student's answer already given."""
        fresh = {k: v for k, v in doc.items() if k != "_id"}
        self.entries.update_one(
            school_id, {"_id": doc["_id"]}, {"$set": fresh, "$setOnInsert": {"state": "pending", "message": ""}}, upsert=True
        )

    def entries_of_student(self, school_id: str, student_id: str) -> list[dict[str, Any]]:
        return self.entries.find(school_id, {"student_id": student_id}, sort=[("_id", -1)], limit=200)

    def entries_of_upload(self, school_id: str, upload_id: str, state: str | None = None) -> list[dict[str, Any]]:
        filter_: dict[str, Any] = {"upload_id": upload_id}
        if state:
            filter_["state"] = state
        return self.entries.find(school_id, filter_, sort=[("_id", 1)], limit=5000)

    def pending_entries(self, school_id: str) -> list[dict[str, Any]]:
        """Receipt entries no student has answered yet (reminders)."""
        return self.entries.find(school_id, {"state": "pending"}, projection={"student_id": 1, "deadline": 1})

    def dead_items(self, school_id: str) -> int:
        """Items given up on and waiting for the registrar (reminders' alarm)."""
        return self.items.count(school_id, {"state": ItemState.DEAD.value})

    def get_entry(self, school_id: str, entry_id: str) -> dict[str, Any] | None:
        return self.entries.find_one(school_id, {"_id": entry_id})

    def answer_entry(self, school_id: str, entry_id: str, state: str, message: str) -> None:
        self.entries.update_one(school_id, {"_id": entry_id}, {"$set": {"state": state, "message": message, "answered_at": utcnow()}})

    # deadline console: aggregate figures only (counts, no personal data)
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
