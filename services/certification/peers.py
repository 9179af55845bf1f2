"""What certification asks of records and evidence, in one place (their RPC names and shapes).

Records owns the calendar, courses and classes; evidence owns the files. Certification never reads
their databases: it asks here, with the caller's context_data travelling along.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.certification.domain import Deadlines
from services.certification.errors import BadEvidence, CourseNotFound
from shared.errors import NotFound, field_error


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class Peers:
    def __init__(self, records: Any, evidence: Any) -> None:
        self.records = records
        self.evidence = evidence

    # records
    def course(self, course_id: str) -> dict[str, Any]:
        try:
            course = self.records.get_course(course_id)
        except NotFound:
            course = None
        if not course:
            raise CourseNotFound("找不到此課程", "course not found")
        return course

    def student_takes(self, student_id: str, course: dict[str, Any]) -> bool:
        courses = self.records.courses_of_student(student_id, course["year"], course["term"])
        return any(c["id"] == course["id"] for c in courses)

    def deadlines(self, year: int, term: int) -> Deadlines:
        d = self.records.get_term_deadlines(year, term)
        return Deadlines(
            student_upload=_moment(d["student_upload"]), teacher_certify=_moment(d["teacher_certify"]), selection=_moment(d["internal"])
        )

    def current_term(self) -> tuple[int, int]:
        term = self.records.current_term()
        return int(term["year"]), int(term["term"])

    def students_of_class(self, class_code: str) -> list[dict[str, Any]]:
        return self.records.students_of_class(class_code)

    def student(self, student_id: str) -> dict[str, Any]:
        return self.records.get_student(student_id)

    # evidence
    def own_evidence(self, student_id: str, evidence_ids: list[str]) -> list[dict[str, Any]]:
        """The described evidence, all stored and all the student's own, or BadEvidence naming each bad id."""
        found = {e["id"]: e for e in self.evidence.describe(evidence_ids)}
        errors = []
        for index, evidence_id in enumerate(evidence_ids):
            item = found.get(evidence_id)
            if item is None or item.get("student_id") != student_id:
                errors.append(field_error(f"evidence_ids.{index}", "找不到此佐證檔案", "no such evidence of yours", "unknown_evidence"))
            elif item.get("state") not in ("stored", "locked"):
                errors.append(field_error(f"evidence_ids.{index}", "檔案尚未上傳完成", "the upload is not complete", "incomplete_evidence"))
        if errors:
            raise BadEvidence("佐證檔案不正確", "some evidence is not valid", errors)
        return [found[i] for i in evidence_ids]

    def grant(self, evidence_ids: list[str], account_ids: list[str]) -> None:
        self.evidence.grant_access(evidence_ids, account_ids)

    def lock(self, evidence_ids: list[str], reason: str) -> None:
        self.evidence.lock(evidence_ids, reason)
