"""Tenancy by construction: every query of school data goes through a collection that requires school_id.

`SchoolCollection` wraps a pymongo collection. It writes `school_id` into every document and every
filter (overriding any value the caller put there), and every index it creates starts with it. A
caller of school B therefore cannot reach a document of school A: it simply is not found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pymongo import ReturnDocument
from pymongo.collection import Collection

from shared.caller import Caller
from shared.errors import NotFound, Unauthenticated

Document = dict[str, Any]


def _require(school_id: str | None) -> str:
    if not isinstance(school_id, str) or not school_id:
        raise ValueError("school_id is required for every query of school data")
    return school_id


def acting_school(caller: Caller | None, school_id: Any = None) -> str:
    """The school an RPC acts for: the one rule for every service.

    A trusted system caller (workers, commands) acts for the school it names; any other caller acts
    only for its own school, named or not. Naming another school is answered as if nothing were
    there (404), so a caller never learns whether another school's data exists. Naming none is the
    caller's own school (a caller without one is refused as before: 403, a school account needed).
    """
    if caller is None:
        raise Unauthenticated("請先登入", "authentication required")
    if school_id is None or school_id == "":
        return caller.require_school()
    if isinstance(school_id, str) and (caller.is_system or caller.school_id == school_id):
        return school_id
    raise NotFound("找不到資料", "not found")


class SchoolCollection:
    def __init__(self, collection: Collection) -> None:
        self.raw = collection

    def _filter(self, school_id: str | None, filter_: Mapping[str, Any] | None) -> Document:
        return {**(filter_ or {}), "school_id": _require(school_id)}

    def create_index(self, keys: Iterable[tuple[str, int]], *, unique: bool = False, name: str | None = None) -> None:
        full = [("school_id", 1), *[(k, d) for k, d in keys if k != "school_id"]]
        kwargs: dict[str, Any] = {"unique": unique}
        if name:
            kwargs["name"] = name
        self.raw.create_index(full, **kwargs)

    def insert_one(self, school_id: str, doc: Document) -> Document:
        stored = {**doc, "school_id": _require(school_id)}
        self.raw.insert_one(stored)
        return stored

    def insert_many(self, school_id: str, docs: list[Document]) -> list[Document]:
        stored = [{**doc, "school_id": _require(school_id)} for doc in docs]
        if stored:
            self.raw.insert_many(stored, ordered=True)
        return stored

    def find_one(self, school_id: str, filter_: Mapping[str, Any] | None = None, projection: Any = None) -> Document | None:
        return self.raw.find_one(self._filter(school_id, filter_), projection)

    def find(
        self,
        school_id: str,
        filter_: Mapping[str, Any] | None = None,
        *,
        sort: list[tuple[str, int]] | None = None,
        skip: int = 0,
        limit: int = 0,
        projection: Any = None,
    ) -> list[Document]:
        cursor = self.raw.find(self._filter(school_id, filter_), projection)
        if sort:
            cursor = cursor.sort(sort)
        if skip:
            cursor = cursor.skip(skip)
        if limit:
            cursor = cursor.limit(limit)
        return list(cursor)

    def iterate(
        self, school_id: str, filter_: Mapping[str, Any] | None = None, *, sort: list[tuple[str, int]] | None = None
    ) -> Iterator[Document]:
        """The matching documents one batch at a time (a caller counting as it reads holds no list of them)."""
        cursor = self.raw.find(self._filter(school_id, filter_))
        return cursor.sort(sort) if sort else cursor

    def count(self, school_id: str, filter_: Mapping[str, Any] | None = None) -> int:
        return self.raw.count_documents(self._filter(school_id, filter_))

    def update_one(self, school_id: str, filter_: Mapping[str, Any], update: Mapping[str, Any], *, upsert: bool = False) -> int:
        return self.raw.update_one(self._filter(school_id, filter_), update, upsert=upsert).matched_count

    def update_many(self, school_id: str, filter_: Mapping[str, Any], update: Mapping[str, Any]) -> int:
        return self.raw.update_many(self._filter(school_id, filter_), update).matched_count

    def find_one_and_update(
        self, school_id: str, filter_: Mapping[str, Any], update: Mapping[str, Any], *, upsert: bool = False
    ) -> Document | None:
        return self.raw.find_one_and_update(self._filter(school_id, filter_), update, upsert=upsert, return_document=ReturnDocument.AFTER)

    def delete_one(self, school_id: str, filter_: Mapping[str, Any]) -> int:
        return self.raw.delete_one(self._filter(school_id, filter_)).deleted_count

    def delete_many(self, school_id: str, filter_: Mapping[str, Any]) -> int:
        return self.raw.delete_many(self._filter(school_id, filter_)).deleted_count
