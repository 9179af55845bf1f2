"""What each document asks of the other services, in one place. Every call carries the requester's
context_data, so each service narrows to what the requester may see (own record, own class, own
school): a document can never list more than the pages do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.documents import confirmation


@dataclass
class Peers:
    records: Any
    certification: Any
    evidence: Any
    identity: Any
    national_upload: Any
    working_group: Any
    school: str

    def letterhead(self, staff_ids: list[str] | None = None) -> dict[str, Any]:
        return self.identity.letterhead(sorted(set(staff_ids or [])))

    def term(self, year: int | None, term: int | None) -> tuple[int, int]:
        if year is not None and term is not None:
            return int(year), int(term)
        semester = self.records.current_semester(self.school) or {}
        return int(semester.get("year") or 0), int(semester.get("term") or 0)

    def evidence_of(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {e["id"]: e for e in self.evidence.describe(ids, self.school)} if ids else {}

    def ticked_performances(self, student_id: str, year: int, ticked: list[str]) -> list[dict[str, Any]]:
        wanted = set(ticked)
        return [p for p in self.records.performances_of_student(self.school, student_id, year) if p["id"] in wanted]

    def own_sheet(self, student_id: str, year: int, term: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The calling student's sheet and the letterhead."""
        mine = self.certification.my_outcomes(year, term)
        ticked = self.certification.my_performance_selection(year)["selected"]
        performances = self.ticked_performances(student_id, year, ticked)
        student = self.records.get_student(self.school, student_id) or {"student_id": student_id}
        return self._sheet(student, mine["items"], performances, year, term)

    def class_sheets(self, class_code: str, year: int, term: int) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
        """The class as certification sees it for the caller (their own class or, registrar, any), each
        student's sheet, and the letterhead."""
        data = self.certification.class_selection(class_code, year, term)
        staff = [t for s in data["students"] for o in s["outcomes"] for t in o.get("teacher_ids", [])]
        head = self.letterhead(staff)
        sheets = []
        for s in data["students"]:
            performances = self.ticked_performances(s["id"], year, s["performance_ids"]) if s["performance_ids"] else []
            student = {"student_id": s["id"], "name": s.get("name", ""), "class_code": class_code, "seat_no": s.get("seat_no")}
            evidence = self.evidence_of(confirmation.evidence_ids(s["outcomes"], performances))
            sheets.append(confirmation.sheet(student, s["outcomes"], performances, evidence, head["names"], year, term))
        return data, sheets, head

    def _sheet(self, student, outcomes, performances, year, term) -> tuple[dict[str, Any], dict[str, Any]]:
        head = self.letterhead([t for o in outcomes for t in o.get("teacher_ids", [])])
        evidence = self.evidence_of(confirmation.evidence_ids(outcomes, performances))
        return confirmation.sheet(student, outcomes, performances, evidence, head["names"], year, term), head
