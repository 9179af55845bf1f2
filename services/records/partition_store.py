"""A semester type's records read and kept by partition (class × semester), for RecordsStore.

A tallied type (list_store.py) keeps a snapshot of each partition (snapshot_store.py) and small
figures of it (figure_store.py); what reads a whole semester, or writes one back after an import,
goes through these methods so it meets the partitions' rules in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from services.records.division import TYPES
from services.records.figure_store import PartitionFigures
from services.records.list_store import PARTITIONED, Partition, Tallies, natural_order, order_rows
from services.records.snapshot_store import PartitionSnapshots
from shared.mongo import bulk_write_side_by_side

# a partition that only gained records: (its tally before, its tally now, the records added)
Grown = tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]


class SemesterPartitions:
    """Mixed into RecordsStore, which provides these."""

    tallies: Tallies
    snapshots: PartitionSnapshots
    figures: PartitionFigures
    find: Callable[..., list[dict[str, Any]]]
    _classes_of: Callable[[str], Callable[[set[str]], dict[str, str]]]

    def class_partition(self, key: str, school_id: str) -> bool:
        """Does every record of this type carry its student's class (so a class filter may use it)?"""
        return key in PARTITIONED and self.tallies.ready(school_id, key, self._classes_of(school_id))

    def _semester_tallied(self, key: str, school_id: str) -> bool:
        """Is this a semester type whose partitions are tallied (so a semester reads their snapshots)?"""
        return bool(TYPES[key].semester) and self.class_partition(key, school_id)

    def semester_records(self, key: str, school_id: str, year: int, term: int, ordered: bool = True) -> list[dict[str, Any]]:
        """Every record of a semester type in one semester, in `_id` order unless not `ordered`: from
        the partitions' snapshots when the type is tallied (a term's 30,000 grades: 60 documents),
        else one read."""
        rows, _ = self.semester_records_for_keys(key, school_id, year, term, None)
        return sorted(rows, key=itemgetter("_id")) if ordered else rows  # ids are our own strings: as the database orders them

    def semester_records_for_keys(
        self, key: str, school_id: str, year: int, term: int, wanted: set[tuple] | None
    ) -> tuple[list[dict[str, Any]], set[Partition]]:
        """What an import compares a file's rows with: every record of each partition of the semester
        whose snapshot's keys meet `wanted` (natural keys; None: every partition), and the partitions
        left unread because their snapshot says none of `wanted` is in them."""
        if not self._semester_tallied(key, school_id):
            return self.find(key, school_id, {"year": year, "term": term}), set()
        parts = [p for p in self.tallies.partitions(school_id, key) if p.get("year") == year and p.get("term") == term]
        kept = self.snapshots.semester(school_id, key, year, term)
        rows: list[dict[str, Any]] = []
        unread: set[Partition] = set()
        for part in parts:
            known = None if wanted is None else self.snapshots.keys(part, kept.get(part["_id"]))
            if known is not None and wanted.isdisjoint(known):
                unread.add((part["year"], part["term"], part["class"]))
                continue
            rows += self.snapshots.rows(school_id, key, part, natural_order(key), kept.get(part["_id"]))
        return rows, unread

    def semester_figures(
        self, key: str, school_id: str, year: int, term: int, name: str, params: str, compute: Callable[[list[dict]], dict]
    ) -> list[dict[str, Any]]:
        """`compute(rows)` of a semester type's records in one semester: one value per partition, kept
        with the partitions (figure_store.py) when the type is tallied, else one of every record."""
        if self._semester_tallied(key, school_id):
            parts = [p for p in self.tallies.partitions(school_id, key) if p.get("year") == year and p.get("term") == term]
            return self.figures.of(school_id, key, parts, name, params, compute)
        return [compute(self.find(key, school_id, {"year": year, "term": term}))]

    def count_if_small(self, school_id: str, key: str) -> None:
        """Before an import writes: a type with few records (a new school's: none) has its tallies
        counted now, so every row the import adds is tallied as it is written. A large uncounted
        type is left to the next list (a count beside the import's writes could miss some)."""
        if key in PARTITIONED and TYPES[key].semester:
            self.tallies.ready(school_id, key, self._classes_of(school_id), background=False)

    def partition_tallies(self, school_id: str, key: str) -> dict[str, dict[str, Any]] | None:
        """A semester type's partition tallies by id, as they stand (None: the type is not tallied)."""
        if key not in PARTITIONED or not TYPES[key].semester or not self.tallies.complete(school_id, key):
            return None
        return {t["_id"]: t for t in self.tallies.coll.find(school_id, {"type": key}) if t.get("class") is not None}

    def partition_id(self, school_id: str, key: str, part: Partition) -> str:
        return self.tallies.partition_id(school_id, key, part)

    def keep_partition(self, school_id: str, key: str, tally: dict[str, Any], rows: list[dict[str, Any]]) -> bool:
        """`rows` are every record of the partition whose tally (as it stands) is `tally`: kept as its
        snapshot, and its students as the ones 登錄進度 counts (list_store.py)."""
        sort = natural_order(key)
        self.tallies.keep_students(school_id, tally, (r.get("student_id") for r in rows))
        return self.snapshots.keep(school_id, tally, order_rows(rows, sort), sort)

    def append_to_partitions(self, school_id: str, key: str, grown: list[Grown]) -> int:
        """Partitions that only gained records: for each (tally before, tally now, records added), the
        records appended to its snapshot and their students to its kept set, where those still stand
        for the tally before; how many snapshots took them. Side by side: each is its own document."""
        sort = natural_order(key)
        appends = [self.snapshots.append_op(school_id, was, now, order_rows(added, sort)) for was, now, added in grown]
        students = [self.tallies.add_students_op(school_id, was, now, (r.get("student_id") for r in added)) for was, now, added in grown]
        kept = bulk_write_side_by_side(self.snapshots.coll.raw, [op for op in appends if op is not None])
        bulk_write_side_by_side(self.tallies.coll.raw, students)
        return kept

    def recorded_students(self, key: str, school_id: str, year: int, term: int | None) -> set[str] | None:
        """Students with a record of the type in the semester, from the list tallies (None: they
        cannot say, for a type without a semester or while they are being built)."""
        if term is None or not self.class_partition(key, school_id):
            return None
        return self.tallies.recorded_students(school_id, key, year, term)
