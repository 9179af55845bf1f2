"""Building the national rosters (名冊) of one school term from our records: plain data in, rows out.

No I/O: the service gathers the data by RPC (records.roster_data, certification's locked selections,
evidence metadata) and hands it here. Rows are keyed by the national column names; keys starting
with "_" are our metadata (never written): `_student` (學號, for the per-student report) and
`_certified` (the validator's certification check).

Which rosters a term uploads (docs/national-rosters.md): 1 學生資料 (with 學生借讀資料), 2 學生成績
(學期, 補修 and 轉學轉科 grades of day students), 3 缺勤, 4 科目, 6 重修重讀成績, 7 進修學校學生成績
(the 進修部 students' 學期, 補考 and 轉學轉科 grades) and 24 校內幹部經歷 per semester; 25 學生自填多元表現
and 26 課程學習成果 (28 for 進修部 students) are annual (封面 學期 0) and carry the term's selections
(the outcomes of this term, 實際修課學期 = term). A student's 部別 decides between 2/26 and 7/28.
Sheet names are the rules data's own (looked up, never spelled here), so a year whose sources name a
sheet differently changes the data, not this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from services.national_upload.roster_cells import number_cell, roc_cell, text_cell, yes_no_cell
from services.national_upload.special_grade_rows import SpecialGradeRows
from services.records.rules import CONTINUING_DIVISIONS, DAY_DIVISION
from shared.national.rules import YearRules

# Our 假別 -> national 缺勤種類代碼; 遲到/早退 are school-internal and not reported.
ABSENCE_CODES = {"公假": "01", "事假": "02", "病假": "03", "產假": "05", "喪假": "11", "曠課": "12"}
# Our 多元表現 field names where they differ from the national column (otherwise exact or name + 代碼).
PERFORMANCE_COLUMN_ALIASES = {"註1": "檢定證照類別", "內容(開設名稱)": "內容", "彈性學習時間類別(種類)代碼": "彈性學習時間類別"}

# Which school unit fixes the data of each roster (for the registrar's report).
RESPONSIBLE_UNITS = {
    1: "註冊組",
    2: "註冊組",
    3: "生輔組",
    4: "教學組",
    6: "註冊組",
    7: "註冊組（進修部）",
    24: "訓育組",
    25: "學生（多元表現）",
    26: "學生與任課教師（課程學習成果）",
    27: "學生與任課教師（重修重讀課程學習成果）",
    28: "進修部學生與任課教師（課程學習成果）",
    34: "訓育組",
    35: "學生（多元表現）",
    36: "學生與任課教師（課程學習成果）",
    38: "進修部學生與任課教師（課程學習成果）",
    74: "訓育組",
    75: "學生（多元表現）",
    76: "學生與任課教師（課程學習成果）",
    78: "進修部學生與任課教師（課程學習成果）",
}
TERM_ROSTERS = (1, 2, 3, 4, 6, 7, 24, 34, 74)
ANNUAL_ROSTERS = (25, 26, 27, 28, 35, 36, 38, 75, 76, 78)
# A 課程學習成果 whose course a special grade of the student (of this term) names goes to that kind's
# sheet: (kind, records key, fields that may name the outcome's course code). A retake course has the
# original course's code; a transfer outcome is of the former school's course (the course it maps to
# is ours, of an earlier term, and an outcome of this term's offering of it is an ordinary one).
OUTCOME_KINDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("重修", "retake_grades", ("original_course_code",)),
    ("補修", "makeup_grades", ("course_code",)),
    ("重讀", "repeat_grades", ("course_code",)),
    ("轉學轉科", "transfer_grades", ("former_course_code",)),
)
CONTINUING_OUTCOME_KINDS = frozenset({"學期", "轉學轉科", "借讀"})  # the sheets roster 28 has
EVIDENCE_ROSTERS = frozenset(ANNUAL_ROSTERS)  # rows refer to evidence files sent before the roster


@dataclass
class BuiltRoster:
    code: int
    semester: int  # the cover's 學期 (0 for annual rosters)
    sheets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def rows(self) -> Iterable[tuple[str, dict[str, Any]]]:
        for sheet, rows in self.sheets.items():
            for row in rows:
                yield sheet, row

    @property
    def row_count(self) -> int:
        return sum(len(rows) for rows in self.sheets.values())


@dataclass(frozen=True)
class EvidenceRef:
    """An evidence file a roster row refers to: sent as its own item before the roster."""

    evidence_id: str
    student_id: str
    sha256: str
    filename: str
    size: int
    kind: str  # "document" or "media"


@dataclass
class TermInput:
    year: int
    term: int
    records: dict[str, Any]  # records.roster_data
    outcomes: list[dict[str, Any]] = field(default_factory=list)  # certification.selected_outcomes
    performance_ids: dict[str, list[str]] = field(default_factory=dict)  # student -> selected 多元表現 ids
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # evidence id -> evidence.describe entry
    only_students: frozenset[str] | None = None  # a resubmission of some students only
    school_code: str = ""  # 所屬學校代碼 of 學生借讀資料
    batch: int | None = None  # a 高三 梯次 (1 or 2): its rosters (34-38 or 74-78) for grade-3 students only


class RosterBuilder(SpecialGradeRows):
    def __init__(self, rules: YearRules, data: TermInput) -> None:
        self.rules = rules
        self.data = data
        records = data.records
        self.only = data.only_students
        self.batch = rules.batch_rosters(data.batch) if data.batch else {}
        if self.batch:  # only the grades the 梯次 rosters are for (grade 3): the others are simply not in them
            grades = {str(g) for code in self.batch.values() for g in rules.roster(code).grades}
            of_grade = {s["student_id"] for s in records.get("students", []) if str(s.get("class_code", ""))[:1] in grades}
            self.only = frozenset(of_grade if self.only is None else of_grade & self.only)
        self.students = {s["student_id"]: s for s in records.get("students", []) if self.only is None or s["student_id"] in self.only}
        self.classes = {c["code"]: c for c in records.get("classes", [])}
        self.courses_by_id = {c["id"]: c for c in records.get("courses", [])}
        self.courses_by_key = {(c["code"], c["class_code"]): c for c in records.get("courses", [])}
        self.evidence_refs: dict[str, EvidenceRef] = {}
        self.unknown_students: set[str] = set()

    # ------------------------------------------------------------------ helpers

    def _person(self, student_id: str) -> dict[str, str] | None:
        student = self.students.get(student_id)
        if student is None:
            if self.only is None or student_id in self.only:
                self.unknown_students.add(student_id)
            return None
        return {"身分證號": student.get("national_id", ""), "出生日期": roc_cell(student.get("birth_date")), "_student": student_id}

    def _file(self, student_id: str, evidence_ids: list[str], kind: str) -> str:
        """The SHA-256 of the first evidence file of that kind; remembered as an item to send first."""
        for evidence_id in evidence_ids:
            info = self.data.evidence.get(evidence_id)
            if info is None or info.get("kind") != kind:
                continue
            ref = EvidenceRef(evidence_id, student_id, info["sha256"], info.get("filename") or evidence_id, int(info["size"]), kind)
            self.evidence_refs.setdefault(evidence_id, ref)
            return ref.sha256
        return ""

    @staticmethod
    def _grade_level(class_code: str) -> str:
        return class_code[:1] if class_code else ""

    # ------------------------------------------------------------------ rosters

    def continuing(self, student_id: str) -> bool:
        """A 進修部 student (by the 部別 of their basic data): rosters 7 and 28 instead of 2 and 26."""
        student = self.students.get(student_id) or {}
        return (student.get("division") or DAY_DIVISION) in CONTINUING_DIVISIONS

    def _sheet(self, code: int, name: str) -> str:
        """The rules data's own name of a roster's sheet (an alias given here finds it too)."""
        sheet = self.rules.roster(code).sheet(name)
        if sheet is None:
            raise LookupError(f"roster {code} has no sheet {name} in the {self.rules.year} rules")
        return sheet.name

    def _sheets(self, code: int, sheets: dict[str, list[dict]]) -> dict[str, list[dict]]:
        return {self._sheet(code, name): rows for name, rows in sheets.items() if rows}

    def build(self) -> list[BuiltRoster]:
        term = self.data.term
        day, evening = self._split(self._grades())
        outcomes_day, outcomes_evening = self._split(self._outcomes())
        built = [
            BuiltRoster(1, term, {self._sheet(1, "學生資料"): self._students(), **self._sheets(1, {"學生借讀資料": self._guest_study()})}),
            BuiltRoster(
                2,
                term,
                self._sheets(
                    2,
                    {"學期成績": day, "補修成績": self._day_only(self._makeup()), "轉學轉科成績": self._day_only(self._transfers(2))},
                ),
            ),
            BuiltRoster(3, term, {"缺勤紀錄": self._absences()}),
            BuiltRoster(6, term, self._sheets(6, {"重修成績": self._retakes(), "重讀成績": self._repeats()})),
            BuiltRoster(
                7,
                term,
                self._sheets(
                    7,
                    {
                        "學期成績": self._continuing_grades(evening),
                        "補考成績": self._continuing_makeups(evening),
                        "轉學轉科成績": self._evening_only(self._transfers(7)),
                    },
                ),
            ),
            BuiltRoster(24, term, {"幹部經歷紀錄": self._cadres()}),
            BuiltRoster(25, 0, self._performances()),
            BuiltRoster(26, 0, self._sheets(26, self._outcome_sheets(outcomes_day, 26))),
            BuiltRoster(28, 0, self._sheets(28, self._outcome_sheets(outcomes_evening, 28))),
        ]
        if self.rules.roster_in_use(27) and not self.batch:  # years whose rules still send 重修/重讀 outcomes apart
            retakes = {k: built[-2].sheets.pop(k) for k in ("重修課程學習成果", "重讀課程學習成果") if k in built[-2].sheets}
            built.append(BuiltRoster(27, 0, self._sheets(27, retakes)))
        if self.batch:
            return self._batch_rosters(built)
        if self.only is None:
            built.insert(3, BuiltRoster(4, term, {"開設課程": self._courses()}))
        return [r for r in built if r.row_count or r.code in TERM_ROSTERS[:1]]

    def _batch_rosters(self, built: list[BuiltRoster]) -> list[BuiltRoster]:
        """The 梯次's rosters: those of the same shape, renumbered, with their own cover 學期."""
        out = []
        for roster in built:
            code = self.batch.get(roster.code)
            if code is not None and roster.row_count:
                semester = roster.semester if self.rules.roster(code).period == "semester" else 0
                out.append(BuiltRoster(code, semester, roster.sheets))
        return out

    def _split(self, rows: list[dict]) -> tuple[list[dict], list[dict]]:
        """Rows of day students and of 進修部 students."""
        return [r for r in rows if not self.continuing(r["_student"])], [r for r in rows if self.continuing(r["_student"])]

    def _day_only(self, rows: list[dict]) -> list[dict]:
        return self._split(rows)[0]

    def _evening_only(self, rows: list[dict]) -> list[dict]:
        return self._split(rows)[1]

    def _students(self) -> list[dict]:
        rows = []
        for student in self.students.values():
            klass = self.classes.get(student.get("class_code", ""), {})
            rows.append(
                {
                    **(self._person(student["student_id"]) or {}),
                    "性別代碼": text_cell(student.get("gender")),
                    "部別代碼": text_cell(student.get("division") or DAY_DIVISION),
                    "群別代碼": text_cell(klass.get("department_code")),
                    "科班學程別代碼": text_cell(klass.get("program_code")),
                    "年級": self._grade_level(student.get("class_code", "")),
                    "班級名稱": text_cell(klass.get("name") or student.get("class_code")),
                    "座號": text_cell(student.get("seat_no")),
                    "學籍狀態": text_cell(student.get("status")),
                }
            )
        return rows

    def _grades(self) -> list[dict]:
        rows = []
        for grade in self.data.records.get("grades", []):
            person = self._person(grade["student_id"])
            if person is None:
                continue
            course = self.courses_by_key.get((grade["course_code"], grade["course_class"]), {})
            rows.append(
                {
                    **person,
                    "課程代碼": grade["course_code"],
                    "科目名稱": text_cell(course.get("name")),
                    "開課年級": self._grade_level(grade["course_class"]),
                    "修課學分": text_cell(course.get("credits")),
                    "學期學業成績": text_cell(grade.get("score")),
                    "成績及格": yes_no_cell(grade.get("passed")),
                    "補考成績": text_cell(grade.get("makeup_score")),
                    "補考及格": yes_no_cell(grade.get("makeup_passed")),
                    "是否採計學分": "1" if grade.get("credits_counted") else "0",
                    "質性文字描述": text_cell(grade.get("description")),
                }
            )
        return rows

    def _per_record(self, key: str) -> list[tuple[dict, dict]]:
        """(record, person) for each record of `key` whose student is in this build."""
        out = []
        for record in self.data.records.get(key, []):
            person = self._person(record["student_id"])
            if person is not None:
                out.append((record, person))
        return out

    # ------------------------------------------------------------------ 課程學習成果 by kind of course

    def _outcome_kind(self, student_id: str, code: str) -> tuple[str, dict[str, Any]]:
        """Which sheet an outcome of course `code` goes to: the student's special grade of this term
        that names the course decides (first match in OUTCOME_KINDS), else 學期課程學習成果."""
        for kind, key, field_names in OUTCOME_KINDS:
            for record in self.data.records.get(key, []):
                if record.get("student_id") == student_id and code in {record.get(f) for f in field_names}:
                    return kind, record
        host = self._course_school(code)
        for record in self.data.records.get("guest_study", []):
            if record.get("student_id") == student_id and host and record.get("host_school_code") == host:
                return "借讀", record
        return "學期", {}

    def _course_school(self, code: str) -> str:
        """The 學校代碼 part of a course code (a 借讀 course is the host school's own)."""
        try:
            return self.rules.course_code_parts(code).get("學校代碼", "")
        except ValueError:
            return ""

    def _outcome_sheets(self, rows: list[dict], code: int) -> dict[str, list[dict]]:
        """Roster 26's (or 28's, for 進修部 students: 節數 for 學分) sheets of the built outcome rows."""
        continuing = code == 28
        sheets: dict[str, list[dict]] = {}
        for row in rows:
            kind, record = self._outcome_kind(row["_student"], row["課程代碼"])
            if continuing and kind not in CONTINUING_OUTCOME_KINDS:
                kind = "學期"  # roster 28 has no 補修/重修/重讀 sheets: this term's course outcome
            sheet, out = self._outcome_row(kind, row, record)
            if continuing:
                out = {k.replace("修課學分", "修課節數"): v for k, v in out.items()}
            sheets.setdefault(sheet, []).append(out)
        return sheets

    def _outcome_row(self, kind: str, row: dict, record: dict[str, Any]) -> tuple[str, dict]:
        meta = {k: v for k, v in row.items() if k.startswith("_") or k in ("身分證號", "出生日期")}
        files = {k: row[k] for k in ("成果簡述", "成果檔案", "影音檔案")}
        course = {k: row[k] for k in ("課程代碼", "科目名稱", "開課年級", "修課學分")}
        if kind == "補修":
            due = {"應修課學年度": text_cell(record.get("due_year")), "應修課學期": text_cell(record.get("due_term"))}
            method = {"補修方式": text_cell(record.get("method"))}
            return "補修課程學習成果", {**meta, **due, "實際修課學期": row["實際修課學期"], **course, **method, **files}
        if kind == "重修":
            original = {
                "原修課學年度": text_cell(record.get("original_year")),
                "原修課學期": text_cell(record.get("original_term")),
                "實際修課學期": row["實際修課學期"],
                "原修課課程代碼": text_cell(record.get("original_course_code")),
                "原修課科目名稱": text_cell(record.get("original_course_name")),
                "原修課開課年級": text_cell(record.get("original_grade_level")),
                "原修課修課學分": number_cell(record.get("original_credits")),
                "重修方式": text_cell(record.get("method")),
            }
            return "重修課程學習成果", {**meta, **original, **files}
        if kind == "重讀":
            return "重讀課程學習成果", {**meta, "實際修課學期": row["實際修課學期"], **course, **files}
        if kind == "轉學轉科":
            former = {
                "原修課學校代碼": text_cell(record.get("former_school_code")),
                "原修課學年度": text_cell(record.get("mapped_year")),
                "原修課學期": text_cell(record.get("mapped_term")),
                "原修課課程代碼": text_cell(record.get("former_course_code")),
                "原修課科目名稱": text_cell(record.get("former_course_name") or record.get("course_name")),
                "原修課開課年級": text_cell(record.get("grade_level")),
                "原修課修課學分": number_cell(record.get("credits")),
            }
            return "轉學轉科課程學習成果", {**meta, **former, **files}
        if kind == "借讀":
            guest = {
                "借讀學校代碼": text_cell(record.get("host_school_code")),
                "借讀修課學年度": text_cell(record.get("year")),
                "借讀修課學期": row["實際修課學期"],
                "借讀校課程代碼": row["課程代碼"],
                "借讀校科目名稱": row["科目名稱"],
                "借讀校開課年級": row["開課年級"],
                "借讀校修課學分": row["修課學分"],
            }
            return "借讀課程學習成果", {**meta, **guest, **files}
        return "學期課程學習成果", {**meta, "實際修課學期": row["實際修課學期"], **course, **files}

    def _absences(self) -> list[dict]:
        semester = self.data.records.get("semester") or {}
        starts, ends = roc_cell(semester.get("starts_on")), roc_cell(semester.get("ends_on"))
        rows = []
        for absence in self.data.records.get("attendance", []):
            code = ABSENCE_CODES.get(absence.get("absence_type", ""))
            if code is None or not absence.get("periods"):
                continue
            person = self._person(absence["student_id"])
            if person is None:
                continue
            rows.append(
                {**person, "缺勤種類代碼": code, "缺勤起始日期": starts, "缺勤結束日期": ends, "缺勤節數": text_cell(absence["periods"])}
            )
        return rows

    def _courses(self) -> list[dict]:
        rows, seen = [], set()
        for course in self.data.records.get("courses", []):
            level = self._grade_level(course["class_code"])
            if (course["code"], level) in seen:
                continue
            seen.add((course["code"], level))
            try:
                parts = self.rules.course_code_parts(course["code"])
            except ValueError:
                parts = {}
            rows.append(
                {
                    "課程類別": parts.get("課程類別", ""),
                    "領域別": parts.get("領域", ""),
                    "群別": parts.get("群別", ""),
                    "科班學程別": parts.get("科別", ""),
                    "開課年級": level,
                    "學分數": text_cell(course.get("credits")),
                    "科目名稱": text_cell(course.get("name")),
                    "課程代碼": course["code"],
                }
            )
        return rows

    def _cadres(self) -> list[dict]:
        rows = []
        for cadre in self.data.records.get("cadres", []):
            person = self._person(cadre["student_id"])
            if person is None:
                continue
            rows.append(
                {
                    **person,
                    "單位名稱": text_cell(cadre.get("unit")),
                    "開始日期": roc_cell(cadre.get("start_date")),
                    "結束日期": roc_cell(cadre.get("end_date")),
                    "擔任職務": text_cell(cadre.get("position")),
                    "幹部等級": text_cell(cadre.get("level")),
                }
            )
        return rows

    def _performances(self) -> dict[str, list[dict]]:
        by_id = {p["id"]: p for p in self.data.records.get("performances", [])}
        roster = self.rules.roster(25)
        sheets: dict[str, list[dict]] = {}
        for student_id, ids in sorted(self.data.performance_ids.items()):
            for performance_id in ids:
                item = by_id.get(performance_id)
                person = self._person(student_id) if item else None
                if item is None or person is None or item.get("student_id") != student_id:
                    continue
                sheet = roster.sheets[int(item["category"]) - 1]
                fields = item.get("fields") or {}
                row: dict[str, Any] = {**person, "_certified": True}
                for column in sheet.columns:
                    if column.name in row:
                        continue
                    source = PERFORMANCE_COLUMN_ALIASES.get(column.name, column.name)
                    value = fields.get(source, fields.get(source.removesuffix("代碼"), ""))
                    row[column.name] = roc_cell(value) if column.type == "roc_date" else text_cell(value)
                row["內容簡述"] = text_cell(item.get("summary"))
                row["證明文件"] = self._file(student_id, item.get("evidence_ids", []), "document")
                row["影音檔案"] = self._file(student_id, item.get("evidence_ids", []), "media")
                row["影音檔案外部連結"] = text_cell(item.get("video_url"))
                sheets.setdefault(sheet.name, []).append(row)
        return sheets

    def _outcomes(self) -> list[dict]:
        rows = []
        for outcome in sorted(self.data.outcomes, key=lambda o: (o["student_id"], o["id"])):
            person = self._person(outcome["student_id"])
            if person is None:
                continue
            course = self.courses_by_id.get(outcome["course_id"], {})
            rows.append(
                {
                    **person,
                    "_certified": outcome.get("state") == "certified",
                    "_outcome": outcome["id"],
                    "實際修課學期": str(outcome["term"]),
                    "課程代碼": text_cell(course.get("code")),
                    "科目名稱": text_cell(course.get("name") or outcome.get("course_name")),
                    "開課年級": self._grade_level(course.get("class_code", "")),
                    "修課學分": text_cell(course.get("credits")),
                    "成果簡述": text_cell(outcome.get("summary")),
                    "成果檔案": self._file(outcome["student_id"], outcome.get("evidence_ids", []), "document"),
                    "影音檔案": self._file(outcome["student_id"], outcome.get("evidence_ids", []), "media"),
                }
            )
        return rows


def evidence_ids_of(outcomes: list[dict], performances: list[dict], performance_ids: dict[str, list[str]]) -> list[str]:
    """Every evidence id the selected items refer to (to describe them in one call per 500)."""
    wanted = {i for ids in performance_ids.values() for i in ids}
    ids = [e for o in outcomes for e in o.get("evidence_ids", [])]
    ids += [e for p in performances if p["id"] in wanted for e in p.get("evidence_ids", [])]
    return list(dict.fromkeys(ids))
