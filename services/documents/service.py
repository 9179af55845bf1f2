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

from services.documents import confirmation, portfolio, progress, receipts, render
from services.documents.dates import roc_long
from services.documents.errors import BadPortfolio, JobNotFound, JobNotReady, PortfolioOverCap
from services.documents.gather import Peers
from services.documents.portfolio_rules import rules_for_year
from services.documents.store import DocumentsStore
from services.working_group.domain import CANDIDATE_KINDS_ZH
from shared.caller import Caller
from shared.clock import utcnow
from shared.errors import LichengError, NotFound, ValidationFailed, field_error
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
            "params": {"class_codes": [class_code], "year": year, "term": term},
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
    def start_school_confirmations(self, year: int | None = None, term: int | None = None) -> dict:
        """The registrar's job: every class's 確認單 of the semester in one PDF, class by class."""
        caller = require(self.caller, Permission.SCHOOL_SELECTION_LOCK)
        peers = self._peers(caller)
        year, term = peers.term(year, term)
        classes = peers.records.list_records("classes", {"year": year}, 1, 500)["items"]
        codes = sorted(c["code"] for c in classes)
        job = {
            "_id": uuid.uuid4().hex,
            "kind": "school_confirmations",
            "title": f"全校勾選確認單（{year} 學年度第 {term} 學期，{len(codes)} 班）",
            "params": {"class_codes": codes, "year": year, "term": term},
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

    # --- the portfolio PDF (自行上傳PDF) ---

    @rpc
    def portfolio_rules(self, year: int | None = None) -> dict:
        require(self.caller, Permission.SELF_OUTCOMES_READ)
        return rules_for_year(year).view()

    @rpc
    def my_portfolio_texts(self) -> dict:
        caller = self._student()
        doc = self.store.get_texts(caller.school_id, caller.student_id) or {}
        return {
            "statement": doc.get("statement", ""),
            "synthesis": doc.get("synthesis", ""),
            "synthesis_image_ids": doc.get("synthesis_image_ids", []),
        }

    @rpc
    def save_portfolio_texts(self, payload: dict) -> dict:
        """學習歷程自述 and 多元表現綜整心得 within the limits of the rules data (characters, images)."""
        caller = self._student()
        rules = rules_for_year(None)
        body = payload if isinstance(payload, dict) else {}
        statement, synthesis, images = body.get("statement", ""), body.get("synthesis", ""), body.get("synthesis_image_ids", [])
        errors = []
        if not isinstance(statement, str) or len(statement) > rules.statement_max_chars.value:
            errors.append(
                field_error(
                    "statement", f"{rules.statement_max_chars.label}", f"at most {rules.statement_max_chars.value} characters", "too_long"
                )
            )
        if not isinstance(synthesis, str) or len(synthesis) > rules.synthesis_max_chars.value:
            errors.append(
                field_error(
                    "synthesis", f"{rules.synthesis_max_chars.label}", f"at most {rules.synthesis_max_chars.value} characters", "too_long"
                )
            )
        if not isinstance(images, list) or len(images) > rules.synthesis_max_images.value or not all(isinstance(i, str) for i in images):
            errors.append(
                field_error(
                    "synthesis_image_ids",
                    rules.synthesis_max_images.label,
                    f"at most {rules.synthesis_max_images.value} images",
                    "too_many",
                )
            )
        elif images:
            own = {e["id"]: e for e in self.evidence.describe(images, caller.school_id) if e.get("student_id") == caller.student_id}
            for n, image in enumerate(images):
                if image not in own or not own[image]["content_type"].startswith("image/"):
                    errors.append(field_error(f"synthesis_image_ids.{n}", "找不到你的這張圖片", "not one of your images", "unknown_image"))
        if errors:
            raise BadPortfolio("自述或心得超過限制，請修正標示的欄位", "the texts are over their limits", errors)
        changes = {"statement": statement, "synthesis": synthesis, "synthesis_image_ids": images, "updated_at": utcnow()}
        self.store.save_texts(caller.school_id, caller.student_id, changes)
        return {k: v for k, v in changes.items() if k != "updated_at"}

    @rpc
    def build_portfolio(self, payload: dict) -> dict:
        """The chosen certified outcomes and performances, in the student's order, as one PDF within the caps."""
        caller = self._student()
        peers = self._peers(caller)
        rules = rules_for_year(None)
        chosen = (payload or {}).get("items") if isinstance(payload, dict) else None
        if not isinstance(chosen, list) or not chosen or not all(isinstance(c, dict) for c in chosen):
            raise BadPortfolio(
                "請至少選擇一項", "choose at least one item", [field_error("items", "請至少選擇一項", "choose at least one item", "empty")]
            )
        items = [self._portfolio_item(caller, peers, n, c) for n, c in enumerate(chosen)]
        counts = {k: sum(1 for c in chosen if c.get("kind") == k) for k in ("outcome", "performance")}
        errors = []
        if counts["outcome"] > rules.max_outcomes.value:
            errors.append(field_error("items", rules.max_outcomes.label, f"at most {rules.max_outcomes.value} outcomes", "too_many"))
        if counts["performance"] > rules.max_performances.value:
            errors.append(
                field_error("items", rules.max_performances.label, f"at most {rules.max_performances.value} performances", "too_many")
            )
        if errors:
            raise BadPortfolio("選擇的項目超過上限", "too many items", errors)
        items = [portfolio.prepare(i, rules) for i in items]
        texts = self.my_portfolio_texts()
        synthesis_images = []
        for evidence_id in texts["synthesis_image_ids"]:
            content_type, data, _ = self._evidence_bytes(evidence_id)
            scaled, mime, _ = portfolio.scale_image(data, rules)
            synthesis_images.append(f"data:{mime};base64,{base64.b64encode(scaled).decode()}")
        try:
            portfolio.check_caps(items, rules, sum(len(s) for s in synthesis_images))
        except portfolio.OverCap as over:
            raise PortfolioOverCap(
                "；".join(p["message"] for p in over.problems),
                "the portfolio is over the caps: " + "; ".join(p["message"] for p in over.problems),
                [
                    field_error(f"items.{p['index']}" if p["index"] is not None else "items", p["message"], p["message"], "over_cap")
                    for p in over.problems
                ],
            ) from None
        student = peers.records.get_student(peers.school, caller.student_id) or {}
        cover = {
            "school_name": peers.letterhead()["school_name"],
            "student": {"name": student.get("name", ""), "class_code": student.get("class_code", "")},
            "items": items,
            "statement": texts["statement"],
            "synthesis": texts["synthesis"],
            "synthesis_images": synthesis_images,
            "printed_at": utcnow(),
        }
        data = portfolio.assemble(cover, items, rules)
        if len(data) > rules.program_max_bytes.value:  # the layout's own bytes tipped it over: say so, never hand it out
            raise PortfolioOverCap(
                f"合成後 {portfolio.mb(len(data))}，超過{rules.program_max_bytes.label}，請移除一項後再試",
                "the assembled file is over the cap",
                [field_error("items", rules.program_max_bytes.label, "over the cap", "over_cap")],
            )
        job = {
            "_id": uuid.uuid4().hex,
            "kind": "portfolio",
            "title": "學習歷程檔案（自行上傳PDF）",
            "params": {"items": chosen},
            "state": "done",
            "done": len(items),
            "total": len(items),
            "requested_by": caller.user_id,
            "created_at": utcnow(),
            "finished_at": utcnow(),
            "bytes": len(data),
        }
        name = f"portfolio-{job['_id']}.pdf"
        self._keep(name, data)
        self.store.insert_job(caller.school_id, {**job, "object": name, "filename": f"學習歷程檔案-{caller.student_id}.pdf"})
        return {
            **_job_view(job),
            "compressed": [c for i in items for c in i.compressed],
            "limits": {"item_max_bytes": rules.item_max_bytes.value, "program_max_bytes": rules.program_max_bytes.value},
        }

    def _portfolio_item(self, caller: Caller, peers: Peers, n: int, choice: dict) -> portfolio.Item:
        kind, item_id = choice.get("kind"), choice.get("id")
        missing = BadPortfolio(
            "找不到選擇的項目",
            "an item is not found",
            [field_error(f"items.{n}", "找不到此項目，或尚未認證", "not found or not certified", "unknown_item")],
        )
        if not isinstance(item_id, str):
            raise missing
        if kind == "outcome":
            try:
                outcome = self.certification.get_outcome(item_id)
            except NotFound:
                raise missing from None
            if outcome["student_id"] != caller.student_id or outcome["state"] != "certified":
                raise missing
            lines = [
                f"{outcome['year']} 學年度第 {outcome['term']} 學期　{outcome['course_name']}",
                f"成果簡述：{outcome['summary']}",
                f"認證日期：{roc_long(confirmation.certified_on(outcome))}",
            ]
            title, evidence_ids = f"課程學習成果：{outcome['course_name']}（{outcome['summary'][:20]}）", outcome["evidence_ids"]
        elif kind == "performance":
            found = next((p for p in peers.records.performances_of_student(peers.school, caller.student_id) if p["id"] == item_id), None)
            if found is None:
                raise missing
            title = f"多元表現：{confirmation.category_name(found.get('category'))}"
            lines, evidence_ids = [f"{found.get('year')} 學年度", f"內容簡述：{found.get('summary', '')}"], found.get("evidence_ids", [])
        else:
            raise missing
        return portfolio.Item(kind=kind, title=title, lines=lines, files=[self._evidence_bytes(e) for e in evidence_ids])

    def _evidence_bytes(self, evidence_id: str) -> tuple[str, bytes, str]:
        link = self.evidence.download(evidence_id)
        response = requests.get(link["url"], timeout=60)
        response.raise_for_status()
        return link["content_type"], response.content, link["filename"]

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
