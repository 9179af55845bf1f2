"""The archived-students projection's queries, and the one purge helper (count, then delete) of the services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.tenancy import SchoolCollection


class ArchivedStudents:
    def __init__(self, collection: SchoolCollection) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        self.collection.create_index([("student_id", 1)], unique=True)

    def mark(self, school_id: str, student_ids: Iterable[str], archived: bool) -> None:
        for student_id in student_ids:
            if archived:
                self.collection.update_one(school_id, {"student_id": student_id}, {"$set": {"student_id": student_id}}, upsert=True)
            else:
                self.collection.delete_one(school_id, {"student_id": student_id})

    def converge(self, school_id: str, truth: set[str]) -> tuple[int, int]:
        """Make the school's list equal `truth` (records' own); (added, removed)."""
        current = self.among(school_id)
        self.mark(school_id, sorted(truth - current), True)
        self.mark(school_id, sorted(current - truth), False)
        return len(truth - current), len(current - truth)

    def contains(self, school_id: str, student_id: str | None) -> bool:
        return bool(student_id) and self.collection.find_one(school_id, {"student_id": student_id}) is not None

    def among(self, school_id: str, student_ids: list[str] | None = None) -> set[str]:
        """The archived ones of `student_ids` (all of the school's when None)."""
        filter_ = {"student_id": {"$in": student_ids}} if student_ids is not None else {}
        return {d["student_id"] for d in self.collection.find(school_id, filter_, projection={"student_id": 1})}


def purge_collections(school_id: str, parts: list[tuple[str, SchoolCollection, dict[str, Any]]], dry_run: bool) -> dict[str, int]:
    """Count what each (name, collection, filter) holds; unless a dry run, delete it. The counts either way."""
    counts = {name: collection.count(school_id, filter_) for name, collection, filter_ in parts}
    if not dry_run:
        for _, collection, filter_ in parts:
            collection.delete_many(school_id, filter_)
    return counts
