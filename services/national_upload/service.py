"""NationalUploadService: the registrar's side of the upload queue (credentials, progress, dead letters).

The sending itself is done by the workers (`python -m services.national_upload.worker`) through the pika
work queue; this service only reads and writes the upload records and republishes retried items.
"""

from __future__ import annotations

import base64
import logging
from datetime import timedelta
from typing import Any

from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from services.national_upload import console
from services.national_upload.domain import FINAL_STATES, STATE_NAMES_ZH, ItemState, RetryPolicy, new_upload_id
from services.national_upload.errors import (
    DraftNotUsable,
    ItemNotDead,
    ItemNotFound,
    NoCredentials,
    NotPublishing,
    RosterFileNotFound,
    UploadNotFound,
)
from services.national_upload.pacing import publish_upload
from services.national_upload.preparation import Preparation, evidence_item, prepare, roster_item
from services.national_upload.publisher import Publisher
from services.national_upload.receipt_entrypoints import ReceiptEntrypoints
from services.national_upload.reconcile import republish_stalled
from services.national_upload.roster_checks import PHASES_ZH, RosterCheckEntrypoints, rules_or_422
from services.national_upload.rosters import EvidenceRef, RosterBuilder, TermInput, evidence_ids_of
from services.national_upload.schemas import (
    BATCH_LABELS,
    Credentials,
    PauseUploads,
    Progress,
    StartUpload,
    batch_deadline_list,
    batch_deadlines_text,
)
from services.national_upload.store import UploadStore
from services.records.contract import RecordsPeer
from shared.caller import Caller
from shared.changes import ChangesMixin
from shared.clock import utcnow
from shared.crypto import FieldCipher
from shared.logs import log_event
from shared.mongo import StoreProvider
from shared.permissions import Permission, require, require_system
from shared.roles import Role
from shared.service_base import BackgroundProvider, CallerProvider, HealthMixin, SettingsProvider
from shared.tenancy import acting_school
from shared.validation import parse

log = logging.getLogger("licheng.national_upload")
STALE_PUBLISH = timedelta(minutes=2)  # a publishing upload without a heartbeat this long is resumed


