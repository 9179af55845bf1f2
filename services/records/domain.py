"""Records rules: semesters and their windows, import rows, natural keys, views. Plain Python, no I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from services.records import rules
from services.records.division import WINDOW_TYPES, RecordType
from services.records.division import course_code_parts as course_code_parts  # re-exported: a rule of the code, too
from services.records.errors import WindowClosed
from services.records.schemas import SemesterIn
from shared.clock import TAIPEI, to_taipei
from shared.errors import ValidationFailed, field_error
from shared.national_id import NationalIdCipher, classify, mask
from shared.validation import errors_from

# Fields a store adds; never part of a record's compared content.
META_FIELDS = frozenset(
    {"_id", "school_id", "created_at", "created_by", "updated_at", "updated_by", "import_id", "national_id_enc", "list_class"}
)


def new_id() -> str:
    return uuid.uuid4().hex


def semester_id(year: int, term: int) -> str:
    return f"{int(year)}-{int(term)}"


# --- calendar ----------------------------------------------------------------------------------


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TAIPEI).astimezone(UTC)


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=TAIPEI).astimezone(UTC)


def aware(moment: datetime) -> datetime:
    """Naive times from clients are Taipei wall-clock times."""
    return moment.replace(tzinfo=TAIPEI).astimezone(UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def check_window_types(windows: dict[str, Any]) -> None:
    unknown = [k for k in windows if k not in WINDOW_TYPES]
    if unknown:
        raise ValidationFailed(
            "未知的登錄時段類別：" + "、".join(unknown),
            "unknown window types: " + ", ".join(unknown),
            [field_error(f"windows.{k}", "不是可設定時段的資料類別", "not a window type", "unknown_window") for k in unknown],
        )


def semester_document(request: SemesterIn) -> dict[str, Any]:
    """The stored semester with the seed's default deadlines filled in."""
    check_window_types(request.windows)
    national = dict(sorted(request.national_deadlines.items()))
    internal = request.internal_deadline
    batch_codes = {c for codes in rules.BATCH_ROSTERS.values() for c in codes}
    term_deadlines = [d for code, d in national.items() if code not in batch_codes]  # a 梯次 has its own
    if internal is None and term_deadlines:
        internal = min(term_deadlines) - timedelta(days=rules.INTERNAL_DEADLINE_DAYS_BEFORE_NATIONAL)
    closing = request.closing_ceremony
    return {
        "_id": semester_id(request.year, request.term),
        "year": request.year,
        "term": request.term,
        "starts_on": request.starts_on.isoformat(),
        "ends_on": request.ends_on.isoformat(),
        "closing_ceremony": closing.isoformat(),
        "national_deadlines": {k: v.isoformat() for k, v in national.items()},
        "internal_deadline": internal.isoformat() if internal else None,
        "internal_deadline_set": request.internal_deadline is not None,
        "batch_deadlines": batch_deadlines(national),
        "student_upload_deadline": (
            request.student_upload_deadline or closing + timedelta(days=rules.STUDENT_UPLOAD_DAYS_AFTER_CLOSING)
        ).isoformat(),
        "teacher_certification_deadline": (
            request.teacher_certification_deadline or closing + timedelta(days=rules.TEACHER_CERTIFICATION_DAYS_AFTER_CLOSING)
        ).isoformat(),
        "windows": {k: {"opens_at": aware(w.opens_at), "closes_at": aware(w.closes_at)} for k, w in request.windows.items()},
    }


def batch_deadlines(national: dict[str, date]) -> dict[str, dict[str, str]]:
    """Per 高三 梯次 with a national deadline: its earliest national deadline and the school's internal one."""
    out = {}
    for batch, codes in rules.BATCH_ROSTERS.items():
        days = [national[c] for c in codes if c in national]
        if days:
            first = min(days)
            internal = first - timedelta(days=rules.INTERNAL_DEADLINE_DAYS_BEFORE_NATIONAL)
            out[batch] = {"label": rules.BATCH_LABELS[batch], "national": first.isoformat(), "internal": internal.isoformat()}
    return out


