"""DocumentsService: the PDFs people print, sign and hand in, in zh-TW.

Modules: confirmation.py (the 確認單's content and version), progress.py, receipts.py, portfolio.py
(rules, no I/O), gather.py (what other services are asked), render.py (WeasyPrint); the working group's
and the portfolio's entrypoints are mixins in working_group_documents.py and portfolio_entrypoints.py.

A student's own documents come back at once (a few pages); a class's 確認單 is a job: the request
stores it and announces it, a worker of this service builds it off the request path as the same
requester (the event carries their context_data), reports progress, and keeps the file in the
evidence bucket; the download checks the job is the caller's.
"""

from __future__ import annotations

import uuid
from typing import Any

import requests
from nameko.events import EventDispatcher, event_handler
from nameko.rpc import RpcProxy, rpc

from services.documents import confirmation, progress, receipts, render
from services.documents.errors import JobNotFound, JobNotReady
from services.documents.gather import Peers
from services.documents.parent_views import ParentViews
from services.documents.portfolio_entrypoints import PortfolioDocuments
from services.documents.store import DocumentsStore
from services.documents.views import job_view, pdf_result
from services.documents.working_group_documents import WorkingGroupDocuments
from shared.caller import Caller
from shared.clock import utcnow
from shared.errors import LichengError, NotFound, ValidationFailed
from shared.mongo import StoreProvider
from shared.permissions import Permission, require
from shared.service_base import CallerProvider, HealthMixin

JOB_QUEUED = "job_queued"


