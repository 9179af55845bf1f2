"""Batch imports of a record type from a file's rows: every row checked first, then written in chunks.

Any error imports nothing; re-importing the same file changes nothing. The import-job document
records progress, so a client that chose `import_id` can poll it while the import runs.
"""

from __future__ import annotations

import re
from typing import Any

from services.records import domain
from services.records.access import Context, type_of
from services.records.division import RecordType
from services.records.errors import RecordNotFound, UnknownRecordType
from services.records.units import fill_self, leaving, prepare
from shared.caller import Caller
from shared.clock import utcnow
from shared.errors import ValidationFailed, field_error
from shared.jsonable import storable
from shared.permissions import Permission
from shared.roles import Role

CHUNK = 500
_IMPORT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def import_records(ctx: Context, type_key: str, rows: list, import_id: str | None) -> dict:
    type_ = type_of(type_key)
    caller, school = ctx.school_caller(type_.write)
    if not type_.importable:
        raise UnknownRecordType(f"{type_.label}不提供批次匯入", f"{type_.key} cannot be imported")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValidationFailed("匯入檔沒有資料列", "the import has no rows")
    if import_id is not None and (not isinstance(import_id, str) or not _IMPORT_ID.match(import_id)):
        raise ValidationFailed("匯入編號格式不正確", "import_id: 8-64 letters, digits, _ or -")
    import_id = import_id or domain.new_id()
    job = {
        "_id": domain.new_id(),
        "import_id": import_id,
        "record_type": type_.key,
        "status": "running",
        "rows": len(rows),
        "validated": 0,
        "inserted": 0,
        "updated": 0,
        "unchanged": 0,
        "processed": 0,
        "errors": [],
        "created_by": caller.user_id,
        "created_at": utcnow(),
    }
    ctx.store.start_import(school, job)
    try:
        return _run(ctx, school, caller, type_, rows, job)
    except ValidationFailed as exc:  # a file-level problem (headers): nothing imported
        errors = [{"row": 1, **e} for e in exc.errors] or [{"row": 1, **field_error("file", exc.detail, exc.detail_en, exc.code)}]
        ctx.store.update_import(school, import_id, {"status": "rejected", "errors": errors, "finished_at": utcnow()})
        raise


def _run(ctx: Context, school: str, caller: Caller, type_: RecordType, rows: list[dict], job: dict[str, Any]) -> dict[str, Any]:
    import_id = job["import_id"]
    good, errors = domain.validate_rows(type_, rows)
    items = [(row, fill_self(caller, type_, storable(model))) for row, model in good]
    ready, more = prepare(ctx, school, caller, type_, items)
    errors = sorted(errors + more, key=lambda e: e["row"])
    counts = {"validated": len(rows) - len({e["row"] for e in errors}), "inserted": 0, "updated": 0, "unchanged": 0, "processed": 0}
    if errors:
        final = {**counts, "status": "rejected", "errors": errors[:1000], "finished_at": utcnow()}
        ctx.store.update_import(school, import_id, final)
        return _report(job, final)
    ctx.store.update_import(school, import_id, {"validated": counts["validated"]})
    existing = _existing_by_key(ctx, school, type_, [c for _, c in ready])
    cipher = ctx.cipher if type_.student_register else None
    now = utcnow()
    for chunk in domain.chunks(ready, CHUNK):
        inserts, updates, entries, ids, students = [], [], [], [], []
        leavers: dict[str, list[str]] = {}
        for _, content in chunk:
            clear = content.pop("national_id_clear", None)
            before = existing.get(domain.natural_tuple(type_, content))
            if leaving(type_, before, content, caller):
                leavers.setdefault(content["status"], []).append(content["student_id"])
            if before is not None:
                if {**domain.content_of(before), **content} == domain.content_of(before):
                    counts["unchanged"] += 1
                    continue
                changes = {**content, "updated_at": now, "updated_by": caller.user_id, "import_id": import_id}
                if cipher is not None:
                    changes["national_id_enc"] = cipher.encrypt(clear)
                updates.append((before["_id"], changes))
                entries.append(ctx.entry(f"{type_.key}.import_update", before["_id"], before, {**before, **changes}, import_id))
                ids.append(before["_id"])
                counts["updated"] += 1
            else:
                doc = {
                    **content,
                    "_id": domain.new_id(),
                    "created_at": now,
                    "created_by": caller.user_id,
                    "updated_at": now,
                    "updated_by": caller.user_id,
                    "import_id": import_id,
                }
                if cipher is not None:
                    doc["national_id_enc"] = cipher.encrypt(clear)
                inserts.append(doc)
                entries.append(ctx.entry(f"{type_.key}.import_create", doc["_id"], None, doc, import_id))
                ids.append(doc["_id"])
                counts["inserted"] += 1
            if content.get("student_id"):
                students.append(content["student_id"])
        ctx.store.bulk_upsert(type_.key, school, inserts, updates)
        counts["processed"] += len(chunk)
        ctx.store.update_import(school, import_id, dict(counts))
        if ids:
            ctx.changed(school, type_.key, "import", ids, students, entries)
        for status, left in leavers.items():
            ctx.announce_archived(school, left, status, None)
    final = {**counts, "status": "done", "errors": [], "finished_at": utcnow()}
    ctx.store.update_import(school, import_id, final)
    note = str({k: counts[k] for k in ("inserted", "updated", "unchanged")})
    ctx.changes.record(school, caller, f"{type_.key}.import", import_id, note=note)
    return _report(job, final)


def _existing_by_key(ctx: Context, school: str, type_: RecordType, contents: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    if not type_.natural_key:
        return {}
    if type_.semester:
        docs = []
        for year, term in sorted({(c["year"], c["term"]) for c in contents}):
            docs += ctx.store.find(type_.key, school, {"year": year, "term": term})
    else:
        first = type_.natural_key[0]
        docs = ctx.store.existing_by_first_key(type_, school, {c[first] for c in contents})
    return {domain.natural_tuple(type_, d): d for d in docs}


def _report(job: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    merged = {**job, **state}
    return {
        "import_id": merged["import_id"],
        "record_type": merged["record_type"],
        **{k: merged[k] for k in ("status", "rows", "validated", "inserted", "updated", "unchanged", "processed")},
        "errors": merged["errors"],
    }


def get_import(ctx: Context, import_id: str) -> dict:
    caller, school = ctx.school_caller(Permission.SCHOOL_RECORD_IMPORTS_READ)
    job = ctx.store.import_job(school, import_id)
    if job is None or (job["created_by"] != caller.user_id and not caller.has(Role.REGISTRAR)):
        raise RecordNotFound("找不到此匯入工作", "import not found")
    return _report(job, {})