def merge_semester(current: dict[str, Any], patch: dict[str, Any]) -> SemesterIn:
    """A patch applied to a stored semester, re-validated as a whole (defaults recomputed unless set)."""
    base: dict[str, Any] = {
        "year": current["year"],
        "term": current["term"],
        "starts_on": current["starts_on"],
        "ends_on": current["ends_on"],
        "closing_ceremony": current["closing_ceremony"],
        "national_deadlines": current["national_deadlines"],
        "windows": {k: {"opens_at": v["opens_at"], "closes_at": v["closes_at"]} for k, v in current.get("windows", {}).items()},
    }
    if current.get("internal_deadline_set"):
        base["internal_deadline"] = current["internal_deadline"]
    base.update({k: v for k, v in patch.items() if v is not None})
    try:
        return SemesterIn.model_validate(base)
    except ValidationError as exc:
        raise ValidationFailed("部分欄位不正確", "some fields are invalid", errors_from(exc)) from None


def window_of(semester: dict[str, Any], record_type: str) -> tuple[datetime | None, datetime | None]:
    """A type's entry window; by default from the first day of the semester to the internal deadline."""
    window = semester.get("windows", {}).get(record_type)
    if window:
        return aware(window["opens_at"]), aware(window["closes_at"])
    opens = _start_of(date.fromisoformat(semester["starts_on"]))
    deadline = semester.get("internal_deadline")
    return opens, (_end_of(date.fromisoformat(deadline)) if deadline else None)


def window_view(semester: dict[str, Any], now: datetime) -> dict[str, dict[str, Any]]:
    out = {}
    for key in WINDOW_TYPES:
        opens, closes = window_of(semester, key)
        out[key] = {"opens_at": opens, "closes_at": closes, "open_now": is_open(opens, closes, now)}
    return out


def is_open(opens: datetime | None, closes: datetime | None, now: datetime) -> bool:
    return (opens is None or now >= opens) and (closes is None or now <= closes)


def _taipei(moment: datetime) -> str:
    return to_taipei(moment).strftime("%Y-%m-%d %H:%M")


def window_error(semester: dict[str, Any], type_: RecordType, now: datetime) -> WindowClosed:
    opens, closes = window_of(semester, type_.key)
    name = f"{semester['year']} 學年度第 {semester['term']} 學期「{type_.label}」登錄時段"
    if opens is not None and now < opens:
        return WindowClosed(
            f"{name}尚未開放，將於 {_taipei(opens)} 開放", f"the {type_.key} window of {semester['_id']} opens at {opens.isoformat()}"
        )
    assert closes is not None
    return WindowClosed(
        f"{name}已於 {_taipei(closes)} 關閉；如需補登請洽註冊組",
        f"the {type_.key} window of {semester['_id']} closed at {closes.isoformat()}",
    )


def reopened(reopenings: list[dict[str, Any]], student_id: str | None, now: datetime) -> bool:
    return student_id is not None and any(r["student_id"] == student_id and aware(r["until"]) >= now for r in reopenings)


def semester_view(doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "id": doc["_id"],
        **{k: doc.get(k) for k in ("year", "term", "starts_on", "ends_on", "closing_ceremony", "national_deadlines", "internal_deadline")},
        "batch_deadlines": doc.get("batch_deadlines") or {},
        "student_upload_deadline": doc["student_upload_deadline"],
        "teacher_certification_deadline": doc["teacher_certification_deadline"],
        "windows": window_view(doc, now),
    }


def current_semester(docs: list[dict[str, Any]], today: date) -> dict[str, Any] | None:
    """The semester that contains today, else the latest one that has started, else the earliest."""
    started = [d for d in docs if date.fromisoformat(d["starts_on"]) <= today]
    containing = [d for d in started if today <= date.fromisoformat(d["ends_on"])]
    pool = containing or started
    if pool:
        return max(pool, key=lambda d: d["starts_on"])
    return min(docs, key=lambda d: d["starts_on"]) if docs else None


# --- records -----------------------------------------------------------------------------------


def natural_filter(type_: RecordType, content: dict[str, Any]) -> dict[str, Any] | None:
    return {k: content[k] for k in type_.natural_key} if type_.natural_key else None


def natural_tuple(type_: RecordType, content: dict[str, Any]) -> tuple:
    return tuple(str(content.get(k)) for k in type_.natural_key)


def content_of(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in META_FIELDS}


def is_archived(student: dict[str, Any]) -> bool:
    """A student who left (畢業, 轉出) is archived: the portfolio is read-only and out of active lists."""
    return student.get("status") in rules.ARCHIVED_STATUSES