class DocumentsService(WorkingGroupDocuments, PortfolioDocuments, ParentViews, HealthMixin):
    name = "documents"

    store: DocumentsStore = StoreProvider("documents", DocumentsStore)
    warmup = render.Warmup()
    caller: Caller | None = CallerProvider()
    dispatch = EventDispatcher()
    records = RpcProxy("records")
    certification = RpcProxy("certification")
    evidence = RpcProxy("evidence")
    identity = RpcProxy("identity")
    national_upload = RpcProxy("national_upload")
    working_group = RpcProxy("working_group")

    def _peers(self, caller: Caller) -> Peers:
        return Peers(
            self.records,
            self.certification,
            self.evidence,
            self.identity,
            self.national_upload,
            self.working_group,
            caller.require_school(),
        )

    # --- 勾選確認單 ---

    @rpc
    def my_confirmation(self, year: int | None = None, term: int | None = None) -> dict:
        """The calling student's 確認單 as it stands now, numbered (same ticks, same version)."""
        caller = self._student()
        peers = self._peers(caller)
        year, term = peers.term(year, term)
        sheet, head = peers.own_sheet(caller.student_id, year, term)
        sheet = self._numbered(caller.school_id, sheet)
        data = render.pdf(
            "confirmation.html", title="勾選確認單", school_name=head["school_name"], sheets=[sheet], printed_at=sheet["printed_at"]
        )
        self.store.audit.record(caller.school_id, caller, "documents.confirmation", caller.student_id, note=f"v{sheet['version']}")
        return pdf_result(data, f"勾選確認單-{year}-{term}-{caller.student_id}.pdf", version=sheet["version"])

    @rpc
    def my_confirmation_status(self, year: int | None = None, term: int | None = None) -> dict:
        """Whether the student's last printed 確認單 still shows what is ticked now."""
        caller = self._student()
        peers = self._peers(caller)
        year, term = peers.term(year, term)
        sheet, _ = peers.own_sheet(caller.student_id, year, term)
        latest = self.store.latest_print(caller.school_id, caller.student_id, year, term)
        if latest is None:
            return {"year": year, "term": term, "printed": False, "stale": False, "version": None, "printed_at": None}
        return {
            "year": year,
            "term": term,
            "printed": True,
            "version": latest["version"],
            "printed_at": latest["last_printed_at"].isoformat(),
            "stale": latest["fingerprint"] != confirmation.fingerprint(sheet),
        }

    @rpc
    def start_class_confirmations(self, class_code: str, year: int | None = None, term: int | None = None) -> dict:
        """A job building every student's 確認單 of one class in one PDF (the 導師's own class; registrar any)."""
        caller = require(self.caller, Permission.SCHOOL_OUTCOMES_READ)
        if not isinstance(class_code, str) or not class_code:
            raise ValidationFailed("請選擇班級", "name a class")
        peers = self._peers(caller)
        year, term = peers.term(year, term)
        peers.certification.class_selection(class_code, year, term)  # refuses a class not the caller's, now
        title = f"{class_code} 班勾選確認單（{year} 學年度第 {term} 學期）"
        return self._queue(caller, "class_confirmations", title, {"class_codes": [class_code], "year": year, "term": term})

    @rpc
    def start_school_confirmations(self, year: int | None = None, term: int | None = None) -> dict:
        """The registrar's job: every class's 確認單 of the semester in one PDF, class by class."""
        caller = require(self.caller, Permission.SCHOOL_SELECTION_LOCK)
        peers = self._peers(caller)
        year, term = peers.term(year, term)
        classes = peers.records.list_records("classes", {"year": year}, 1, 500)["items"]
        codes = sorted(c["code"] for c in classes)
        title = f"全校勾選確認單（{year} 學年度第 {term} 學期，{len(codes)} 班）"
        return self._queue(caller, "school_confirmations", title, {"class_codes": codes, "year": year, "term": term})

    def _queue(self, caller: Caller, kind: str, title: str, params: dict[str, Any]) -> dict:
        """The job is stored first and then announced, so the page can show it queued at once."""
        job = {
            "_id": uuid.uuid4().hex,
            "kind": kind,
            "title": title,
            "params": params,
            "state": "queued",
            "done": 0,
            "total": 0,
            "requested_by": caller.user_id,
            "created_at": utcnow(),
        }
        self.store.insert_job(caller.school_id, job)
        self.dispatch(JOB_QUEUED, {"school_id": caller.school_id, "job_id": job["_id"]})
        return job_view(job)

    @rpc
    def job(self, job_id: str) -> dict:
        return job_view(self._own_job(job_id))

    @rpc
    def job_download(self, job_id: str) -> dict:
        job = self._own_job(job_id)
        if job["state"] != "done":
            raise JobNotReady("文件尚未產生完成，請稍候", "the document is not ready yet")
        return self.evidence.document_download(job["object"], job["filename"])

    @event_handler("documents", JOB_QUEUED)
    def run_job(self, payload: dict) -> None:
        """Runs as the requester (their context_data came with the event): the same narrowing as the page."""
        caller = self.caller
        school = payload.get("school_id")
        if caller is None or caller.school_id != school:
            return
        job = self.store.get_job(school, payload.get("job_id", ""))
        if job is None or job["state"] != "queued":
            return  # a redelivery of a job already running or finished
        self.store.update_job(school, job["_id"], {"state": "running", "started_at": utcnow()})
        try:
            data = self._class_confirmations(caller, job)
            name = f"{job['kind'].replace('_', '-')}-{job['_id']}.pdf"
            self._keep(name, data)
            params = job["params"]
            scope = params["class_codes"][0] if job["kind"] == "class_confirmations" else "全校"
            filename = f"勾選確認單-{scope}-{params['year']}-{params['term']}.pdf"
            self.store.update_job(
                school, job["_id"], {"state": "done", "object": name, "filename": filename, "bytes": len(data), "finished_at": utcnow()}
            )
        except LichengError as exc:
            self.store.update_job(school, job["_id"], {"state": "failed", "error": exc.detail or exc.title, "finished_at": utcnow()})
        except Exception:
            self.store.update_job(school, job["_id"], {"state": "failed", "error": "產生文件時發生錯誤，請重試", "finished_at": utcnow()})
            raise

    def _class_confirmations(self, caller: Caller, job: dict[str, Any]) -> bytes:
        """Every student's sheet of the job's classes, numbered as printed; progress as students are done."""
        params = job["params"]
        peers = self._peers(caller)
        classes = [peers.class_sheets(code, params["year"], params["term"]) for code in params["class_codes"]]
        total = sum(len(sheets) for _, sheets, _ in classes)
        self.store.update_job(caller.school_id, job["_id"], {"total": total})
        numbered: list[dict[str, Any]] = []
        for _, sheets, _ in classes:
            for sheet in sheets:
                numbered.append(self._numbered(caller.school_id, sheet))
                if len(numbered) % 5 == 0:
                    self.store.update_job(caller.school_id, job["_id"], {"done": len(numbered)})
        school_name = classes[0][2]["school_name"] if classes else peers.letterhead()["school_name"]
        data = render.pdf("confirmation.html", title="勾選確認單", school_name=school_name, sheets=numbered, printed_at=utcnow())
        self.store.update_job(caller.school_id, job["_id"], {"done": total})
        return data

    def _keep(self, name: str, data: bytes) -> None:
        """Into the evidence bucket by a presigned form (bytes never travel over RPC to the store)."""
        form = self.evidence.document_upload_form(name, len(data))
        response = requests.post(form["url"], data=form["fields"], files={"file": (name, data, "application/pdf")}, timeout=60)
        if response.status_code >= 300:
            raise RuntimeError(f"the object store refused the document: {response.status_code}")

    def _numbered(self, school: str, sheet: dict[str, Any]) -> dict[str, Any]:
        now = utcnow()
        printed = self.store.record_print(
            school, sheet["student"]["id"], sheet["year"], sheet["term"], confirmation.fingerprint(sheet), now
        )
        return {**sheet, "version": printed["version"], "printed_at": now}

    # --- 班級進度 ---

    @rpc
    def class_progress(self, class_code: str, year: int | None = None, term: int | None = None) -> dict:
        """One page per class: per student uploaded, certified, ticked and missing."""
        caller = require(self.caller, Permission.SCHOOL_OUTCOMES_READ)
        peers = self._peers(caller)
        year, term = peers.term(year, term)
        data = peers.certification.class_selection(class_code, year, term)
        rows, totals = progress.rows(data["students"])
        head = peers.letterhead()
        pdf = render.pdf(
            "class_progress.html",
            title="班級進度",
            school_name=head["school_name"],
            class_code=class_code,
            year=year,
            term=term,
            rows=rows,
            totals=totals,
            locked=data["locked"],
            printed_at=utcnow(),
        )
        return pdf_result(pdf, f"班級進度-{class_code}-{year}-{term}.pdf")

    # --- 收訖明細 ---

    @rpc
    def my_receipts(self) -> dict:
        """The calling student's 收訖明細, readable: code names, 民國 dates, file titles for digests."""
        caller = require(self.caller, Permission.SELF_RECEIPT_CONFIRM)
        if not caller.student_id:
            raise NotFound("此帳號未連結學生資料", "this account is not linked to a student record")
        entries = self.national_upload.my_receipts()
        files = {e["sha256"]: e["filename"] for e in self.evidence.list_evidence()}
        return self._receiptspdf_result(caller, caller.student_id, entries, files)

    @rpc
    def student_receipts(self, student_id: str) -> dict:
        """The registrar prints one student's 收訖明細 (a student of another school is not found)."""
        caller = require(self.caller, Permission.SCHOOL_NATIONAL_UPLOAD)
        peers = self._peers(caller)
        student = peers.records.get_student(peers.school, student_id) if isinstance(student_id, str) else None
        if not student:
            raise NotFound("找不到此學生", "student not found")
        entries = self.national_upload.receipts_of_student(student_id)
        files = {e["sha256"]: e["filename"] for e in self.evidence.list_evidence(student_id)}
        return self._receiptspdf_result(caller, student_id, entries, files, student)

    def _receiptspdf_result(self, caller: Caller, student_id: str, entries, files, student=None) -> dict:
        peers = self._peers(caller)
        student = student or peers.records.get_student(peers.school, student_id) or {}
        head = peers.letterhead()
        shown = [{**e, "tables": receipts.tables(e, files)} for e in entries]
        data = render.pdf(
            "receipt.html",
            title="收訖明細",
            school_name=head["school_name"],
            student={"id": student_id, "name": student.get("name", ""), "class_code": student.get("class_code", "")},
            entries=shown,
            printed_at=utcnow(),
        )
        return pdf_result(data, f"收訖明細-{student_id}.pdf", entries=len(shown))

    # --- helpers ---

    def _student(self) -> Caller:
        caller = require(self.caller, Permission.SELF_OUTCOMES_READ)
        if not caller.student_id:
            raise NotFound("此帳號未連結學生資料", "this account is not linked to a student record")
        return caller

    def _own_job(self, job_id: str) -> dict[str, Any]:
        caller = require(self.caller, Permission.SELF_ACCOUNT_READ)
        job = self.store.get_job(caller.require_school(), job_id)
        if job is None or job["requested_by"] != caller.user_id:
            raise JobNotFound("找不到此文件產生作業", "no such document job of yours")
        return job
