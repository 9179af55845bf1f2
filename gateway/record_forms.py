"""What a browser needs to show one record type of the division table: filters, columns, form fields.

Derived from the same pydantic model that validates the API body (its JSON schema gives types and
limits) and the division table's zh-TW column headers, so a new record type or field needs no page
work. Options come from the records rules data (the same codes the validators check).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from gateway.staff_columns import import_headers
from services.records import rules
from services.records.division import RecordType, Scope
from shared.permissions import Permission, is_allowed
from shared.roles import Role

# (record type or "*", field) -> the allowed values, as value -> zh-TW label
_OPTIONS: dict[tuple[str, str], dict[str, str]] = {
    ("*", "gender"): rules.GENDERS,
    ("students", "status"): {s: s for s in rules.STUDENT_STATUSES},
    ("students", "division"): rules.DIVISIONS,
    ("repeat_grades", "repeat_note"): rules.REPEAT_NOTES,
    ("*", "absence_type"): {s: s for s in rules.ABSENCE_TYPES},
    ("cadres", "level"): rules.CADRE_LEVELS,
    ("*", "role"): {s: s for s in rules.CLUB_ROLES},
    ("*", "academic_groups"): {s: s for s in rules.ACADEMIC_GROUPS},
    ("competitions", "level"): rules.COMPETITION_LEVELS,
    ("performances", "category"): {c.code: f"{c.code} {c.sheet}" for c in rules.CATEGORIES.values()},
}
_LABELS = {
    "summary": "內容簡述",
    "video_url": "影音檔案外部連結",
    "results": "得獎名單",
    "fields": "類別欄位",
    "proof": "證明文號",
}
# References are picked by name from a scoped look-up, never typed as ids: field -> (source, query, multiple, label).
_PICKERS: dict[tuple[str, str], tuple[str, str, bool, str]] = {
    ("*", "student_id"): ("/api/v1/lookup/students", "", False, "學生"),
    ("courses", "teacher_ids"): ("/api/v1/lookup/staff", "role=teacher", True, "任課教師"),
    ("classes", "homeroom_teacher_id"): ("/api/v1/lookup/staff", "role=homeroom", False, "導師"),
    ("*", "counselor_id"): ("/api/v1/lookup/staff", "role=counselor", False, "課程諮詢教師"),
    ("selections", "course_code"): ("/api/v1/lookup/courses", "", False, "課程"),
    ("grades", "course_code"): ("/api/v1/lookup/courses", "", False, "課程"),
}
# Filled by the course picker together with course_code (the offering is code + class).
_PICKED_WITH = {("selections", "course_class"), ("grades", "course_class")}
# List columns that hold ids: shown by name (the look-up that resolves them), never as the id.
NAMED_COLUMNS: dict[str, str] = {
    "teacher_ids": "/api/v1/lookup/staff",
    "homeroom_teacher_id": "/api/v1/lookup/staff",
    "counselor_id": "/api/v1/lookup/staff",
}
_COLUMN_LABELS = {"teacher_ids": "任課教師", "homeroom_teacher_id": "導師", "counselor_id": "課程諮詢教師", "category": "類別"}

# Evidence fields: the form uploads the file (checked before sending) and puts the stored id in the body.
_FILE_PURPOSES = {"performances": "performance", "competitions": "competition_proof", "service_learning": "service_proof"}
_FILE_LABELS = {"evidence_ids": "佐證檔案", "proof_evidence_id": "簽呈或證明文件"}
_FILE_LABELS_BY_TYPE = {("service_learning", "proof_evidence_id"): "服務證明文件"}


@dataclass(frozen=True)
class RowAction:
    """A button on each listed record beyond edit/delete, shown to roles holding `permission`."""

    label: str
    path: str  # appended to /api/v1/records/<type>/<id>
    permission: Permission
    when: dict[str, str] = field(default_factory=dict)  # shown only on rows with these values
    done: str = "完成"


_ROW_ACTIONS: dict[str, tuple[RowAction, ...]] = {
    "competitions": (
        RowAction("公告結果", "/publish", Permission.SCHOOL_COMPETITIONS_WRITE, {"status": "draft"}, "已公告，得獎學生可匯入多元表現"),
        RowAction("匯入我的多元表現", "/claim", Permission.SCHOOL_COMPETITIONS_CLAIM, {"status": "published"}, "已匯入多元表現"),
    ),
}
_FILTERS = {
    "year": "學年度",
    "term": "學期",
    "student_id": "學號",
    "class_code": "班級",
    "course_code": "課程代碼",
    "category": "多元表現類別",
}


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # text, textarea, number, date, time, bool, select, multi, list, rows, json, file, files, picker, hidden
    required: bool
    hint: str = ""
    # select/multi: value -> label; file(s): {"purpose": ...}; picker: {"source", "params", "multiple"}
    options: dict[str, str] = field(default_factory=dict)
    maxlength: int | None = None
    minimum: float | None = None
    maximum: float | None = None


def _plain(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The non-null alternative of an anyOf, and whether null was allowed."""
    options = schema.get("anyOf")
    if not options:
        return schema, False
    real = [o for o in options if o.get("type") != "null"]
    number = next((o for o in real if o.get("type") in ("number", "integer")), None)
    return (number or real[0]) | {k: v for k, v in schema.items() if k != "anyOf"}, len(real) < len(options)


