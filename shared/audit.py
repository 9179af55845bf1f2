"""The audit trail: who changed what, when, with the before and after images.

One act that changes many records at once (an import's chunk of 1,000 rows) is kept as one batch
entry: `targets` names its records and `rows` packs their own entries (shared/packed.py). Written as
1,000 entries of their own, a term's 30,000 grades cost FerretDB 6.4 s of the import's 28; as 30 batch
entries, a fraction of a second. A record's history finds its rows in the batches by `targets`
(indexed: MongoDB's multikey index, or on FerretDB the GIN index deploy/native's SQL adds) and reads
exactly as if each had been written alone.
"""

from __future__ import annotations

import uuid
from typing import Any

from shared.caller import Caller
from shared.clock import utcnow
from shared.mongo import is_ferretdb
from shared.packed import pack, unpack
from shared.tenancy import SchoolCollection

# District-level actions (creating schools) are audited under this pseudo-school.
DISTRICT = "_district"

# Never copied into an audit image: secrets, the encrypted or hashed national ID, the document's own id.
SCRUBBED = frozenset({"_id", "password", "password_hash", "national_id_enc", "national_id_hash"})
BATCH = "batch"  # `kind` of an entry that packs many records' entries
_SUMMARY = {"rows": 0, "targets": 0}  # a batch entry shown in a list of acts, without its rows


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


def batch_entry(caller: Caller | None, action: str, target: str, rows: list[dict[str, Any]], note: str = "") -> dict[str, Any]:
    """Many records' entries (each made with `entry`) of one act, as one entry naming the act."""
    targets = [r["target"] for r in rows]
    return {**entry(caller, action, target, note=note), "kind": BATCH, "count": len(rows), "targets": targets, "rows": pack(rows)}


class AuditTrail:
    def __init__(self, collection: SchoolCollection) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        self.collection.create_index([("at", -1)])
        self.collection.create_index([("target", 1), ("at", -1)])
        if not is_ferretdb(self.collection.raw.database.client):
            # FerretDB makes a btree of every index, and no btree row holds a batch's 1,000 targets;
            # there its `targets` index is PostgreSQL's own (deploy/native/ferretdb-equality-indexes.sql)
            self.collection.create_index([("targets", 1)])

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
        """The latest entries (a batch as the one act it was), or one target's history (with its rows
        out of every batch that holds one)."""
        if not target:
            return self.collection.find(school_id, {}, sort=[("at", -1)], limit=limit, projection=_SUMMARY)
        own = self.collection.find(school_id, {"target": target}, sort=[("at", -1)], limit=limit, projection=_SUMMARY)
        batched = [row for batch in self.collection.find(school_id, {"targets": target}) for row in _rows(batch) if row["target"] == target]
        return sorted(own + batched, key=lambda e: e["at"], reverse=True)[:limit]

    def forget_targets(self, school_id: str, targets: list[str], dry_run: bool = False) -> int:
        """Remove (unless a dry run) every entry about these targets, their rows in batches too; how many."""
        if not targets:
            return 0
        gone = set(targets)
        own = {"target": {"$in": targets}}
        count = self.collection.count(school_id, own)
        for batch in self._batches_of(school_id, targets):
            rows = _rows(batch)
            kept = [r for r in rows if r["target"] not in gone]
            count += len(rows) - len(kept)
            if dry_run or len(kept) == len(rows):
                continue
            if kept:
                change = {"rows": pack(kept), "targets": [r["target"] for r in kept], "count": len(kept)}
                self.collection.update_one(school_id, {"_id": batch["_id"]}, {"$set": change})
            else:
                self.collection.delete_one(school_id, {"_id": batch["_id"]})
        if not dry_run:
            self.collection.delete_many(school_id, own)
        return count

    def _batches_of(self, school_id: str, targets: list[str]) -> list[dict[str, Any]]:
        if len(targets) <= 100:  # one indexed look-up each
            found = {b["_id"]: b for t in targets for b in self.collection.find(school_id, {"targets": t})}
            return list(found.values())
        return self.collection.find(school_id, {"kind": BATCH})  # a whole class's records: every batch once


def _rows(batch: dict[str, Any]) -> list[dict[str, Any]]:
    return unpack(batch["rows"])
