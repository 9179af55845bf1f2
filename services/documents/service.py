"""DocumentsService: the PDFs people print, sign and hand in, in zh-TW.

A student's own documents come back at once (a few pages); a class's 確認單 is a job: the request
stores it and announces it, a worker of this service builds it off the request path as the same
requester (the event carries their context_data), reports progress, and keeps the file in the
evidence bucket; the download checks the job is the caller's.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import requests
from nameko.events import EventDispatcher, event_handler
from nameko.rpc import RpcProxy, rpc

from services.documents import confirmation, progress, receipts, render
from services.documents.errors import JobNotFound, JobNotReady
from services.documents.gather import Peers
from services.documents.store import DocumentsStore
from services.working_group.domain import CANDIDATE_KINDS_ZH
from shared.caller import Caller
from shared.clock import utcnow
from shared.errors import LichengError, NotFound, ValidationFailed
from shared.mongo import StoreProvider
from shared.permissions import Permission, require
from shared.service_base import CallerProvider, HealthMixin

JOB_QUEUED = "job_queued"


def _pdf(data: bytes, filename: str, **extra: Any) -> dict:
    return {"pdf": base64.b64encode(data).decode(), "filename": filename, "bytes": len(data), **extra}


def _job_view(doc: dict[str, Any]) -> dict:
    return {
        "id": doc["_id"],
        "kind": doc["kind"],
        "title": doc["title"],
        "state": doc["state"],
        "done": doc.get("done", 0),
        "total": doc.get("total", 0),
        "error": doc.get("error"),
        "bytes": doc.get("bytes"),
        "created_at": doc["created_at"].isoformat(),
        "finished_at": doc["finished_at"].isoformat() if doc.get("finished_at") else None,
    }


class DocumentsService(HealthMixin):
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
        return _pdf(data, f"勾選確認單-{year}-{term}-{caller.student_id}.pdf", version=sheet["version"])

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
        job = {
            "_id": uuid.uuid4().hex,
            "kind": "class_confirmations",
            "title": f"{class_code} 班勾選確認單（{year} 學年度第 {term} 學期）",
            "params": {"class_code": class_code, "year": year, "term": term},
            "state": "queued",
            "done": 0,
            "total": 0,
            "requested_by": caller.user_id,
            "created_at": utcnow(),
        }
        self.store.insert_job(caller.school_id, job)
        self.dispatch(JOB_QUEUED, {"school_id": caller.school_id, "job_id": job["_id"]})
        return _job_view(job)

    @rpc
    def job(self, job_id: str) -> dict:
        return _job_view(self._own_job(job_id))

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
            filename = f"勾選確認單-{job['params']['class_code']}-{job['params']['year']}-{job['params']['term']}.pdf"
            self.store.update_job(
                school, job["_id"], {"state": "done", "object": name, "filename": filename, "bytes": len(data), "finished_at": utcnow()}
            )
        except LichengError as exc:
            self.store.update_job(school, job["_id"], {"state": "failed", "error": exc.detail or exc.title, "finished_at": utcnow()})
        except Exception:
            self.store.update_job(school, job["_id"], {"state": "failed", "error": "產生文件時發生錯誤，請重試", "finished_at": utcnow()})
            raise

    def _class_confirmations(self, caller: Caller, job: dict[str, Any]) -> bytes:
        params = job["params"]
        peers = self._peers(caller)
        _, sheets, head = peers.class_sheets(params["class_code"], params["year"], params["term"])
        self.store.update_job(caller.school_id, job["_id"], {"total": len(sheets)})
        numbered = []
        for n, sheet in enumerate(sheets, start=1):
            numbered.append(self._numbered(caller.school_id, sheet))
            if n % 5 == 0:
                self.store.update_job(caller.school_id, job["_id"], {"done": n})
        data = render.pdf("confirmation.html", title="勾選確認單", school_name=head["school_name"], sheets=numbered, printed_at=utcnow())
        self.store.update_job(caller.school_id, job["_id"], {"done": len(sheets)})
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
        return _pdf(pdf, f"班級進度-{class_code}-{year}-{term}.pdf")

    # --- 收訖明細 ---

    @rpc
    def my_receipts(self) -> dict:
        """The calling student's 收訖明細, readable: code names, 民國 dates, file titles for digests."""
        caller = require(self.caller, Permission.SELF_RECEIPT_CONFIRM)
        if not caller.student_id:
            raise NotFound("此帳號未連結學生資料", "this account is not linked to a student record")
        entries = self.national_upload.my_receipts()
        files = {e["sha256"]: e["filename"] for e in self.evidence.list_evidence()}
        return self._receipts_pdf(caller, caller.student_id, entries, files)

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
        return self._receipts_pdf(caller, student_id, entries, files, student)

    def _receipts_pdf(self, caller: Caller, student_id: str, entries, files, student=None) -> dict:
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
        return _pdf(data, f"收訖明細-{student_id}.pdf", entries=len(shown))

    # --- 工作小組: minutes, sign-in sheets, the 敘獎 list ---

    @rpc
    def meeting_minutes(self, meeting_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_WORKING_GROUP_READ)
        meeting = self.working_group.get_meeting(meeting_id)
        members = {m["id"]: m for m in self.working_group.list_members()}
        attendees = [members[i] for i in meeting["attendee_ids"] if i in members]
        serving = self.working_group.list_members(meeting["held_on"])
        absent = [m for m in serving if m["id"] not in set(meeting["attendee_ids"])]
        attachments = [e["filename"] for e in self.evidence.describe(meeting.get("attachment_ids", []), caller.school_id)]
        chair = members.get(meeting["chair_id"], {})
        data = render.pdf(
            "minutes.html",
            title="工作小組會議紀錄",
            school_name=self._peers(caller).letterhead()["school_name"],
            m=meeting,
            chair=f"{chair.get('position_name', '')} {chair.get('name', '')}".strip(),
            attendees=attendees,
            absent=absent,
            attachments=attachments,
        )
        return _pdf(data, f"工作小組會議紀錄-{meeting['held_on']}.pdf")

    @rpc
    def training_signin(self, training_id: str) -> dict:
        """The sign-in sheet to print before a session: everyone who should attend, a line each to sign."""
        caller = require(self.caller, Permission.SCHOOL_TRAININGS_READ)
        training = self.working_group.get_training(training_id)
        people = self.working_group.trainees(training_id)
        parents = training["kind"] not in ("student_training", "teacher_workshop")
        students = training["kind"] == "student_training"
        data = render.pdf(
            "signin.html",
            title=f"{training['kind_name']}簽到表",
            school_name=self._peers(caller).letterhead()["school_name"],
            t=training,
            people=[] if parents else sorted(people, key=lambda p: (p.get("class_code") or "", p.get("username") or "")),
            with_class=students,
            id_label="學號" if students else "帳號",
            blank_rows=30 if parents else 3,  # parents sign in by name: a sheet of empty lines
        )
        return _pdf(data, f"簽到表-{training['planned_on']}.pdf", people=0 if parents else len(people))

    @rpc
    def commendations(self, proposal_id: str) -> dict:
        """The 敘獎 list: the proposal's candidates, or once decided those the group approved with the award."""
        caller = require(self.caller, Permission.SCHOOL_WORKING_GROUP_READ)
        proposal = self.working_group.get_proposal(proposal_id)
        decided = proposal["status"] == "decided"
        candidates = [
            {**c, "kind_name": CANDIDATE_KINDS_ZH.get(c["kind"], c["kind"])}
            for c in proposal["candidates"]
            if not decided or c.get("approved")
        ]
        data = render.pdf(
            "commendations.html",
            title="敘獎名單",
            school_name=self._peers(caller).letterhead()["school_name"],
            p=proposal,
            status="工作小組議決通過" if decided else "提案（尚未議決）",
            decided=decided,
            candidates=candidates,
        )
        return _pdf(data, f"敘獎名單-{proposal['year']}-{proposal['term']}.pdf")

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