class NationalUploadService(RosterCheckEntrypoints, ReceiptEntrypoints, ChangesMixin, HealthMixin):
    name = "national_upload"

    store: UploadStore = StoreProvider("national_upload", UploadStore)
    caller: Caller | None = CallerProvider()
    settings = SettingsProvider()
    background = BackgroundProvider()
    records: RecordsPeer = RpcProxy("records")
    certification = RpcProxy("certification")
    evidence = RpcProxy("evidence")

    def _registrar(self) -> tuple[Caller, str]:
        caller = require(self.caller, Permission.SCHOOL_NATIONAL_UPLOAD)
        return caller, caller.require_school()

    @rpc
    def set_credentials(self, payload: dict) -> dict:
        """The school's credential for the national database, kept encrypted with the field key."""
        caller, school = self._registrar()
        request = parse(Credentials, payload)
        cipher = FieldCipher(self.settings.field_key)
        password = cipher.encrypt(request.receipt_password) if request.receipt_password else None
        self.store.set_credentials(school, cipher.encrypt(request.token), caller.user_id, password)
        self.changes.record(school, caller, "national.credentials", school)
        return {"configured": True}

    @rpc
    def list_uploads(self) -> list[dict]:
        _, school = self._registrar()
        return [self._progress(school, u) for u in self.store.list_uploads(school)]

    @rpc
    def upload_progress(self, upload_id: str, with_report: bool = False) -> dict:
        _, school = self._registrar()
        return self._progress(school, self._upload_or_404(school, upload_id), with_report=bool(with_report))

    @rpc
    def items(self, upload_id: str, state: str | None = None) -> list[dict]:
        """Items of an upload (e.g. the dead-lettered ones, with their reason), for the registrar's console."""
        _, school = self._registrar()
        if self.store.get_upload(school, upload_id) is None:
            raise UploadNotFound("找不到此上傳批次", "upload not found")
        return [_item_view(i) for i in self.store.items_of(school, upload_id, state if state in ItemState.__members__.values() else None)]

    @rpc
    def retry_item(self, item_id: str) -> dict:
        """A dead-lettered item goes back on the queue with fresh attempts and the same idempotency key."""
        caller, school = self._registrar()
        if not isinstance(item_id, str) or self.store.get_item(school, item_id) is None:
            raise ItemNotFound("找不到此上傳項目", "no such upload item")
        item = self.store.requeue(school, item_id)
        if item is None:
            raise ItemNotDead("只有無法送達的項目可以重送", "only dead-lettered items can be retried")
        policy = RetryPolicy.from_settings(self.settings.upload_retry_delays, self.settings.upload_max_attempts)
        with Publisher(self.settings.amqp_uri, policy) as publisher:
            publisher.enqueue({**item, "school_id": school})
        self.store.update_upload(school, item["upload_id"], {"settled": False})  # watched again (reconcile.py)
        self.changes.record(school, caller, "national.retry", item_id)
        return _item_view({**item, "state": ItemState.QUEUED.value})

    # ------------------------------------------------------------------ rosters and starting an upload

    @rpc
    def start_upload(self, payload: dict) -> dict:
        """Items on the work queue: evidence files first, rosters that refer to them after them."""
        caller, school = self._registrar()
        request = parse(StartUpload, payload)
        if self.store.credentials(school) is None:
            raise NoCredentials("尚未設定國教署上傳憑證", "set the national database credential first")
        if request.draft_id:
            upload = self.store.get_upload(school, request.draft_id)
            if (
                upload is None
                or upload.get("state") != "draft"
                or (upload["year"], upload["term"], upload.get("batch")) != (request.year, request.term, request.batch)
            ):
                raise DraftNotUsable("此名冊檢查結果已送出或不屬於此學期，請重新產生", "this draft was sent or is for another term")
        else:
            upload = self._prepare(caller, school, request.year, request.term, request.student_ids, request.batch)
        items = self._items_of_draft(school, upload)
        if upload.get("batch"):  # the 梯次 carries these students' 勾選: it may no longer change
            carried = sorted({s for i in items.values() for s in i.get("students") or ([i["student_id"]] if i.get("student_id") else [])})
            self.certification.lock_batch_selection(upload["year"], upload["batch"], carried)
            summary = {**(upload.get("batch_summary") or {}), "locked": True, "locked_students": len(carried)}
            self.store.update_upload(school, upload["_id"], {"batch_summary": summary})
            upload = {**upload, "batch_summary": summary}
        fresh_keys = set(items) - self.store.existing_keys(school, list(items))
        new_items = [item for key, item in items.items() if key in fresh_keys]
        if new_items:
            self.store.insert_items(school, [{**i, "state": ItemState.QUEUED.value, "attempts": 0} for i in new_items])
        fields = {"state": "publishing", "started_by": caller.user_id, "started_at": utcnow(), "published": 0, "cursor": ""}
        fields["reused"] = len(items) - len(new_items)
        self.store.update_upload(school, upload["_id"], fields)
        self.changes.record(school, caller, "national.upload.start", upload["_id"], note=f"{len(new_items)} items")
        self.background(lambda: self._publish(school, upload["_id"]))
        return self._progress(school, {**upload, **fields})

    @rpc
    def roster_files(self, upload_id: str) -> list[dict]:
        """The workbooks of a draft or upload (name, rows, SHA-256), for preview and download."""
        _, school = self._registrar()
        self._upload_or_404(school, upload_id)
        return [_file_view(f) for f in self.store.files_of(school, upload_id)]

    @rpc
    def roster_file(self, upload_id: str, code: int) -> dict:
        """One workbook's bytes (base64) with its name: the registrar downloads exactly what is sent."""
        _, school = self._registrar()
        self._upload_or_404(school, upload_id)
        doc = self.store.get_file(school, f"{upload_id}-r{int(code)}") if str(code).isdigit() else None
        if doc is None:
            raise RosterFileNotFound("找不到此名冊檔案", "roster file not found")
        return {**_file_view(doc), "data": base64.b64encode(bytes(doc["data"])).decode()}

    @rpc
    def term_outcome(self, school_id: str, year: int, term: int) -> dict:
        """What the national side holds of a term (for the working group's review): items by result."""
        school_id = acting_school(require(self.caller, Permission.SCHOOL_COMPLETION_READ), school_id)
        counts = self.store.term_counts(school_id, int(year), int(term))
        return {"total": sum(counts.values()), "accepted": counts["accepted"], "rejected": counts["rejected"], "dead": counts["dead"]}

    @rpc
    def resume_upload(self, upload_id: str) -> dict:
        """Queue the rest of an upload whose publishing was interrupted (the broker or this service went
        away); the timer below does the same by itself after two minutes without a heartbeat."""
        caller, school = self._registrar()
        upload = self._upload_or_404(school, upload_id)
        if upload.get("state") != "publishing":
            raise NotPublishing("此上傳批次已全部送入佇列", "this upload is fully queued already")
        self.changes.record(school, caller, "national.upload.resume", upload_id)
        self.background(lambda: self._publish(school, upload_id))
        return self._progress(school, upload)

    @timer(interval=60)
    def resume_interrupted_publishing(self) -> None:
        """A service that died while publishing leaves its upload 'publishing' without a heartbeat:
        publish the rest again (a message twice is harmless: the item is claimed once, the key is one)."""
        stale_before = utcnow() - STALE_PUBLISH
        for upload in self.store.uploads_in_state("publishing"):
            if (upload.get("heartbeat") or upload.get("started_at") or stale_before) < stale_before:
                # in the background: a paced upload publishes for as long as it is sent
                self.background(lambda u=upload: self._publish(u["school_id"], u["_id"]))

    @timer(interval=120)
    def republish_stalled_items(self) -> None:
        """Items whose message was lost are published again after ten minutes without moving (reconcile.py)."""
        policy = RetryPolicy.from_settings(self.settings.upload_retry_delays, self.settings.upload_max_attempts)
        try:
            with Publisher(self.settings.amqp_uri, policy) as publisher:
                count = republish_stalled(self.store, publisher, utcnow())
        except Exception as exc:  # the broker or the database away: the next round tries again
            log_event(log, "stalled items not republished", error=type(exc).__name__)
            return
        if count:
            log_event(log, "stalled items republished", items=count)

    def _prepare(
        self,
        caller: Caller,
        school: str,
        year: int,
        term: int,
        student_ids: list[str] | None,
        batch: int | None = None,
        checking: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Build and check the term's rosters into a draft: a new one, or the `checking` draft of a
        roster check job (roster_checks.py), which says each step as it goes."""

        def phase(name: str) -> None:
            if checking is not None:
                self.store.update_upload(school, checking["_id"], {"phase": name})

        rules = rules_or_422(year)
        phase("reading")
        data = self.records.roster_data(school, year, term)
        outcomes = self.certification.selected_outcomes(year, term)
        performance_ids = self.certification.selected_performances(year)
        ids = evidence_ids_of(outcomes, data.get("performances", []), performance_ids)
        described: dict[str, dict] = {}
        for start in range(0, len(ids), 500):
            described.update({d["id"]: d for d in self.evidence.describe(ids[start : start + 500], school)})
        only = frozenset(student_ids) if student_ids else None
        phase("building")
        builder = RosterBuilder(
            rules, TermInput(year, term, data, outcomes, performance_ids, described, only, school_code=school, batch=batch)
        )
        built = builder.build()
        students = {s["student_id"]: s for s in data.get("students", [])}
        now = utcnow()
        prepared: Preparation = prepare(rules, school, built, list(builder.evidence_refs.values()), students, now, builder.unknown_students)
        upload_id = checking["_id"] if checking else new_upload_id(year, term, now)
        phase("saving")
        for file in prepared.files:
            self.store.put_file(
                school,
                {
                    "_id": f"{upload_id}-r{file.code}",
                    "upload_id": upload_id,
                    "code": file.code,
                    "semester": file.semester,
                    "filename": file.filename,
                    "sha256": file.sha256,
                    "rows": file.rows,
                    "held_back": file.held_back,
                    "students": file.students,
                    "data": file.data,
                },
            )
        doc = {
            "_id": upload_id,
            "year": year,
            "term": term,
            "state": "draft",
            "created_at": checking["created_at"] if checking else now,
            "created_by": caller.user_id,
            "uploader": caller.display_name or caller.username,
            "only_students": sorted(only) if only else None,
            "batch": batch,
            "batch_summary": _batch_summary(rules, batch, prepared) if batch else None,
            "report": prepared.report,
            "evidence": [vars(ref) for ref in prepared.evidence],
        }
        if checking is None:
            self.store.insert_upload(school, doc)
        else:
            self.store.update_upload(school, upload_id, {**doc, "phase": "done", "finished_at": utcnow()})
        self.changes.record(school, caller, "national.rosters.prepare", upload_id)
        return {**doc, "school_id": school}

    def _items_of_draft(self, school: str, upload: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Idempotency key -> item; evidence first (their _id sorts before rosters': 'e' < 'r')."""
        year, term, upload_id = upload["year"], upload["term"], upload["_id"]
        items: dict[str, dict[str, Any]] = {}
        for ref in upload.get("evidence", []):
            item = evidence_item(school, year, term, upload_id, EvidenceRef(**ref))
            items[item["idempotency_key"]] = item
        for file in self.store.files_of(school, upload_id):
            if not file.get("rows"):
                continue  # nothing left to send (all held back): an empty roster would only blank the national copy
            item = roster_item(school, year, term, upload_id, file)
            item["uploader"] = upload.get("uploader", "")
            items[item["idempotency_key"]] = item
        return items

    def _publish(self, school: str, upload_id: str) -> None:
        """Publish the upload's items at the pace they are sent (pacing.py), then mark it sending."""
        policy = RetryPolicy.from_settings(self.settings.upload_retry_delays, self.settings.upload_max_attempts)
        try:
            with Publisher(self.settings.amqp_uri, policy) as publisher:
                done = publish_upload(self.store, publisher, school, upload_id, self.settings.upload_publish_window)
        except Exception as exc:  # the broker went away: the timer resumes from the cursor
            log_event(log, "publishing interrupted", upload=upload_id, error=type(exc).__name__)
            return
        if done:
            self.store.update_upload(school, upload_id, {"state": "sending", "published_at": utcnow()})

    # ------------------------------------------------------------------ receipts (收訖明細)

    def _upload_or_404(self, school: str, upload_id: Any) -> dict[str, Any]:
        upload = self.store.get_upload(school, upload_id) if isinstance(upload_id, str) else None
        if upload is None:
            raise UploadNotFound("找不到此上傳批次", "upload not found")
        return upload

    def _progress(self, school: str, upload: dict[str, Any], with_report: bool = False) -> dict:
        counts = self.store.progress(school, upload["_id"])
        total = sum(counts.values())
        done = total > 0 and sum(counts[s.value] for s in (*FINAL_STATES, ItemState.DEAD)) == total
        state = upload.get("state", "sending")
        if state == "sending" and upload.get("reused") and total == 0:
            done = True  # everything had been accepted before
        return Progress(
            upload_id=upload["_id"],
            year=upload["year"],
            term=upload["term"],
            total=total,
            counts=counts,
            done=done,
            state=state,
            published=upload.get("published", 0),
            report=upload.get("report") if with_report else _report_summary(upload.get("report")),
            batch=upload.get("batch"),
            batch_summary=upload.get("batch_summary"),
            created_at=upload.get("created_at"),
            phase=upload.get("phase"),
            phase_zh=PHASES_ZH.get(upload.get("phase") or ""),
            error=upload.get("error"),
        ).model_dump(mode="json")

    # deadline console
    @rpc
    def deadline_overview(self) -> dict:
        """Per school, the latest upload's progress, retries and dead letters; the work queue's depth and
        workers. The district admin sees every school that has uploaded; a registrar their own."""
        caller = require(self.caller, Permission.DISTRICT_UPLOAD_CONSOLE_READ)
        schools = self.store.schools_with_uploads() if caller.has(Role.DISTRICT_ADMIN) else [caller.require_school()]
        rows = []
        for school in schools:
            latest = self.store.latest_sent(school)  # a draft or a roster check is not an upload
            progress = self._progress(school, latest[0]) if latest else None
            retries = self.store.retries(school, latest[0]["_id"]) if latest else 0
            # the school's own 梯次 deadlines (records answers a school's own callers; the district row goes without)
            semester = self.records.current_semester(school) if caller.school_id == school else None
            row = console.school_row(school, progress, retries, self.store.is_paused(school), batch_deadlines_text(semester))
            rows.append({**row, "batch_deadline_list": batch_deadline_list(semester)})
        queue = console.queue_figures(self.settings.amqp_uri)
        queue["sending"] = sum(r.get("sending", 0) for r in rows)
        return {"schools": rows, "queue": queue}

    @rpc
    def set_paused(self, payload: dict) -> dict:
        """Pause or resume the school's sends (e.g. a wrong roster spotted mid-deadline); queued items wait."""
        caller, school = self._registrar()
        paused = parse(PauseUploads, payload).paused
        self.store.set_paused(school, paused, caller.user_id)
        self.changes.record(school, caller, "national.pause" if paused else "national.resume", school)
        return {"school_id": school, "paused": paused}

    # reminders by e-mail

    @rpc
    def reminder_figures(self, school_id: str) -> dict:
        """Receipts students have not answered (with their deadline), and the school's alarms: uploads
        paused, items dead-lettered. For the reminders service's daily plan only."""
        require_system(self.caller, "plans reminders")
        pending = [{"student_id": e["student_id"], "deadline": e["deadline"].isoformat()} for e in self.store.pending_entries(school_id)]
        return {"pending_receipts": pending, "paused": self.store.is_paused(school_id), "dead": self.store.dead_items(school_id)}


def _batch_summary(rules: Any, batch: int, prepared: Preparation) -> dict[str, Any]:
    """What a 高三 梯次 carries, for the registrar to read before starting it: its name, every roster
    of the 梯次 (those without rows too, so an empty one is seen), and how many grade-3 students
    have rows in it (their 勾選 is locked once it is started)."""
    codes = sorted(rules.batch_rosters(batch).values())
    rows = {f.code: f.rows for f in prepared.files}
    carried = {s for f in prepared.files for s in f.students}
    return {
        "batch": batch,
        "label": BATCH_LABELS.get(batch, f"第 {batch} 梯次"),
        "rosters": [{"code": c, "name": rules.roster(c).name, "rows": rows.get(c, 0)} for c in codes],
        "students": len(carried),
        "locked": False,
    }


def _file_view(doc: dict[str, Any]) -> dict:
    return {
        "code": doc["code"],
        "semester": doc["semester"],
        "filename": doc["filename"],
        "sha256": doc["sha256"],
        "rows": doc.get("rows", 0),
        "held_back": doc.get("held_back", 0),
    }


def _report_summary(report: dict[str, Any] | None) -> dict | None:
    if not report:
        return None
    return {k: report[k] for k in ("ok", "rosters", "evidence_files", "held_back_rows") if k in report} | {
        "students_with_problems": len(report.get("students", []))
    }


def _item_view(item: dict[str, Any]) -> dict:
    return {
        "id": item["_id"],
        "roster": item.get("roster"),
        "kind": item.get("kind"),
        "student_id": item.get("student_id"),
        "state": item["state"],
        "state_zh": STATE_NAMES_ZH.get(ItemState(item["state"]), item["state"]),
        "attempts": item.get("attempts", 0),
        "detail": item.get("detail"),
        "reasons": item.get("reasons", []),
    }