def form_fields(t: RecordType) -> list[FormField]:
    schema = t.model.model_json_schema()
    required = set(schema.get("required", []))
    headers = dict(t.columns)
    out: list[FormField] = []
    for name, raw in schema["properties"].items():
        prop, _nullable = _plain(raw)
        if name in _FILE_LABELS:
            if t.key in _FILE_PURPOSES:
                multiple = prop.get("type") == "array"
                hint = "PDF、JPG、PNG ≤ 4 MB" + ("，可多選" if multiple else "")
                kind = "files" if multiple else "file"
                label = _FILE_LABELS_BY_TYPE.get((t.key, name), _FILE_LABELS[name])
                out.append(FormField(name, label, kind, False, hint, {"purpose": _FILE_PURPOSES[t.key]}))
            continue
        label = headers.get(name) or _LABELS.get(name) or prop.get("description") or name
        wide = _PICKERS.get(("*", name))
        if name == "student_id" and (t.key == "students" or t.student_field != name):
            wide = None  # the student record itself is where a 學號 is first typed
        picker = _PICKERS.get((t.key, name)) or wide
        if picker:
            source, params, multiple, picker_label = picker
            options = {"source": source, "params": params, "multiple": "1" if multiple else ""}
            hint = "輸入姓名搜尋，可選多位" if multiple else "輸入學號、姓名或班級搜尋" if name == "student_id" else "輸入名稱搜尋"
            out.append(FormField(name, picker_label, "picker", name in required, hint, options))
            continue
        if (t.key, name) in _PICKED_WITH:
            out.append(FormField(name, label, "hidden", name in required))
            continue
        options = _OPTIONS.get((t.key, name)) or _OPTIONS.get(("*", name)) or {}
        kind = "text"
        kind_of = prop.get("type")
        hint = ""
        if options:
            kind = "multi" if kind_of == "array" else "select"
        elif kind_of == "boolean":
            kind = "bool"
        elif kind_of in ("integer", "number"):
            kind = "number"
        elif prop.get("format") == "date" or name.endswith(("_date", "_on")) or name == "date":
            kind = "date"
        elif name == "time":
            kind = "time"
        elif kind_of == "array" and prop.get("items", {}).get("type") == "string":
            kind, hint = "list", "多個以逗號或、分隔"
        elif kind_of == "array":  # the one list of objects: a competition's results
            kind, hint = "rows", "每行一筆：學號,獎項,團體參與(1 個人／2 團體)"
        elif kind_of == "object":
            kind, hint = "json", '依類別填寫欄位，例如 {"名稱": "…"}'
        elif (prop.get("maxLength") or 0) > 200:
            kind = "textarea"
        if name == "national_id":
            hint = "修改時須重新輸入完整證號"
        if name == "summary":
            hint = f"最多 {rules.SUMMARY_MAX_CHARS} 字"
        out.append(
            FormField(
                name,
                label,
                kind,
                name in required,
                hint,
                options,
                prop.get("maxLength"),
                prop.get("minimum"),
                prop.get("maximum"),
            )
        )
    return out


def filters_for(t: RecordType) -> dict[str, str]:
    fields = t.model.model_fields
    out = {}
    for name, label in _FILTERS.items():
        if name in ("year", "term") and not (t.semester or (name == "year" and t.key == "classes")):
            continue
        if name == "student_id" and t.student_field != "student_id":
            continue
        if name == "class_code" and not ("class_code" in fields or t.key == "classes" or t.student_field == "student_id"):
            continue
        if name in ("course_code", "category") and name not in fields:
            continue
        out[name] = label
    return out


def list_columns(t: RecordType) -> list[tuple[str, str]]:
    """The list's columns: ids shown by name (a 姓名 beside every 學號, 科目 beside every 課程代碼)."""
    columns: list[tuple[str, str]] = []
    for n, label in t.columns:
        columns.append(("national_id_masked" if n == "national_id" else n, _COLUMN_LABELS.get(n, label)))
        if n == "student_id" and t.key != "students":
            columns.append(("student_name", "姓名"))
        if n == "course_code":
            columns.append(("course_name", "科目"))
    return columns[:9]


def page_data(t: RecordType, roles: frozenset[Role] = frozenset()) -> dict[str, Any]:
    filters = filters_for(t)
    own_only = bool(roles) and {t.readers[r] for r in roles if r in t.readers} <= {Scope.SELF}
    if own_only:
        filters = {k: v for k, v in filters.items() if k not in ("student_id", "class_code")}  # a student sees only their own
    return {
        "coverage": t.countable and not own_only,  # 登錄進度: offices and 導師, not a student's own page
        "semester": t.semester,
        "actions": [asdict(a) for a in _ROW_ACTIONS.get(t.key, ()) if is_allowed(roles, a.permission)],
        "key": t.key,
        "label": t.label,
        "fields": [asdict(f) for f in form_fields(t)],
        "field_labels": {name: label for name, label in t.columns} | {f.name: f.label for f in form_fields(t)},
        "filters": filters,
        "columns": list_columns(t),
        "sortable": list(t.sortable),  # columns the server orders a paged list by
        "named_columns": {k: v for k, v in NAMED_COLUMNS.items() if k in dict(t.columns)},
        "importable": t.importable,
        "import_headers": import_headers(t.key, [label for _, label in t.columns]),
    }
