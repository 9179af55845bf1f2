"""What certification asks of records and evidence, in one place (their RPC names and shapes).

Records owns the calendar, courses and classes; evidence owns the files. Certification never reads
their databases: it asks here, with the caller's context_data travelling along.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from services.certification.domain import Deadlines
from services.certification.errors import BadEvidence, CourseNotFound
from services.records.contract import RecordsPeer
from shared.clock import TAIPEI
from shared.errors import Forbidden, NotFound, field_error, no_semester_yet


def _moment(value: Any) -> datetime:
    """A deadline as an aware moment; a bare date means the end of that day in Taipei."""
    if isinstance(value, datetime):
        return value
    text = str(value)
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time.max, TAIPEI)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=TAIPEI)


def _deadlines(semester: dict[str, Any] | None, year: int, term: int) -> Deadlines:
    if not semester:
        raise no_semester_yet(year, term)
    return Deadlines(
        student_upload=_moment(semester["student_upload_deadline"]),
        teacher_certify=_moment(semester["teacher_certification_deadline"]),
        selection=_moment(semester["internal_deadline"]),
    )


class Peers:
    def __init__(self, records: RecordsPeer, evidence: Any, school_id: str) -> None:
        self.records = records
        self.evidence = evidence
        self.school = school_id

    # records
    def outcome_context(self, student_id: str, course_id: str) -> tuple[dict[str, Any], Deadlines, dict[str, Any]]:
        """A new outcome's course (one the student takes), its semester's deadlines and the student, in
        one call to records."""
        try:
            context = self.records.outcome_context(self.school, student_id, course_id)
        except NotFound:
            context = {}
        course = context.get("course")
        if not course:
            raise CourseNotFound("找不到此課程", "course not found")
        if not context.get("takes"):
            raise Forbidden("你沒有修這門課", "you do not take this course")
        return course, _deadlines(context.get("semester"), course["year"], course["term"]), context.get("student") or {}

    def deadlines(self, year: int, term: int) -> Deadlines:
        return _deadlines(self.records.get_semester(self.school, year, term), year, term)

    def current_term(self) -> tuple[int, int]:
        semester = self.records.current_semester(self.school)
        if not semester:
            raise no_semester_yet()
        return int(semester["year"]), int(semester["term"])

    def students_of_class(self, class_code: str) -> list[dict[str, Any]]:
        """Students of a class as {id (學號, the accounts' student_id), name, seat_no}."""
        return [
            {"id": s["student_id"], "name": s.get("name", ""), "seat_no": s.get("seat_no")}
            for s in self.records.students_of_class(self.school, class_code)
        ]

    def student(self, student_id: str) -> dict[str, Any]:
        return self.records.get_student(self.school, student_id) or {}

    def own_performance(self, student_id: str, performance_id: str) -> dict[str, Any] | None:
        """One of the student's 多元表現 (records owns them), or None."""
        items = self.records.performances_of_student(self.school, student_id)
        return next((p for p in items if p["id"] == performance_id), None)

    def annual_deadline(self, year: int) -> Deadlines:
        """Annual rosters (多元表現) close with the school year's last semester."""
        for term in (2, 1):
            if self.records.get_semester(self.school, year, term):
                return self.deadlines(year, term)
        raise no_semester_yet(year)

    def homeroom_classes(self, teacher_id: str) -> set[str]:
        return set(self.records.homeroom_classes(self.school, teacher_id))

    # evidence
    def own_evidence(self, student_id: str, evidence_ids: list[str]) -> list[dict[str, Any]]:
        """The described evidence, all stored and all the student's own, or BadEvidence naming each bad id."""
        found = {e["id"]: e for e in self.evidence.describe(evidence_ids, self.school)}
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

    def files(self, evidence_ids: list[str]) -> dict[str, dict[str, Any]]:
        """What a list shows of each file the caller may see (name, type, size), 500 ids a call."""
        ids = sorted(set(evidence_ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            for e in self.evidence.describe(ids[start : start + 500], self.school):
                found[e["id"]] = {k: e.get(k) for k in ("id", "filename", "content_type", "size")}
        return found

    def grant(self, evidence_ids: list[str], account_ids: list[str]) -> None:
        if account_ids:
            self.evidence.grant_access(evidence_ids, account_ids, self.school)

    def lock(self, evidence_ids: list[str]) -> None:
        self.evidence.lock(evidence_ids, "certified", self.school)
