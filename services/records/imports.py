"""Imports of a record type from a file's rows, as a job that runs off the request path.

`start_import` (the request) checks the caller and the file's shape, keeps the rows
(shared/import_files.py), records the job and announces it; `run_import` (the service's event
handler, as the same caller) checks every row first, then writes in chunks with one existence query
per chunk. Any row error imports nothing. The same file (same bytes) again is a no-op that says so.

A worker killed while writing leaves its announcement unacknowledged: the restarted service gets it
again and resumes after the chunks it had recorded as written (rows of this job written in the chunk
that was cut are recognised by their `import_id`), so a job ends with all its rows or none.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable
from typing import Any

from eventlet import sleep, tpool

from services.records import domain, events
from services.records.access import Context, type_of
from services.records.division import RecordType
from services.records.errors import RecordNotFound, UnknownRecordType
from services.records.import_snapshots import WrittenPartitions
from services.records.list_store import PARTITIONED, Partition
from services.records.query import OneOf
from services.records.store import classes_of
from services.records.units import fill_self, leaving, prepare
from shared.caller import Caller
from shared.clock import utcnow
from shared.errors import LichengError, ValidationFailed, field_error
from shared.import_files import ImportFiles
from shared.jsonable import storable
from shared.logs import log_event
from shared.permissions import Permission
from shared.roles import Role

log = logging.getLogger("licheng.records.imports")

# rows per bulk write and per existence query (the environment may lower it: tests cut a job mid-write)
CHUNK = int(os.environ.get("LICHENG_IMPORT_CHUNK_ROWS", "1000"))
MAX_ERRORS = 1000  # errors kept on the job (the count is kept in full)
MAX_ROWS = 200_000
_IMPORT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
ACTIVE = ("queued", "running", "done")


def start_import(ctx: Context, type_key: str, rows: list, import_id: str | None, file_sha256: str | None) -> dict:
    type_ = type_of(type_key)
    caller, school = ctx.school_caller(type_.write)
    if not type_.importable:
        raise UnknownRecordType(f"{type_.label}不提供批次匯入", f"{type_.key} cannot be imported")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise ValidationFailed("匯入檔沒有資料列", "the import has no rows")
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(f"一次最多匯入 {MAX_ROWS} 列", f"at most {MAX_ROWS} rows per file")
    if import_id is not None and (not isinstance(import_id, str) or not _IMPORT_ID.match(import_id)):
        raise ValidationFailed("匯入編號格式不正確", "import_id: 8-64 letters, digits, _ or -")
    if file_sha256 is not None and (not isinstance(file_sha256, str) or not _SHA256.match(file_sha256)):
        raise ValidationFailed("檔案摘要格式不正確", "file_sha256: 64 lowercase hex digits")
    domain.check_headers(type_, list(rows[0].keys()))  # a file-level problem is answered at once (422)
    if file_sha256:
        earlier = ctx.store.imports.find(school, {"record_type": type_.key, "file_sha256": file_sha256}, sort=[("created_at", -1)])
        earlier = [j for j in earlier if j["status"] in ACTIVE]
        if earlier:  # done: a no-op that says so; still queued or running: that same job
            return _report(earlier[0], already=earlier[0]["status"] == "done")
    job = {
        "_id": domain.new_id(),
        "import_id": import_id or domain.new_id(),
        "record_type": type_.key,
        "status": "queued",
        "phase": "queued",
        "rows": len(rows),
        "validated": 0,
        "inserted": 0,
        "updated": 0,
        "unchanged": 0,
        "processed": 0,
        "errors": [],
        "error_count": 0,
        "file_sha256": file_sha256,
        "created_by": caller.user_id,
        "created_at": utcnow(),
    }
    ctx.store.start_import(school, job)  # a used import_id is refused here, before the rows are kept
    ImportFiles(ctx.store.db).keep(school, job["_id"], rows)
    ctx.changes.emit((events.IMPORT_QUEUED, {"school_id": school, "import_id": job["import_id"]}))
    return _report(job)


def run_import(ctx: Context, school: str, import_id: str) -> None:
    """The job, as its requester (the event carried their context). Redelivered after a crash: resumes."""
    caller = ctx.caller
    if caller is None or caller.school_id != school:
        return
    job = ctx.store.import_job(school, import_id)
    if job is None or job["status"] not in ("queued", "running"):
        return  # a redelivery of a finished job
    type_ = type_of(job["record_type"])
    files = ImportFiles(ctx.store.db)
    ctx.store.update_import(school, import_id, {"status": "running", "phase": "validating", "started_at": utcnow()})
    try:
        _run(ctx, school, caller, type_, files.rows(school, job["_id"]), job)
    except ValidationFailed as exc:  # a file-level problem (headers): nothing imported
        errors = [{"row": 1, **e} for e in exc.errors] or [{"row": 1, **field_error("file", exc.detail, exc.detail_en, exc.code)}]
        _finish(ctx, school, import_id, {"status": "rejected", "errors": errors, "error_count": len(errors)})
    except LichengError as exc:  # e.g. someone else imported the same keys at the same moment
        written = (ctx.store.import_job(school, import_id) or job).get("processed", 0)
        if written:
            _stopped(ctx, school, import_id, job, written, f"{type(exc).__name__}: {exc.detail_en or exc.title_en}")
        else:
            error = {"row": 1, **field_error("file", exc.detail or exc.title, exc.detail_en or exc.title_en, exc.code)}
            _finish(ctx, school, import_id, {"status": "rejected", "errors": [error], "error_count": 1})
    except Exception as exc:
        # The database went away mid-job, or a bug. Nameko acknowledges an event whose handler raised, so
        # nothing would run this job again and it would read 執行中 for ever (and the same file, sent
        # again, would be answered with it). It says where it stopped; the same file again finishes it.
        log.exception("import stopped", extra={"fields": {"school_id": school, "import_id": import_id}})
        written = (ctx.store.import_job(school, import_id) or job).get("processed", 0)
        _stopped(ctx, school, import_id, job, written, type(exc).__name__)
    files.drop(school, job["_id"])


def _stopped(ctx: Context, school: str, import_id: str, job: dict[str, Any], written: int, why: str) -> None:
    rows = job.get("rows", 0)
    error = {
        "row": 1,
        **field_error(
            "file",
            f"匯入中斷：已寫入 {written} / {rows} 列。請重新上傳同一檔案完成匯入，已寫入的資料不會重複。",
            f"the import stopped after {written} of {rows} rows ({why}); upload the same file again to finish it",
            "import_stopped",
        ),
    }
    _finish(ctx, school, import_id, {"status": "failed", "errors": [error], "error_count": 1})


def _finish(ctx: Context, school: str, import_id: str, state: dict[str, Any]) -> None:
    ctx.store.update_import(school, import_id, {**state, "phase": "finished", "finished_at": utcnow()})


def _run(ctx: Context, school: str, caller: Caller, type_: RecordType, rows: list[dict], job: dict[str, Any]) -> None:
    import_id = job["import_id"]
    clock = _PhaseClock()
    # Pure CPU (the models): in a thread, so the service's hub keeps answering other calls meanwhile.
    good, errors = tpool.execute(domain.validate_rows, type_, rows)
    items = [(row, fill_self(caller, type_, storable(model))) for row, model in good]
    clock.lap("validate")
    # the school's students read once: rows are checked against them and placed in their classes by them
    students = ctx.store.student_facts(school) if type_.key in PARTITIONED else None
    ready, more = prepare(ctx, school, caller, type_, items, students)
    clock.lap("prepare")
    errors = sorted(errors + more, key=lambda e: e["row"])
    validated = len(rows) - len({e["row"] for e in errors})
    if errors:
        _finish(
            ctx,
            school,
            import_id,
            {"status": "rejected", "validated": validated, "errors": errors[:MAX_ERRORS], "error_count": len(errors)},
        )
        return
    counts = {k: job.get(k, 0) for k in ("inserted", "updated", "unchanged", "processed")}
    ctx.store.update_import(school, import_id, {"validated": validated, "phase": "writing"})
    ctx.store.count_if_small(school, type_.key)
    cipher = ctx.cipher if type_.student_register else None
    now = utcnow()
    done_before = counts["processed"]  # chunks written before a crash are not written again
    written = WrittenPartitions(ctx.store, school, type_.key)  # its tallies before the records are read
    existing, unread = _existing_by_key(ctx, school, type_, [c for _, c in ready[done_before:]])
    classes = classes_of(students) if students is not None else None
    clock.lap("existing")
    for start in range(done_before, len(ready), CHUNK):
        chunk = ready[start : start + CHUNK]
        inserts, updates, entries, ids, students, changed = [], [], [], [], [], []
        leavers: dict[str, list[str]] = {}
        for _, content in chunk:
            clear = content.pop("national_id_clear", None)
            before = existing.get(domain.natural_tuple(type_, content))
            if leaving(type_, before, content, caller):
                leavers.setdefault(content["status"], []).append(content["student_id"])
            if before is not None and before.get("import_id") == import_id:
                # written by this job in the chunk a crash cut short: count and audit it as written now
                created = before.get("created_at") == before.get("updated_at")
                counts["inserted" if created else "updated"] += 1
                action = "import_create" if created else "import_update"
                entries.append(ctx.entry(f"{type_.key}.{action}", before["_id"], None if created else before, before, import_id))
                ids.append(before["_id"])
            elif before is not None:
                if {**domain.content_of(before), **content} == domain.content_of(before):
                    counts["unchanged"] += 1
                    continue
                changes = {**content, "updated_at": now, "updated_by": caller.user_id, "import_id": import_id}
                if cipher is not None:
                    changes["national_id_enc"] = cipher.encrypt(clear)
                updates.append((before["_id"], changes))
                changed.append({**before, **changes})
                entries.append(ctx.entry(f"{type_.key}.import_update", before["_id"], before, changed[-1], import_id))
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
        clock.lap("compare")
        stored = ctx.store.bulk_upsert(type_.key, school, inserts, updates, classes, written.touched(changed))
        written.wrote(stored, changed)
        clock.lap("store")
        if ids:  # the chunk's rows audited as one batch entry (shared/audit.py)
            batch = ctx.batch_entry(f"{type_.key}.import_rows", import_id, entries)
            ctx.changed(school, type_.key, "import", ids, students, [batch])
        clock.lap("audit")
        for status, left in leavers.items():
            ctx.announce_archived(school, left, status, None)
        counts["processed"] = start + len(chunk)
        ctx.store.update_import(school, import_id, dict(counts))
        sleep(0)  # let the hub serve others between chunks
    # before it says done: the next import or export then finds every partition's copy current
    _keep_snapshots(written, existing.values(), unread)
    clock.lap("snapshots")
    _finish(ctx, school, import_id, {**counts, "status": "done", "errors": [], "error_count": 0})
    note = str({k: counts[k] for k in ("inserted", "updated", "unchanged")})
    ctx.changes.record(school, caller, f"{type_.key}.import", import_id, note=note)
    clock.lap("finish")
    # where a job's time went, for whoever tunes imports at a school's size
    log_event(log, "import timings", school_id=school, type=type_.key, rows=len(rows), **clock.seconds)


class _PhaseClock:
    """Seconds per named phase, summed over the job's chunks."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.seconds[phase] = round(self.seconds.get(phase, 0.0) + now - self._last, 3)
        self._last = now


