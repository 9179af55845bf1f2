"""Checking built rosters before anything is sent, and turning them into files and upload items.

The validator (shared/national/validator.py, the same one the simulator uses) runs with our own
evidence metadata and the certification check. Rows it finds fault with are held back (the national
side would refuse them anyway) and listed per student in zh-TW, with the unit that must fix them, so
the registrar can hand the list on. Everything else becomes a workbook and its items. No I/O here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.national_upload.domain import idempotency_key
from services.national_upload.rosters import EVIDENCE_ROSTERS, RESPONSIBLE_UNITS, BuiltRoster, EvidenceRef
from shared.national.ids import mask
from shared.national.roster_io import write_roster
from shared.national.rules import YearRules
from shared.national.validator import EvidenceInfo, validate_rows


@dataclass
class RosterFileOut:
    code: int
    semester: int
    filename: str
    data: bytes
    sha256: str
    rows: int
    held_back: int
    students: list[str]  # 學號 of the rows sent


@dataclass
class Preparation:
    files: list[RosterFileOut] = field(default_factory=list)
    evidence: list[EvidenceRef] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


def prepare(
    rules: YearRules,
    school_code: str,
    built: list[BuiltRoster],
    evidence: list[EvidenceRef],
    students: dict[str, dict[str, Any]],
    moment: datetime,
    unknown_students: set[str] | None = None,
) -> Preparation:
    """Validate every roster, hold back faulty rows, write the workbooks, and report per student."""
    by_sha = {ref.sha256: EvidenceInfo(ref.filename, ref.size) for ref in evidence}
    per_student: dict[str, list[dict[str, Any]]] = {}
    file_problems: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    out = Preparation(evidence=list(evidence))
    for roster in built:
        meta = rules.roster(roster.code)
        for rows in roster.sheets.values():
            for index, row in enumerate(rows):
                row["_row"] = index + 2  # the spreadsheet row (header is row 1)
        report = validate_rows(roster.code, roster.sheets, rules=rules, evidence=by_sha.get, check_certification=True)
        faulty: set[tuple[str, int]] = set()
        owner = {(sheet, row["_row"]): row.get("_student", "") for sheet, row in roster.rows()}
        for finding in report.findings:
            problem = {
                "roster": roster.code,
                "roster_name": meta.name,
                "unit": RESPONSIBLE_UNITS.get(roster.code, "註冊組"),
                **finding.to_dict(),
            }
            if finding.whole_file or (finding.sheet, finding.row) not in owner:
                file_problems.append(problem)
                continue
            faulty.add((finding.sheet, finding.row))
            per_student.setdefault(owner[(finding.sheet, finding.row)], []).append(problem)
        kept = {sheet: [r for r in rows if (sheet, r["_row"]) not in faulty] for sheet, rows in roster.sheets.items()}
        sent_rows = sum(len(rows) for rows in kept.values())
        data = write_roster(rules, school_code, roster.semester, roster.code, kept)
        out.files.append(
            RosterFileOut(
                code=roster.code,
                semester=roster.semester,
                filename=rules.roster_filename(school_code, roster.semester, roster.code, moment),
                data=data,
                sha256=hashlib.sha256(data).hexdigest(),
                rows=sent_rows,
                held_back=roster.row_count - sent_rows,
                students=sorted({r.get("_student", "") for rows in kept.values() for r in rows} - {""}),
            )
        )
        summary.append(
            {
                "code": roster.code,
                "name": meta.name,
                "unit": RESPONSIBLE_UNITS.get(roster.code, "註冊組"),
                "semester": roster.semester,
                "rows": roster.row_count,
                "sent_rows": sent_rows,
                "held_back": roster.row_count - sent_rows,
                "findings": len(report.findings),
            }
        )
    for student_id in sorted(unknown_students or ()):
        per_student.setdefault(student_id, []).append(
            {
                "roster": 0,
                "roster_name": "學生資料",
                "unit": "註冊組",
                "code": "student_unknown",
                "message": "此學號沒有學生基本資料，相關資料未上傳",
                "message_en": "no basic data for this student number; their rows were not uploaded",
                "sheet": "",
                "row": 0,
                "column": "",
                "value": student_id,
            }
        )
    out.report = {
        "ok": not per_student and not file_problems,
        "rosters": summary,
        "evidence_files": len(evidence),
        "held_back_rows": sum(r["held_back"] for r in summary),
        "file_problems": file_problems,
        "students": [
            _student_entry(student_id, students.get(student_id), problems) for student_id, problems in sorted(per_student.items())
        ],
    }
    return out


def _student_entry(student_id: str, student: dict[str, Any] | None, problems: list[dict[str, Any]]) -> dict[str, Any]:
    student = student or {}
    return {
        "student_id": student_id,
        "name": student.get("name", ""),
        "class_code": student.get("class_code", ""),
        "seat_no": student.get("seat_no"),
        "national_id": mask(student.get("national_id", "")) if student.get("national_id") else "",
        "problems": problems,
    }


def roster_item(school_id: str, year: int, term: int, upload_id: str, file: dict[str, Any]) -> dict[str, Any]:
    """`file` is the stored roster file (its _id, code, sha256, students)."""
    key = idempotency_key(school_id, year, term, f"roster-{file['code']}", "", file["_id"], file["sha256"])
    return {
        "_id": f"{upload_id}:r{file['code']:02d}",
        "upload_id": upload_id,
        "kind": "roster",
        "roster": file["code"],
        "ref": file["_id"],
        "student_id": None,
        "year": year,
        "term": term,
        "content_sha256": file["sha256"],
        "idempotency_key": key,
        "after_evidence": file["code"] in EVIDENCE_ROSTERS,
        "students": file.get("students", []),
    }


def evidence_item(school_id: str, year: int, term: int, upload_id: str, ref: EvidenceRef) -> dict[str, Any]:
    key = idempotency_key(school_id, year, term, "evidence", ref.student_id, ref.evidence_id, ref.sha256)
    return {
        "_id": f"{upload_id}:e{ref.evidence_id}",
        "upload_id": upload_id,
        "kind": "evidence",
        "roster": None,
        "ref": ref.evidence_id,
        "student_id": ref.student_id,
        "year": year,
        "term": term,
        "filename": ref.filename,
        "content_sha256": ref.sha256,
        "size": ref.size,
        "idempotency_key": key,
        "after_evidence": False,
    }
