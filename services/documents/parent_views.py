"""What a parent (家長) reads of a child, and the one thing it records: its 確認單 acknowledgement.

Entrypoints of DocumentsService (a mixin: it uses the service's dependencies). Each read is made as the
parent, naming the child: identity confirms the link (shared/guardians.py), and certification, evidence
and national_upload each confirm it again for what they own, so a student who is not the caller's child
is 404 everywhere. The 確認單 is the very sheet the student prints (confirmation.py), with the same
fingerprint and version; an acknowledgement records who, when and which version and fingerprint.
"""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from services.documents import confirmation, receipts, render
from services.documents.errors import ConfirmationChanged
from services.documents.gather import Peers
from services.documents.schemas import AcknowledgeConfirmation
from services.documents.views import pdf_result
from shared.caller import Caller
from shared.clock import utcnow
from shared.errors import no_semester_yet
from shared.guardians import child_of
from shared.permissions import Permission
from shared.validation import parse

STATES_ZH = {"draft": "草稿", "submitted": "待認證", "certified": "已認證", "returned": "已退回", "withdrawn": "已撤回"}


def _ack_view(doc: dict[str, Any], current: str) -> dict:
    return {
        "parent_name": doc.get("parent_name", ""),
        "at": doc["at"].isoformat(),
        "version": doc["version"],
        "fingerprint": doc["fingerprint"],
        "current": doc["fingerprint"] == current,
    }


