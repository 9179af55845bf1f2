"""Names beside the ids of a list page (姓名 beside 學號, 科目 beside 課程代碼), read with the page so the
browser needs no look-up call after it.

A page's records come from one or two classes (lists are read by class partitions, list_store.py),
so their students' names are read by class and their courses by 開課班級: equalities, which FerretDB
sends to PostgreSQL, where `$in` over the school's ids would read every student of it. Only what the
page already shows is named: a caller who may read the record may read its student's name.
"""

from __future__ import annotations

from typing import Any

from services.records.division import RecordType
from services.records.list_store import PARTITION
from services.records.query import OneOf
from services.records.store import RecordsStore

# More classes than this on one page (a list sorted by another column): one read by ids instead.
BY_CLASS_AT_MOST = 3


def add_names(store: RecordsStore, school: str, type_: RecordType, docs: list[dict[str, Any]], items: list[dict[str, Any]]) -> None:
    if type_.student_field == "student_id" and not type_.student_register:
        names = _student_names(store, school, docs)
        for item in items:
            if item.get("student_id"):
                item["student_name"] = names.get(item["student_id"], "")
    unnamed = [d for d in docs if d.get("course_code") and not d.get("course_name")]  # 成績 keep theirs from the course
    if "course_code" in type_.model.model_fields and unnamed:
        courses = _course_names(store, school, unnamed)
        for item in items:
            if item.get("course_code") and not item.get("course_name"):
                item["course_name"] = courses.get(item["course_code"], "")


def _student_names(store: RecordsStore, school: str, docs: list[dict[str, Any]]) -> dict[str, str]:
    return _names(store, school, docs, ("student_id", PARTITION), ("students", "student_id", "class_code"))


def _course_names(store: RecordsStore, school: str, docs: list[dict[str, Any]]) -> dict[str, str]:
    return _names(store, school, docs, ("course_code", "course_class"), ("courses", "code", "class_code"))


def _names(
    store: RecordsStore, school: str, docs: list[dict[str, Any]], kept: tuple[str, str], named: tuple[str, str, str]
) -> dict[str, str]:
    """Names of the ids `docs` keep in `kept[0]`, read by the classes they keep in `kept[1]` (the
    `named` type's id and class fields); ids not found that way (moved since, or too many classes) by id."""
    id_field, class_field = kept
    key, named_id, named_class = named
    wanted = {d[id_field] for d in docs if isinstance(d.get(id_field), str)}
    classes = {d.get(class_field) for d in docs}
    found: dict[str, str] = {}
    fields = {named_id: 1, "name": 1}
    if wanted and None not in classes and len(classes) <= BY_CLASS_AT_MOST:
        for class_code in sorted(classes):
            for n in store.find(key, school, {named_class: class_code}, projection=fields):
                found[n[named_id]] = n.get("name", "")
    missing = sorted(wanted - found.keys())
    if missing:
        for n in store.find(key, school, {named_id: OneOf(missing)}, projection=fields):
            found[n[named_id]] = n.get("name", "")
    return found