def _keep_snapshots(written: WrittenPartitions, read_before: Iterable[dict[str, Any]], unread: set[Partition]) -> None:
    """The lists' copies of the partitions this job wrote, from what it holds (import_snapshots.py), so
    the first export, roster check or next import after it does not read them record by record. Only
    copies: if this fails the import stands, and the next reader takes them."""
    try:
        written.keep(read_before, unread)
    except Exception:
        log.exception("list snapshots not kept", extra={"school_id": written.school, "type": written.type_key})


def _existing_by_key(
    ctx: Context, school: str, type_: RecordType, contents: list[dict[str, Any]]
) -> tuple[dict[tuple, dict[str, Any]], set[Partition]]:
    """The stored records sharing a natural key with the file, read once per file (per semester in it),
    and the partitions left unread because none of the file's keys is in them.

    One read, not one per chunk: FerretDB filters `$in` itself after reading what the equalities
    (school, year, term) select, so a query per chunk would read the whole semester once per chunk.
    A tallied type's semester comes from its partitions' snapshots (a term's 30,000 grades: 10 s read
    record by record, under 1 s from the snapshots), and only from those whose kept keys meet the
    file's; a snapshot is used only while no write has touched its partition since, and a row someone
    adds meanwhile still meets the unique key."""
    if not type_.natural_key or not contents:
        return {}, set()
    docs: list[dict[str, Any]] = []
    unread: set[Partition] = set()
    if type_.semester and "year" in type_.natural_key:
        for year, term in sorted({(c["year"], c["term"]) for c in contents}):
            wanted = {domain.natural_tuple(type_, c) for c in contents if (c["year"], c["term"]) == (year, term)}
            rows, skipped = ctx.store.semester_records_for_keys(type_.key, school, year, term, wanted)
            docs += rows
            unread |= skipped
    else:
        first = type_.natural_key[0]
        docs = ctx.store.find(type_.key, school, {first: OneOf(sorted({c[first] for c in contents}))})
    return {domain.natural_tuple(type_, d): d for d in docs}, unread


def _report(job: dict[str, Any], already: bool = False) -> dict[str, Any]:
    return {
        "import_id": job["import_id"],
        "record_type": job["record_type"],
        **{k: job.get(k, 0) for k in ("rows", "validated", "inserted", "updated", "unchanged", "processed", "error_count")},
        "status": job["status"],
        "phase": job.get("phase", "finished"),
        "errors": job.get("errors", []),
        "already_imported": already,
        "url": f"/api/v1/records/imports/{job['import_id']}",
    }


def get_import(ctx: Context, import_id: str) -> dict:
    caller, school = ctx.school_caller(Permission.SCHOOL_RECORD_IMPORTS_READ)
    job = ctx.store.import_job(school, import_id)
    if job is None or (job["created_by"] != caller.user_id and not caller.has(Role.REGISTRAR)):
        raise RecordNotFound("找不到此匯入工作", "import not found")
    return _report(job)