class ParentViews:
    """Mixed into DocumentsService (store, caller, identity, certification, evidence, national_upload, `_peers`)."""

    def _child(self, student_id: Any, permission: Permission = Permission.CHILD_PORTFOLIO_READ) -> tuple[Caller, Peers, str]:
        caller, _, student_id = child_of(self.caller, self.identity, student_id, permission)
        return caller, self._peers(caller), student_id

    @staticmethod
    def _semester(peers: Peers, year: int | None, term: int | None) -> tuple[int, int]:
        year, term = peers.term(year, term)
        if not year or not term:
            raise no_semester_yet()
        return year, term

    @rpc
    def child_portfolio(self, student_id: str, year: int | None = None, term: int | None = None) -> dict:
        """The child's 課程學習成果 of a semester (state, 勾選, files) and 多元表現 of its academic year."""
        _, peers, student_id = self._child(student_id)
        year, term = self._semester(peers, year, term)
        data = self.certification.child_outcomes(student_id, year, term)
        ticked = set(data["performance_ids"])
        performances = peers.records.performances_of_student(peers.school, student_id, year)
        ids = confirmation.evidence_ids([{**o, "selected": True} for o in data["items"]], performances)
        files = {e["id"]: e for e in self.evidence.child_files(student_id, ids)} if ids else {}
        names = peers.letterhead([t for o in data["items"] for t in o.get("teacher_ids", [])])["names"]
        student = peers.records.get_student(peers.school, student_id) or {}
        return {
            "year": year,
            "term": term,
            "student": {"name": student.get("name", ""), "class_code": student.get("class_code", ""), "seat_no": student.get("seat_no")},
            "outcomes": [
                {
                    "course_name": o["course_name"],
                    "summary": o["summary"],
                    "state": o["state"],
                    "state_zh": STATES_ZH.get(o["state"], o["state"]),
                    "selected": o["selected"],
                    "teachers": "、".join(names.get(t, "") for t in o.get("teacher_ids", []) if names.get(t)),
                    "certified_on": confirmation.certified_on(o),
                    "files": confirmation.files_shown(o.get("evidence_ids", []), files),
                }
                for o in sorted(data["items"], key=lambda o: (o["course_name"], o["created_at"]))
                if o["state"] != "withdrawn"
            ],
            "performances": [
                {
                    "category": confirmation.category_name(p.get("category")),
                    "summary": p.get("summary", ""),
                    "term": p.get("term"),
                    "selected": p["id"] in ticked,
                    "files": confirmation.files_shown(p.get("evidence_ids", []), files),
                }
                for p in sorted(performances, key=lambda p: (str(p.get("category")), p.get("id", "")))
            ],
            "selected": data["selected"],
            "selection_cap": data["selection_cap"],
            "performances_selected": len(ticked),
            "performance_cap": data["performance_cap"],
        }

    def _child_sheet(self, peers: Peers, student_id: str, year: int, term: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The child's 確認單 as the child would print it now (the same content, the same fingerprint)."""
        data = self.certification.child_outcomes(student_id, year, term)
        ticked = set(data["performance_ids"])
        performances = [p for p in peers.records.performances_of_student(peers.school, student_id, year) if p["id"] in ticked]
        student = peers.records.get_student(peers.school, student_id) or {"student_id": student_id}
        head = peers.letterhead([t for o in data["items"] for t in o.get("teacher_ids", [])])
        ids = confirmation.evidence_ids(data["items"], performances)
        evidence = {e["id"]: e for e in self.evidence.child_files(student_id, ids)} if ids else {}
        return confirmation.sheet(student, data["items"], performances, evidence, head["names"], year, term), head

    @rpc
    def child_confirmation(self, student_id: str, year: int | None = None, term: int | None = None) -> dict:
        """The child's 確認單 to read on the page, numbered as printed, with the parents' acknowledgements."""
        _, peers, student_id = self._child(student_id)
        year, term = self._semester(peers, year, term)
        sheet, head = self._child_sheet(peers, student_id, year, term)
        current = confirmation.fingerprint(sheet)
        numbered = self._numbered(peers.school, sheet)
        acks = self.store.acknowledgements_of(peers.school, student_id, year, term)
        return {
            "school_name": head["school_name"],
            "sheet": {**numbered, "printed_at": numbered["printed_at"].isoformat()},
            "fingerprint": current,
            "acknowledgements": [_ack_view(a, current) for a in acks],
        }

    @rpc
    def child_confirmation_pdf(self, student_id: str, year: int | None = None, term: int | None = None) -> dict:
        caller, peers, student_id = self._child(student_id)
        year, term = self._semester(peers, year, term)
        sheet, head = self._child_sheet(peers, student_id, year, term)
        sheet = self._numbered(peers.school, sheet)
        data = render.pdf(
            "confirmation.html", title="勾選確認單", school_name=head["school_name"], sheets=[sheet], printed_at=sheet["printed_at"]
        )
        self.store.audit.record(peers.school, caller, "documents.child_confirmation", student_id, note=f"v{sheet['version']}")
        return pdf_result(data, f"勾選確認單-{year}-{term}-{student_id}.pdf", version=sheet["version"])

    @rpc
    def acknowledge_child_confirmation(self, student_id: str, payload: dict) -> dict:
        """The parent read this version of the sheet: who, when, which version and fingerprint (once per version)."""
        caller, peers, student_id = self._child(student_id, Permission.CHILD_CONFIRMATION_ACKNOWLEDGE)
        request = parse(AcknowledgeConfirmation, payload)
        sheet, _ = self._child_sheet(peers, student_id, request.year, request.term)
        current = confirmation.fingerprint(sheet)
        if current != request.fingerprint:
            raise ConfirmationChanged(
                "確認單內容已變更（勾選有更動），請重新檢視後再確認", "the sheet changed since it was shown: read it again"
            )
        numbered = self._numbered(peers.school, sheet)
        now = utcnow()
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # as MongoDB keeps it: a retry answers the same
        doc = {
            "_id": f"{peers.school}:{student_id}:{request.year}-{request.term}:{numbered['version']}:{caller.user_id}",
            "student_id": student_id,
            "year": request.year,
            "term": request.term,
            "version": numbered["version"],
            "fingerprint": current,
            "parent_id": caller.user_id,
            "parent_name": self.identity.me().get("display_name", ""),
            "at": now,
        }
        stored, new = self.store.acknowledge(peers.school, doc)
        if new:
            note = f"{request.year}-{request.term} v{doc['version']}"
            self.store.audit.record(peers.school, caller, "documents.confirmation_acknowledged", student_id, note=note)
        return _ack_view(stored, current)

    @rpc
    def child_receipts(self, student_id: str) -> list[dict]:
        """The child's 收訖明細 as people read them: code names, 民國 dates, files by title (read only)."""
        _, _, student_id = self._child(student_id)
        entries = self.national_upload.child_receipts(student_id)
        files = {e["sha256"]: e["filename"] for e in self.evidence.child_files(student_id, None)} if entries else {}
        return [
            {
                "roster_name": e["roster_name"],
                "year": e["year"],
                "term": e["term"],
                "deadline": e["deadline"],
                "state": e["state"],
                "state_zh": e["state_zh"],
                "tables": receipts.tables(e, files),
            }
            for e in entries
        ]
