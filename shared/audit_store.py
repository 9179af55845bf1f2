"""The audit trail's queries (entries are made in shared/audit.py): latest acts, one target's history
with its rows out of batch entries, and forgetting a purged student's targets."""

from __future__ import annotations

from typing import Any

from shared.audit import BATCH, entry
from shared.caller import Caller
from shared.mongo import is_ferretdb
from shared.packed import pack, unpack
from shared.tenancy import SchoolCollection

_SUMMARY = {"rows": 0, "targets": 0}  # a batch entry shown in a list of acts, without its rows


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
