"""Lists of a whole school's records, shaped for what FerretDB (PostgreSQL backend) can do fast.

FerretDB 1.x sends PostgreSQL only a filter's top-level equalities on scalars; `$in`, `$or`,
`$nin`, ranges and every sort, skip and count run in FerretDB over all the rows those equalities
matched (about 0.1 ms a row). A school's 30,000 grades filtered by school alone are read whole
twice per page (the page, then its count): seconds. So records about a student carry their
student's class (`list_class`, kept current when the student changes class), and a list is
read by equality, partition by partition:

- a class filter becomes the equality `list_class = <class>` (one class: ~500 grades, not 30,000);
- a whole-school list is paged over (year, term, class) partitions whose sizes are tallied here
  (`list_tallies`, kept by every write of the store), so a page reads one or two partitions and
  its total reads no record at all.

Tallies of a school and type are built once (one full read, which also sets `list_class` on
records written before it existed) and marked complete; any write the store cannot tally
exactly forgets the mark, and the next list builds them again.

Each partition's tally also counts the writes that added or removed one of its records (`v`) and
every write to it (`w`, also a change in place). It keeps which students it holds records of as of
some `v` (`students`, `students_v`): 登錄進度 (coverage) asks which enrolled students have a record in
a semester, and reads again only the partitions written since, not the semester's 30,000 grades on
every page. A whole-school list in a column's order is kept while its partitions' `w` stand.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bson.decimal128 import Decimal128
from pymongo import UpdateMany, UpdateOne
from pymongo.errors import DuplicateKeyError

from services.records.division import TYPES
from shared.clock import utcnow
from shared.mongo import bulk_write_bounded, side_by_side
from shared.tenancy import SchoolCollection

log = logging.getLogger("licheng.records.lists")

PARTITION = "list_class"
# Record types about one student (by student_id): their records carry the student's class.
PARTITIONED = frozenset(k for k, t in TYPES.items() if t.student_field == "student_id" and not t.student_register)
# A whole-school list larger than this is paged by partitions; a smaller one is read as one query
# (the order is the natural key's; by partitions it is year, term, class, then the natural key).
BIG_LIST = 3000
# Tallies of a school and type with at most this many records are built inside the list call that
# needs them (a new school: at once); more (records stored before tallies existed) are built in the
# background, and lists are read the plain way until they are done.
BUILD_INLINE = 5000
BUILD_LEASE = timedelta(minutes=15)

# 登錄進度 reads this many written-since partitions one by one; more, and it reads the semester once.
STALE_PARTITIONS_READ_ONE_BY_ONE = 12

Partition = tuple[Any, Any, str]  # (year, term, class); year/term None for types without a semester
# (school, type, tally, order) -> the partition's records in that order (snapshot_store.py)
PartitionRead = Callable[[str, str, dict[str, Any], list[tuple[str, int]]], list[dict[str, Any]]]


def natural_order(type_key: str) -> list[tuple[str, int]]:
    """A list's order when no column is chosen: its type's natural key."""
    t = TYPES[type_key]
    return [(k, 1) for k in (t.natural_key or ("year", "term", t.student_field or "_id"))]


def partition_of(doc: dict[str, Any]) -> Partition:
    return (doc.get("year") if "term" in doc else None, doc.get("term"), doc.get(PARTITION) or "")


class Tallies:
    """How many records of a type each (year, term, class) partition of a school holds."""

    def __init__(self, tallies: SchoolCollection, records: dict[str, SchoolCollection]) -> None:
        self.coll = tallies
        self.records = records

    @staticmethod
    def _id(school_id: str, type_key: str, part: Partition | None) -> str:
        return f"{school_id}|{type_key}|" + ("*" if part is None else "|".join("" if p is None else str(p) for p in part))

    @staticmethod
    def _lease(school_id: str, type_key: str) -> str:
        return f"{school_id}|{type_key}|building"

    def complete(self, school_id: str, type_key: str) -> bool:
        return self.coll.find_one(school_id, {"_id": self._id(school_id, type_key, None)}) is not None

    def add(self, school_id: str, type_key: str, docs: Iterable[dict[str, Any]], sign: int = 1) -> None:
        def count(counted: tuple[Partition, int]) -> None:
            part, n = counted
            named = {"type": type_key, "year": part[0], "term": part[1], "class": part[2]}
            # a new tally (a first record, or tallies counted again) gets a new epoch: no snapshot
            # taken of the partition before stands for it (snapshot_store.py)
            change = {"$inc": {"n": sign * n, "v": 1, "w": 1}, "$set": named, "$setOnInsert": {"epoch": uuid.uuid4().hex}}
            where = {"_id": self._id(school_id, type_key, part)}
            try:
                self.coll.update_one(school_id, where, change, upsert=True)
            except DuplicateKeyError:  # another writer created the partition's tally at the same moment
                self.coll.update_one(school_id, where, change)

        # an import chunk's rows fall in a dozen classes: their tallies, each its own document, side by side
        side_by_side(count, Counter(partition_of(d) for d in docs).items())

    def touch(self, school_id: str, type_key: str, doc: dict[str, Any] | None = None) -> None:
        """A record changed in place (its partition's `w` counts it; `doc` None: any of the type's)."""
        where = {"type": type_key} if doc is None else {"_id": self._id(school_id, type_key, partition_of(doc))}
        self.coll.raw.update_many({**where, "school_id": school_id}, {"$inc": {"w": 1}})

    def touch_partitions(self, school_id: str, type_key: str, parts: set[Partition]) -> None:
        """Records of these partitions changed in place (each partition's `w` counts it once)."""
        if parts:
            ids = [self._id(school_id, type_key, p) for p in parts]
            self.coll.update_many(school_id, {"type": type_key, "_id": {"$in": ids}}, {"$inc": {"w": 1}})

    def keep_students(self, school_id: str, part: dict[str, Any], students: Iterable[Any]) -> None:
        """Which students the partition whose tally (as read) is `part` holds records of: kept only if
        nothing wrote the partition since (its `v` is still the one read)."""
        ids = sorted(i for i in set(students) if isinstance(i, str))
        self.coll.update_one(school_id, {"_id": part["_id"], "v": part.get("v")}, {"$set": {"students": ids, "students_v": part.get("v")}})

    def add_students_op(self, school_id: str, was: dict[str, Any], now: dict[str, Any], students: Iterable[Any]) -> UpdateOne:
        """The write that adds the students whose records went into the partition while its tally went
        from `was` to `now` to its kept set, if that was the set of `was` (else it is read again when
        asked). For a bulk write on the raw collection: the school named by hand."""
        ids = sorted(i for i in set(students) if isinstance(i, str))
        where = {"_id": now["_id"], "school_id": school_id, "v": now.get("v"), "students_v": was.get("v")}
        return UpdateOne(where, {"$addToSet": {"students": {"$each": ids}}, "$set": {"students_v": now.get("v")}})

    def partition_id(self, school_id: str, type_key: str, part: Partition) -> str:
        return self._id(school_id, type_key, part)

    def ensure_epoch(self, school_id: str, part: dict[str, Any]) -> str | None:
        """The epoch of a tally written before tallies had one (None: it changed meanwhile)."""
        epoch = uuid.uuid4().hex
        matched = self.coll.update_one(
            school_id, {"_id": part["_id"], "w": part.get("w"), "epoch": {"$exists": False}}, {"$set": {"epoch": epoch}}
        )
        return epoch if matched else None

    def forget(self, school_id: str, type_key: str) -> None:
        self.coll.delete_one(school_id, {"_id": self._id(school_id, type_key, None)})

    def ready(self, school_id: str, type_key: str, class_of: Callable[[set[str]], dict[str, str]], background: bool = True) -> bool:
        """Are the tallies complete (built now when small, else in the background unless told not:
        False until done)?"""
        if self.complete(school_id, type_key):
            return True
        if self.coll.find_one(school_id, {"_id": self._lease(school_id, type_key)}) is not None:
            return False  # being built
        probe = self.records[type_key].find(school_id, {}, projection={"_id": 1}, limit=BUILD_INLINE + 1)
        if len(probe) <= BUILD_INLINE:
            # a list and its 登錄進度 may ask at the same moment: one builds, the other reads the plain way
            lease = self._take_lease(school_id, type_key)
            if lease is None:
                return False
            try:
                self.build(school_id, type_key, class_of)
            finally:
                self.coll.delete_one(school_id, {"_id": lease})
            return True
        if background:
            self._build_in_background(school_id, type_key, class_of)
        return False

    def _take_lease(self, school_id: str, type_key: str) -> str | None:
        """One builder at a time, whichever process asks first (None: another holds it)."""
        lease = {"_id": self._lease(school_id, type_key), "at": utcnow()}
        self.coll.delete_many(school_id, {"_id": lease["_id"], "at": {"$lt": utcnow() - BUILD_LEASE}})
        try:
            self.coll.insert_one(school_id, lease)
        except DuplicateKeyError:
            return None
        return lease["_id"]

    def _build_in_background(self, school_id: str, type_key: str, class_of) -> None:
        lease_id = self._take_lease(school_id, type_key)
        if lease_id is None:
            return
        lease = {"_id": lease_id}

        def run() -> None:
            try:
                self.build(school_id, type_key, class_of)
                log.info("list tallies built", extra={"school_id": school_id, "type": type_key})
            except Exception:
                log.exception("list tallies not built", extra={"school_id": school_id, "type": type_key})
            finally:
                self.coll.delete_one(school_id, {"_id": lease["_id"]})

        threading.Thread(target=run, name=f"tallies-{type_key}", daemon=True).start()

    def partitions(self, school_id: str, type_key: str) -> list[dict[str, Any]]:
        """Every non-empty partition of the type, in (year, term, class) order (the tallies are complete)."""
        found = self.coll.find(school_id, {"type": type_key})
        rows = [t for t in found if t.get("class") is not None and t.get("n", 0) > 0]
        return sorted(rows, key=lambda t: (t["year"] or 0, t["term"] or 0, t["class"]))

    def recorded_students(self, school_id: str, type_key: str, year: int, term: int) -> set[str]:
        """The students with at least one record of a semester type in the semester, from the
        partitions' kept sets; a partition written since its set was taken is read again (one
        equality read of its records), or the whole semester at once when many are."""
        semester = {"year": year, "term": term}
        parts = [t for t in self.coll.find(school_id, {"type": type_key, **semester}) if t.get("class") is not None]
        stale = [t for t in parts if t.get("n", 0) > 0 and ("students_v" not in t or t["students_v"] != t.get("v"))]
        fresh: dict[str, set[str]] = {}
        coll = self.records[type_key]
        if len(stale) > STALE_PARTITIONS_READ_ONE_BY_ONE:
            by_class: dict[str, set[str]] = {}
            for d in coll.find(school_id, semester, projection={"student_id": 1, PARTITION: 1}):
                by_class.setdefault(d.get(PARTITION) or "", set()).add(d.get("student_id"))
            fresh = {t["_id"]: by_class.get(t["class"], set()) for t in stale}
        else:
            for t in stale:
                where = {**semester, PARTITION: t["class"]}
                fresh[t["_id"]] = {d.get("student_id") for d in coll.find(school_id, where, projection={"student_id": 1})}
        for t in stale:
            self.keep_students(school_id, t, fresh[t["_id"]])
        recorded: set[str] = set()
        for t in parts:
            if t.get("n", 0) > 0:
                recorded |= fresh[t["_id"]] if t["_id"] in fresh else set(t.get("students") or [])
        return recorded

    def build(self, school_id: str, type_key: str, class_of: Callable[[set[str]], dict[str, str]]) -> None:
        """Count every record once; records without `list_class` get their student's class first."""
        coll = self.records[type_key]
        docs = coll.find(school_id, {}, projection={"year": 1, "term": 1, "student_id": 1, PARTITION: 1})
        unset = {d["student_id"] for d in docs if PARTITION not in d and d.get("student_id")}
        if unset:
            classes = class_of(unset)
            ops = [
                UpdateMany({"school_id": school_id, "student_id": sid}, {"$set": {PARTITION: classes.get(sid, "")}})
                for sid in sorted(unset)
            ]
            bulk_write_bounded(coll.raw, ops)  # ordered: FerretDB 1.x may run an unordered bulk side by side
            for d in docs:
                if PARTITION not in d:
                    d[PARTITION] = classes.get(d.get("student_id"), "")
        self.coll.delete_many(school_id, {"type": type_key})
        self.add(school_id, type_key, docs)
        held: dict[Partition, set[str]] = {}
        for d in docs:
            if isinstance(d.get("student_id"), str):
                held.setdefault(partition_of(d), set()).add(d["student_id"])
        for part, ids in held.items():  # 登錄進度 starts from these (v 1: no write came between)
            where = {"_id": self._id(school_id, type_key, part), "v": 1}
            self.coll.update_one(school_id, where, {"$set": {"students": sorted(ids), "students_v": 1}})
        self.coll.update_one(school_id, {"_id": self._id(school_id, type_key, None)}, {"$set": {"type": type_key, "n": 0}}, upsert=True)


class SortedOrders:
    """A whole school's list in another order than its partitions' (全校成績 by 分數): every record of
    the list is read once, ordered here, and the order kept while the list's partitions are unwritten
    (their write counts `w` are the key): the ids of all, and the records of the first pages whole, as
    people page from the top; a page past those reads its records by id.

    Kept per process, a few lists at a time (30,000 ids and 1,000 records: about 3 MB)."""

    def __init__(self, records: dict[str, SchoolCollection], read: PartitionRead, keep: int = 4, head: int = 1000) -> None:
        self.records = records
        self.read = read
        self.keep = keep
        self.head = head
        self._orders: dict[tuple, tuple[tuple, list[str], dict[str, dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def page(
        self, school_id: str, type_key: str, parts: list[dict[str, Any]], sort: list[tuple[str, int]], skip: int, limit: int
    ) -> list[dict[str, Any]]:
        key = (school_id, type_key, tuple((p["year"], p["term"], p["class"]) for p in parts), tuple(sort))
        written = tuple((p["_id"], p.get("epoch"), p.get("w"), p["n"]) for p in parts)
        with self._lock:
            kept = self._orders.get(key)
        coll = self.records[type_key]
        if kept is None or kept[0] != written:
            rows: list[dict[str, Any]] = []
            for part in parts:
                rows += self.read(school_id, type_key, part, natural_order(type_key))
            ordered = order_rows(rows, sort)
            kept = (written, [r["_id"] for r in ordered], {r["_id"]: r for r in ordered[: self.head]})
            with self._lock:
                self._orders.pop(key, None)
                self._orders[key] = kept
                while len(self._orders) > self.keep:
                    self._orders.pop(next(iter(self._orders)))
        _, ids, head = kept
        wanted = ids[skip : skip + limit]
        found = {i: head[i] for i in wanted if i in head}
        for i in wanted:
            if i not in found and (doc := coll.find_one(school_id, {"_id": i})) is not None:
                found[i] = doc
        return [found[i] for i in wanted if i in found]  # one removed since is left out of this page


def partition_filter(part: dict[str, Any]) -> dict[str, Any]:
    """The equalities that read one tallied partition's records."""
    where: dict[str, Any] = {PARTITION: part["class"]}
    if part["term"] is not None:
        where.update(year=part["year"], term=part["term"])
    return where


def order_rows(rows: list[dict[str, Any]], sort: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Rows in a list's order, as the database would give them (missing values first, ascending)."""

    def value(row: dict[str, Any], name: str) -> tuple[bool, str, Any]:
        v = row.get(name)
        v = v.to_decimal() if isinstance(v, Decimal128) else v
        return (v is not None, "n" if isinstance(v, int | float | Decimal) else type(v).__name__, v)

    for name, direction in reversed(sort):  # stable sorts, the last key first
        rows.sort(key=lambda row, name=name: value(row, name), reverse=direction < 0)
    return rows


def page_by_partitions(
    read: Callable[[dict[str, Any]], list[dict[str, Any]]],
    partitions: list[dict[str, Any]],
    skip: int,
    limit: int,
    on_short: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """The records from `skip` (at most `limit`), reading only the partitions that hold them
    (`read`: a partition's records in the list's order)."""
    out: list[dict[str, Any]] = []
    start = 0
    for part in partitions:
        n = part["n"]
        if start + n <= skip:
            start += n
            continue
        local = max(0, skip - start)
        want = limit - len(out)
        found = read(part)[local : local + want]
        if len(found) < min(want, n - local) and on_short is not None:
            on_short()  # the tally counts more than the partition holds: count again at the next list
        out += found
        start += n
        if len(out) >= limit:
            break
    return out
