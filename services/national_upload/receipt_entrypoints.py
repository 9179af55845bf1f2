"""The 收訖明細 (national receipts) entrypoints of NationalUploadService: the registrar fetches or
imports each roster's receipt and reads the students' answers; a student confirms or reports each
entry within its window; the registrar prints a student's, and a parent reads its child's."""

from __future__ import annotations

import base64
from typing import Any

from nameko.rpc import RpcProxy, rpc

from services.national_upload.domain import ItemState
from services.national_upload.errors import ConfirmationClosed, NoCredentials, ReceiptEntryNotFound, ReceiptUnreadable
from services.national_upload.national_client import NationalClient
from services.national_upload.receipts import check_receipt, confirm_deadline
from services.national_upload.schemas import ReceiptAnswer
from shared.caller import Caller
from shared.clock import utcnow
from shared.crypto import FieldCipher
from shared.guardians import child_of
from shared.national.receipt import ReceiptError, open_receipt
from shared.national.rules import rules_for
from shared.permissions import Permission, require
from shared.validation import parse


class ReceiptEntrypoints:
    """Mixed into NationalUploadService (its store, settings, records, evidence, changes, `_registrar`, `_upload_or_404`)."""

    identity_for_parents = RpcProxy("identity")

    @rpc
    def fetch_receipts(self, upload_id: str) -> dict:
        """Fetch the receipt of every accepted roster of an upload from the national side and check it."""
        caller, school = self._registrar()
        upload = self._upload_or_404(school, upload_id)
        self._receipt_password(school)
        client = NationalClient(self.settings, self.store)
        fetched, failed = 0, []
        for item in self.store.items_of(school, upload_id, ItemState.ACCEPTED.value):
            if item.get("kind") != "roster" or not item.get("receipt_id"):
                continue
            try:
                data = client.fetch_receipt(school, item["receipt_id"])
            except Exception as exc:  # the national side is down or slow: say which, keep the others
                failed.append({"roster": item.get("roster"), "detail": type(exc).__name__})
                continue
            self._ingest_receipt(caller, school, upload, data)
            fetched += 1
        return {"fetched": fetched, "failed": failed, "receipts": self._receipts_view(school, upload_id)}

    @rpc
    def import_receipt(self, upload_id: str, data_b64: str) -> dict:
        """The registrar uploads a receipt ZIP downloaded from the national site."""
        caller, school = self._registrar()
        upload = self._upload_or_404(school, upload_id)
        try:
            data = base64.b64decode(data_b64 or "", validate=True)
        except ValueError:
            raise ReceiptUnreadable("收訖明細檔案無法讀取", "the receipt file cannot be read") from None
        return self._ingest_receipt(caller, school, upload, data)

    @rpc
    def receipts(self, upload_id: str) -> dict:
        """The registrar's view: each receipt's check, and the students' answers (reports first)."""
        _, school = self._registrar()
        self._upload_or_404(school, upload_id)
        entries = self.store.entries_of_upload(school, upload_id)
        counts = {state: sum(1 for e in entries if e["state"] == state) for state in ("pending", "confirmed", "reported")}
        reports = [_entry_view(e) for e in entries if e["state"] == "reported"]
        return {"receipts": self._receipts_view(school, upload_id), "answers": counts, "reports": reports}

    @rpc
    def my_receipts(self) -> list[dict]:
        """What the national side holds of the calling student, per roster, with the answer so far."""
        caller = require(self.caller, Permission.SELF_RECEIPT_CONFIRM)
        if not caller.student_id:
            return []
        return [_entry_view(e) for e in self.store.entries_of_student(caller.require_school(), caller.student_id)]

    @rpc
    def answer_receipt(self, entry_id: str, payload: dict) -> dict:
        """確認無誤 or 回報錯誤, within the confirmation window; the registrar sees the reports."""
        caller = require(self.caller, Permission.SELF_RECEIPT_CONFIRM)
        school = caller.require_school()
        entry = self.store.get_entry(school, entry_id) if isinstance(entry_id, str) else None
        if entry is None or entry["student_id"] != caller.student_id:
            raise ReceiptEntryNotFound("找不到此收訖明細", "receipt not found")
        request = parse(ReceiptAnswer, payload)
        if utcnow() > entry["deadline"]:
            raise ConfirmationClosed("收訖明細確認期限已過，請洽註冊組", "the confirmation window has closed")
        state = "confirmed" if request.answer == "confirm" else "reported"
        self.store.answer_entry(school, entry_id, state, request.message.strip())
        self.changes.record(school, caller, f"national.receipt.{state}", entry_id)
        return _entry_view({**entry, "state": state, "message": request.message.strip()})

    def _receipt_password(self, school: str) -> str:
        credentials = self.store.credentials(school) or {}
        if not credentials.get("receipt_password_enc"):
            raise NoCredentials("尚未設定收訖明細密碼", "set the receipt password with the national credential first")
        return FieldCipher(self.settings.field_key).decrypt(credentials["receipt_password_enc"])

    def _ingest_receipt(self, caller: Caller, school: str, upload: dict[str, Any], data: bytes) -> dict:
        password = self._receipt_password(school)
        try:
            receipt = open_receipt(data, password)
        except ReceiptError:
            raise ReceiptUnreadable(
                "收訖明細檔案無法開啟（密碼或檔案損毀）", "the receipt cannot be opened (password or damaged file)"
            ) from None
        files = {f["filename"]: f for f in self.store.files_of(school, upload["_id"])}
        sent_roster = next(((name, f["sha256"]) for name, f in files.items() if name in receipt.hashes), None)
        sent_evidence = {ref["sha256"]: ref["filename"] for ref in upload.get("evidence", [])}
        held = self._held_evidence(school, [ref["evidence_id"] for ref in upload.get("evidence", [])])
        students = {s["national_id"]: s["student_id"] for s in self.records.roster_students(school)}
        checked = check_receipt(receipt, sent_roster, sent_evidence, held, students)
        if sent_roster is None:
            checked.problems.append("收訖明細不屬於此上傳批次的任何名冊 / the receipt matches no roster of this upload")
        code = checked.roster_code or 0
        now = utcnow()
        deadline = confirm_deadline(checked.confirm_deadline, now, int(rules_for(upload["year"]).limit("receipt_check_min_days")))
        receipt_id = f"{upload['_id']}:{code}"
        doc = {
            "_id": receipt_id,
            "upload_id": upload["_id"],
            "roster": code,
            "verified": not checked.problems,
            "problems": checked.problems,
            "students": len(checked.students),
            "unknown_ids": checked.unknown_ids,
            "confirm_deadline": deadline,
            "imported_at": now,
            "imported_by": caller.user_id,
        }
        self.store.put_receipt(school, doc)
        if not checked.problems:  # students see only what was verified
            for student_id, records in checked.students.items():
                self.store.put_entry(
                    school,
                    {
                        "_id": f"{receipt_id}:{student_id}",
                        "upload_id": upload["_id"],
                        "roster": code,
                        "roster_name": rules_for(upload["year"]).roster(code).name if code else "",
                        "student_id": student_id,
                        "year": upload["year"],
                        "term": upload["term"],
                        "records": records,
                        "deadline": deadline,
                    },
                )
        self.changes.record(school, caller, "national.receipt.import", receipt_id, note="verified" if not checked.problems else "problems")
        return _receipt_view(doc)

    def _held_evidence(self, school: str, ids: list[str]) -> dict[str, str]:
        held: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            for described in self.evidence.describe(ids[start : start + 500], school):
                held[described["sha256"]] = described["sha256"]
        return held

    def _receipts_view(self, school: str, upload_id: str) -> list[dict]:
        return [_receipt_view(r) for r in self.store.receipts_of(school, upload_id)]

    # printed documents: the registrar prints a student's 收訖明細 for them to check and sign

    @rpc
    def receipts_of_student(self, student_id: str) -> list[dict]:
        """What the national side holds of one student of the registrar's school (as `my_receipts`)."""
        _, school = self._registrar()
        if not isinstance(student_id, str) or not student_id:
            return []
        return [_entry_view(e) for e in self.store.entries_of_student(school, student_id)]

    @rpc
    def child_receipts(self, student_id: str) -> list[dict]:
        """What the national side holds of a parent's child, with the child's answers (read only)."""
        _, school, student_id = child_of(self.caller, self.identity_for_parents, student_id)
        return [_entry_view(e) for e in self.store.entries_of_student(school, student_id)]


def _receipt_view(doc: dict[str, Any]) -> dict:
    return {
        "id": doc["_id"],
        "roster": doc["roster"],
        "verified": doc["verified"],
        "problems": doc["problems"],
        "students": doc["students"],
        "confirm_deadline": doc["confirm_deadline"].isoformat(),
        "imported_at": doc["imported_at"].isoformat(),
    }


def _entry_view(doc: dict[str, Any]) -> dict:
    return {
        "id": doc["_id"],
        "upload_id": doc["upload_id"],
        "roster": doc["roster"],
        "roster_name": doc.get("roster_name", ""),
        "student_id": doc["student_id"],
        "year": doc.get("year"),
        "term": doc.get("term"),
        "records": doc.get("records", []),
        "deadline": doc["deadline"].isoformat(),
        "state": doc["state"],
        "state_zh": {"pending": "待確認", "confirmed": "已確認無誤", "reported": "已回報錯誤"}.get(doc["state"], doc["state"]),
        "message": doc.get("message", ""),
    }
