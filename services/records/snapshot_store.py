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

Beside its rows a snapshot keeps their natural keys (packed the same way, a tenth of the size), so
an import can tell which of a file's rows are new without unpacking a semester's every record, and
an import that only added records to a partition appends them as one more segment (`more`), under
the condition that the snapshot still stands for the tally the import started from, instead of
packing the whole partition again. A reader puts the segments back in order; after `MOST_SEGMENTS`
the next import that reads the partition packs it whole again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from services.records.division import TYPES
from services.records.domain import natural_tuple
from services.records.list_store import order_rows, partition_filter
from shared.clock import utcnow
from shared.packed import pack, unpack
from shared.tenancy import SchoolCollection

# A partition larger than this is read the plain way (one document must stay far below 16 MB).
MOST_ROWS = 5000
# Appended segments a snapshot may carry before it is packed whole again.
MOST_SEGMENTS = 16

Sort = list[tuple[str, int]]


def _label(part: dict[str, Any]) -> tuple[Any, Any, Any] | None:
    """What a snapshot must carry to stand for this tally (None: the tally has no epoch yet)."""
    return None if part.get("epoch") is None else (part["epoch"], part.get("w"), part.get("n"))


def _named(sort: Sort) -> str:
    """An order as one string (FerretDB 1.x stores no arrays of arrays)."""
    return ",".join(f"{name}:{direction}" for name, direction in sort)


def _segment(type_key: str | None, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows packed, with their natural keys packed beside them (no keys: the type has none)."""
    type_ = TYPES.get(type_key) if type_key else None
    keys = pack({"k": list(natural_tuple(type_, r))} for r in rows) if type_ is not None and type_.natural_key else None
    return {"rows": pack(rows), "keys": keys}


class PartitionSnapshots:
    def __init__(self, snapshots: SchoolCollection, records: dict[str, SchoolCollection], ensure_epoch: Callable[[str, dict], Any]) -> None:
        self.coll = snapshots
        self.records = records
        self.ensure_epoch = ensure_epoch  # Tallies.ensure_epoch: a tally written before epochs gets one

    def semester(self, school_id: str, type_key: str, year: Any, term: Any) -> dict[str, dict[str, Any]]:
        """The type's snapshots of one semester by partition id, in one read (for `rows` and `keys`)."""
        return {d["_id"]: d for d in self.coll.find(school_id, {"type": type_key, "year": year, "term": term})}

    def rows(self, school_id: str, type_key: str, part: dict[str, Any], sort: Sort, kept: Any = ...) -> list[dict[str, Any]]:
        """Every record of the partition `part` (its tally, as just read) in `sort`'s order; `kept`:
        its snapshot as `semester` read it (None: it has none), else read here."""
        records = self.records[type_key]
        if part.get("n", 0) > MOST_ROWS:
            return records.find(school_id, partition_filter(part), sort=sort)
        if part.get("epoch") is None:
            part = {**part, "epoch": self.ensure_epoch(school_id, part)}
        label = _label(part)
        if kept is ...:
            kept = self.coll.find_one(school_id, {"_id": part["_id"]})
        if label is not None and kept is not None and _label(kept) == label:
            segments = [kept["rows"]] + [m["rows"] for m in kept.get("more", [])]
            rows = [r for packed in segments for r in unpack(packed, records.raw.codec_options)]
            return rows if kept.get("sort") == _named(sort) and len(segments) == 1 else order_rows(rows, sort)
        rows = records.find(school_id, partition_filter(part), sort=sort)
        if label is not None:
            self._keep(school_id, part, label, rows, sort)
        return rows

    def keys(self, part: dict[str, Any], kept: dict[str, Any] | None) -> list[tuple] | None:
        """The natural keys of every record of the partition `part` (its tally, as just read), from
        its snapshot `kept` (None: no current snapshot with keys says them)."""
        if kept is None or part.get("epoch") is None or _label(kept) != _label(part):
            return None
        segments = [kept] + list(kept.get("more", []))
        if any(s.get("keys") is None for s in segments):
            return None
        return [tuple(d["k"]) for s in segments for d in unpack(s["keys"])]

    def append_op(self, school_id: str, was: dict[str, Any], now: dict[str, Any], added: list[dict[str, Any]]) -> UpdateOne | None:
        """The write that appends the records `added` to the partition whose tally went from `was` to
        `now` (nothing else changed in it), if its snapshot still stands for `was` (None: it cannot)."""
        label = _label(was)
        if label is None or now.get("epoch") != was.get("epoch") or now.get("n", 0) > MOST_ROWS:
            return None
        epoch, w, n = label
        # the raw collection, for a bulk write: the school named by hand, as SchoolCollection would
        where = {"_id": was["_id"], "school_id": school_id, "epoch": epoch, "w": w, "n": n, "segments": {"$lt": MOST_SEGMENTS}}
        change = {
            "$set": {"w": now.get("w"), "n": now.get("n"), "at": utcnow()},
            "$inc": {"segments": 1},
            "$push": {"more": _segment(was.get("type"), added)},
        }
        return UpdateOne(where, change)

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
            "year": part.get("year"),
            "class": part.get("class"),
            "term": part.get("term"),
            "epoch": epoch,
            "w": w,
            "n": n,
            "sort": _named(sort),
            **_segment(part.get("type"), rows),
            "more": [],
            "segments": 0,
            "at": utcnow(),
        }
        try:
            self.coll.update_one(school_id, {"_id": part["_id"]}, {"$set": content}, upsert=True)
        except DuplicateKeyError:  # another reader kept the same partition at the same moment
            pass

    def forget(self, school_id: str, type_key: str) -> None:
        """Drop the type's snapshots (its records were purged: no copy of them may stay)."""
        self.coll.delete_many(school_id, {"type": type_key})