def same_student(before: dict[str, Any], finished: dict[str, Any]) -> bool:
    """Would saving `finished` (a prepared students row) leave the stored student as it is?"""
    content = {k: v for k, v in finished.items() if k != "national_id_clear"}
    return {**content_of(before), **content} == content_of(before)


def leaving_stamp(user_id: str, now: datetime, left_on: date | None) -> dict[str, Any]:
    """Fields stamped on a student when they leave; `left_on` starts the retention period."""
    return {"left_on": (left_on or to_taipei(now).date()).isoformat(), "archived_at": now, "archived_by": user_id}


def student_content(request: dict[str, Any], cipher: NationalIdCipher) -> dict[str, Any]:
    """Student basic data as stored: the ID encrypted, its keyed hash for look-ups, its masked form."""
    content = dict(request)
    clear = content.pop("national_id")
    content["id_kind"] = str(classify(clear))
    content["national_id_hash"] = cipher.lookup_hash(clear)
    content["national_id_masked"] = mask(clear)
    content["national_id_clear"] = clear  # popped by the writer, which encrypts it; never stored
    return content


def view(type_: RecordType, doc: dict[str, Any]) -> dict[str, Any]:
    """The public shape of a stored record (the clear ID never appears)."""
    out = {k: v for k, v in doc.items() if k not in {"_id", "school_id", "national_id_enc", "national_id_hash", "import_id", "list_class"}}
    out["id"] = doc["_id"]
    return out


# --- imports -----------------------------------------------------------------------------------


def header_map(type_: RecordType) -> dict[str, str]:
    """Accepted headers (zh-TW label or the English field name, case-insensitive) -> field."""
    out: dict[str, str] = {}
    for name, label in type_.columns:
        out[label] = name
        out[name.lower()] = name
    return out


def check_headers(type_: RecordType, headers: list[str]) -> dict[str, str]:
    """Which file column feeds which field; refuses unknown or missing required columns (nothing imported)."""
    known = header_map(type_)
    mapping: dict[str, str] = {}
    unknown = []
    for header in headers:
        key = known.get(header.strip()) or known.get(header.strip().lower())
        if key is None:
            unknown.append(header)
        else:
            mapping[header] = key
    required = [name for name, f in type_.model.model_fields.items() if f.is_required() and name in dict(type_.columns)]
    missing = [name for name in required if name not in mapping.values()]
    if unknown or missing:
        labels = dict(type_.columns)
        errors = [field_error(h, f"無法辨識的欄位「{h}」", f"unknown column {h!r}", "unknown_column") for h in unknown]
        errors += [field_error(labels[m], f"缺少必要欄位「{labels[m]}」", f"missing column {m}", "missing_column") for m in missing]
        raise ValidationFailed(
            "匯入檔的欄位名稱不正確，請使用範本的欄位：" + "、".join(labels.values()),
            "the file's headers do not match the template",
            errors,
        )
    return mapping


def row_payload(mapping: dict[str, str], raw: dict[str, str]) -> dict[str, Any]:
    return {mapping[h]: v for h, v in raw.items() if h in mapping and v != ""}


def validate_rows(type_: RecordType, rows: list[dict[str, str]]) -> tuple[list[tuple[int, BaseModel]], list[dict[str, Any]]]:
    """Every row parsed with the type's model; duplicate natural keys within the file are errors too."""
    if not rows:
        raise ValidationFailed("檔案沒有任何資料列", "the file has no rows")
    mapping = check_headers(type_, list(rows[0].keys()))
    labels = dict(type_.columns)
    good: list[tuple[int, BaseModel]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    for number, raw in enumerate(rows, start=2):  # row 1 holds the headers
        try:
            model = type_.model.model_validate(row_payload(mapping, raw))
        except ValidationError as exc:
            for err in errors_from(exc):
                head = err["field"].split(".")[0]
                errors.append({"row": number, **err, "field": labels.get(head, err["field"])})
            continue
        key = natural_tuple(type_, model.model_dump(mode="json"))
        if type_.natural_key and key in seen:
            errors.append(
                {
                    "row": number,
                    **field_error(
                        "、".join(labels[k] for k in type_.natural_key),
                        f"與第 {seen[key]} 列重複",
                        f"duplicates row {seen[key]}",
                        "duplicate",
                    ),
                }
            )
            continue
        seen[key] = number
        good.append((number, model))
    return good, errors


def row_error(row: int, field: str, message: str, message_en: str, code: str) -> dict[str, Any]:
    return {"row": row, **field_error(field, message, message_en, code)}


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
