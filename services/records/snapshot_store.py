"""Each tallied partition's records kept as one compressed document, so a whole school's list,
export or roster reads 60 documents instead of 30,000.

FerretDB 1.x turns every stored document back into BSON field by field: 6 s of CPU for a term's
30,000 grades. So a partition (one class's grades of a semester: ~500 records) is also kept whole,
packed into one document (shared/packed.py), beside the records themselves.

A snapshot is only ever a copy. It names the partition tally it was taken at (`epoch`, `w`, `n`:
list_store.Tallies counts every write to a partition in `w`, and a rebuilt tally gets a new
`epoch`); a reader whose tally says otherwise reads the records and takes a new one. The tally is
read before the records, and a writer changes the records before the tally, so a snapshot can be
older than its label but never newer: an older one is replaced at the next read. Purging a
student's records removes the type's snapshots with them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo.errors import DuplicateKeyError

from services.records.list_store import order_rows, partition_filter
from shared.clock import utcnow
from shared.packed import pack, unpack
from shared.tenancy import SchoolCollection

# A partition larger than this is read the plain way (one document must stay far below 16 MB).
MOST_ROWS = 5000

Sort = list[tuple[str, int]]


def _label(part: dict[str, Any]) -> tuple[Any, Any, Any] | None:
    """What a snapshot must carry to stand for this tally (None: the tally has no epoch yet)."""
    return None if part.get("epoch") is None else (part["epoch"], part.get("w"), part.get("n"))


def _named(sort: Sort) -> str:
    """An order as one string (FerretDB 1.x stores no arrays of arrays)."""
    return ",".join(f"{name}:{direction}" for name, direction in sort)


class PartitionSnapshots:
    def __init__(self, snapshots: SchoolCollection, records: dict[str, SchoolCollection], ensure_epoch: Callable[[str, dict], Any]) -> None:
        self.coll = snapshots
        self.records = records
        self.ensure_epoch = ensure_epoch  # Tallies.ensure_epoch: a tally written before epochs gets one

    def rows(self, school_id: str, type_key: str, part: dict[str, Any], sort: Sort) -> list[dict[str, Any]]:
        """Every record of the partition `part` (its tally, as just read) in `sort`'s order."""
        records = self.records[type_key]
        if part.get("n", 0) > MOST_ROWS:
            return records.find(school_id, partition_filter(part), sort=sort)
        if part.get("epoch") is None:
            part = {**part, "epoch": self.ensure_epoch(school_id, part)}
        label = _label(part)
        kept = self.coll.find_one(school_id, {"_id": part["_id"]})
        if label is not None and kept is not None and _label(kept) == label:
            rows = unpack(kept["rows"], records.raw.codec_options)
            return rows if kept.get("sort") == _named(sort) else order_rows(rows, sort)
        rows = records.find(school_id, partition_filter(part), sort=sort)
        if label is not None:
            self._keep(school_id, part, label, rows, sort)
        return rows

    def keep(self, school_id: str, part: dict[str, Any], rows: list[dict[str, Any]], sort: Sort) -> bool:
        """Keep `rows`, known to be every record of the partition whose tally is `part`, in `sort`'s
        order (an import that wrote them; False: not kept, e.g. too many)."""
        label = _label(part)
        if label is None or len(rows) != part.get("n") or len(rows) > MOST_ROWS:
            return False
        self._keep(school_id, part, label, rows, sort)
        return True

    def _keep(self, school_id: str, part: dict[str, Any], label: tuple, rows: list[dict[str, Any]], sort: Sort) -> None:
        epoch, w, n = label
        content = {
            "type": part.get("type"),
            "epoch": epoch,
            "w": w,
            "n": n,
            "sort": _named(sort),
            "rows": pack(rows),
            "at": utcnow(),
        }
        try:
            self.coll.update_one(school_id, {"_id": part["_id"]}, {"$set": content}, upsert=True)
        except DuplicateKeyError:  # another reader kept the same partition at the same moment
            pass

    def forget(self, school_id: str, type_key: str) -> None:
        """Drop the type's snapshots (its records were purged: no copy of them may stay)."""
        self.coll.delete_many(school_id, {"type": type_key})
