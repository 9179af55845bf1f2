"""EvidenceService: upload forms, verification on complete, downloads, locking, and the registrar's
tools. Entrypoints only: parse, check, act, audit, emit. Bytes never pass through RPC."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nameko.events import EventDispatcher
from nameko.rpc import RpcProxy, rpc

from services.evidence import documents, domain, events, maintenance
from services.evidence.config import EvidenceConfig
from services.evidence.errors import (
    EvidenceLocked,
    EvidenceNotFound,
    StoreUnavailable,
    StudentArchived,
    UploadMissing,
    UploadNotFound,
    UploadRejected,
)
from services.evidence.schemas import (
    CompleteUpload,
    Described,
    Download,
    Evidence,
    GrantRequest,
    LockRequest,
    RequestUpload,
    State,
    UploadForm,
)
from services.evidence.storage import Storage, StorageProvider
from services.evidence.store import EvidenceStore
from shared.archived import ArchiveListener
from shared.caller import Caller
from shared.changes import ChangesMixin
from shared.clock import utcnow
from shared.errors import Conflict, ValidationFailed
from shared.guardians import child_of
from shared.mongo import StoreProvider
from shared.permissions import Permission, require
from shared.roles import Role
from shared.service_base import CallerProvider, HealthMixin
from shared.tenancy import acting_school
from shared.validation import parse

# Roles whose services may see any evidence's metadata in their school (certification, national upload,
# and the homeroom teacher's printed 勾選確認單, which lists each ticked file's name and digest).
_DESCRIBE_ALL = frozenset({Role.REGISTRAR, Role.TEACHER, Role.HOMEROOM})


def _view(doc: dict[str, Any]) -> dict[str, Any]:
    return Evidence.model_validate(
        {**doc, "id": doc["_id"], "previous_versions": len(doc.get("versions", [])), "lock_reason": doc.get("lock_reason")}
    ).model_dump(mode="json")


def _ids(values: Any) -> list[str]:
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


class EvidenceService(ChangesMixin, ArchiveListener, HealthMixin):
    name = "evidence"

    store: EvidenceStore = StoreProvider("evidence", EvidenceStore)
    storage: Storage = StorageProvider()
    caller: Caller | None = CallerProvider()
    dispatch = EventDispatcher()
    identity_for_parents = RpcProxy("identity")

    @property
    def config(self) -> EvidenceConfig:
        return self.storage.config

    def _storage(self) -> Storage:
        if not self.storage.ready:
            self.storage.ensure_bucket()
        return self.storage

    def _school(self, caller: Caller, school_id: str | None = None) -> str:
        """The caller's school; trusted internal callers without one (workers) name it."""
        return acting_school(caller, school_id)

    def _find(self, school_id: str, evidence_id: Any) -> dict[str, Any]:
        doc = self.store.find_evidence(school_id, evidence_id) if isinstance(evidence_id, str) else None
        if doc is None:
            raise EvidenceNotFound("找不到此檔案", "evidence not found")
        return doc

    def _readable(self, caller: Caller, evidence_id: Any) -> dict[str, Any]:
        doc = self._find(caller.require_school(), evidence_id)
        if not domain.can_read(caller, doc) or doc.get("state") == State.DELETED.value:
            raise EvidenceNotFound("找不到此檔案", "evidence not found")  # never 403 with data
        return doc

    # --- upload ---

    @rpc
    def request_upload(self, payload: dict) -> dict:
        caller = require(self.caller, Permission.SCHOOL_EVIDENCE_UPLOAD)
        school_id = caller.require_school()
        request = parse(RequestUpload, payload)
        base: dict[str, Any] | None = None
        if request.replaces:
            base = self._find(school_id, request.replaces)
            if not domain.can_change(caller, base) or base["state"] == State.DELETED.value:
                raise EvidenceNotFound("找不到此檔案", "evidence not found")
            domain.ensure_mutable(base)
            if base["purpose"] != request.purpose or base["kind"] != request.kind:
                raise ValidationFailed("替換檔案的用途與類別須與原檔相同", "a replacement keeps the purpose and kind")
        purpose = domain.check_purpose(caller, request.purpose, request.kind)
        student_id = base["student_id"] if base else domain.upload_student(caller, purpose, request.student_id)
        self._refuse_archived(school_id, student_id)
        file_type = domain.check_file(request.kind, request.content_type, request.filename, request.size)
        if student_id and base is None:
            domain.check_quota(self.config.quota, *self.store.usage(school_id, student_id), request.size)
        upload_id = domain.new_id()
        key = base["key"] if base else domain.object_key(school_id, student_id, upload_id)
        expires_at = utcnow() + timedelta(seconds=self.config.form_seconds)
        url, fields = self.storage.upload_form(key, request.size, expires_at)
        self.store.insert_upload(
            {
                "_id": upload_id,
                "school_id": school_id,
                "student_id": student_id,
                "purpose": request.purpose,
                "kind": request.kind.value,
                "filename": domain.clean_filename(request.filename),
                "content_type": file_type.content_type,
                "size": request.size,
                "sha256": request.sha256,
                "key": key,
                "replaces": request.replaces,
                "base_version": base["version_id"] if base else None,
                "created_by": caller.user_id,
                "created_at": utcnow(),
                "expires_at": expires_at,
            }
        )
        return UploadForm(upload_id=upload_id, url=url, fields=fields, key=key, max_size=request.size, expires_at=expires_at).model_dump(
            mode="json"
        )

    @rpc
    def complete_upload(self, upload_id: str, payload: dict | None = None) -> dict:
        caller = require(self.caller, Permission.SCHOOL_EVIDENCE_UPLOAD)
        school_id = caller.require_school()
        request = parse(CompleteUpload, payload or {})
        upload = self.store.find_upload(school_id, upload_id) if isinstance(upload_id, str) else None
        if upload is None or upload["created_by"] != caller.user_id:
            done = self.store.find_by_upload(school_id, upload_id) if isinstance(upload_id, str) else None
            if done is not None and done["uploaded_by"] == caller.user_id:
                return _view(done)  # completing twice returns the same record
            raise UploadNotFound("找不到此上傳作業，請重新上傳", "upload not found")
        self._refuse_archived(school_id, upload.get("student_id"))
        storage = self._storage()
        seen = storage.inspect(upload["key"])  # size, version, leading bytes, SHA-256
        if seen is None or (upload.get("base_version") and seen.info.version_id == upload["base_version"]):
            raise UploadMissing("尚未收到檔案內容，請先上傳檔案再按完成", "no object has been uploaded for this form yet")
        info, digest = seen.info, seen.sha256
        problem = domain.verify_object(upload["content_type"], upload["size"], info.size, seen.head)
        declared = request.sha256 or upload.get("sha256")
        if problem is None and seen.bytes_read != upload["size"]:
            problem = "讀取的檔案長度與紀錄不符|the bytes read differ from the stored size"
        elif problem is None and declared and declared != digest:
            problem = "檔案內容與上傳者提供的 SHA-256 不符（檔案可能遭竄改）|the SHA-256 differs from the declared one (tampered?)"
        if problem is not None:
            storage.remove_version(upload["key"], info.version_id)
            self.changes.record(school_id, caller, "evidence.rejected", upload_id, note=problem.split("|")[-1])
            zh, _, en = problem.partition("|")
            raise UploadRejected(zh, en)
        doc = self._record(caller, school_id, upload, info.version_id, digest)
        self.store.delete_upload(school_id, upload_id)
        self.dispatch(
            events.STORED,
            {
                "school_id": school_id,
                "evidence_id": doc["_id"],
                "student_id": doc["student_id"],
                "purpose": doc["purpose"],
                "kind": doc["kind"],
                "sha256": doc["sha256"],
                "size": doc["size"],
                "content_type": doc["content_type"],
                "version_id": doc["version_id"],
                "replaced": bool(upload.get("replaces")),
            },
        )
        return _view(doc)

    def _record(self, caller: Caller, school_id: str, upload: dict[str, Any], version_id: str | None, digest: str | None) -> dict[str, Any]:
        now = utcnow()
        current = {
            "filename": upload["filename"],
            "content_type": upload["content_type"],
            "size": upload["size"],
            "sha256": digest,
            "version_id": version_id,
            "upload_id": upload["_id"],
            "stored_at": now,
        }
        if upload.get("replaces"):
            before = self._find(school_id, upload["replaces"])
            previous = {k: before.get(k) for k in ("filename", "content_type", "size", "sha256", "version_id", "upload_id", "stored_at")}
            after = self.store.replace_version(school_id, before["_id"], current, previous)
            if after is None:  # locked (or deleted) while the replacement was uploading
                self.storage.remove_version(upload["key"], version_id)
                raise EvidenceLocked("此檔案已認證或已提交，不可替換", "the evidence was locked before the replacement completed")
            self.changes.record(school_id, caller, "evidence.replace", before["_id"], before=previous, after=current)
            return after
        doc = {
            "_id": domain.new_id(),
            "school_id": school_id,
            "student_id": upload["student_id"],
            "purpose": upload["purpose"],
            "kind": upload["kind"],
            "key": upload["key"],
            "state": State.STORED.value,
            "uploaded_by": caller.user_id,
            "grants": [],
            "versions": [],
            "created_at": now,
            **current,
        }
        stored = self.store.insert_evidence(doc)
        if stored["_id"] == doc["_id"]:
            self.changes.record(school_id, caller, "evidence.store", doc["_id"], after={k: v for k, v in doc.items() if k != "grants"})
        return stored

    # --- reading ---

    @rpc
    def get_evidence(self, evidence_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_EVIDENCE_READ)
        return _view(self._readable(caller, evidence_id))

    @rpc
    def list_evidence(self, student_id: str | None = None) -> list[dict]:
        """Students see their own; the registrar sees a named student's or all; others what they uploaded or were granted."""
        caller = require(self.caller, Permission.SCHOOL_EVIDENCE_READ)
        school_id = caller.require_school()
        if caller.roles & domain.READ_ALL_ROLES:
            docs = self.store.list_evidence(school_id, student_id=student_id if isinstance(student_id, str) else None)
        elif Role.STUDENT in caller.roles and caller.student_id:
            docs = self.store.list_evidence(school_id, student_id=caller.student_id)
        else:
            docs = self.store.list_evidence(school_id, uploaded_by=caller.user_id)
        return [_view(d) for d in docs if domain.can_read(caller, d)]

    @rpc
    def download(self, evidence_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_EVIDENCE_READ)
        doc = self._readable(caller, evidence_id)
        seconds = self.config.download_seconds
        name = domain.download_name(doc["filename"], doc["content_type"])
        url = self._storage().download_url(doc["key"], doc["version_id"], name, doc["content_type"], seconds=seconds)
        self.changes.record(doc["school_id"], caller, "evidence.download", doc["_id"])
        return Download(
            url=url, filename=name, content_type=doc["content_type"], expires_at=utcnow() + timedelta(seconds=seconds)
        ).model_dump(mode="json")

    # --- changes by the owner ---

    @rpc
    def delete_evidence(self, evidence_id: str) -> None:
        caller = require(self.caller, Permission.SCHOOL_EVIDENCE_UPLOAD)
        school_id = caller.require_school()
        doc = self._find(school_id, evidence_id)
        if not domain.can_change(caller, doc) or doc["state"] == State.DELETED.value:
            raise EvidenceNotFound("找不到此檔案", "evidence not found")
        self._refuse_archived(school_id, doc.get("student_id"))
        domain.ensure_mutable(doc)
        if self.store.mark_deleted(school_id, doc["_id"], utcnow()) is None:
            domain.ensure_mutable(self._find(school_id, evidence_id))
            raise EvidenceNotFound("找不到此檔案", "evidence not found")
        self._storage().hide(doc["key"])  # a delete marker: every version stays in the store
        event = (events.DELETED, {"school_id": school_id, "evidence_id": doc["_id"], "student_id": doc["student_id"]})
        self.changes.record(school_id, caller, "evidence.delete", doc["_id"], before={"state": doc["state"]}, event=event)

    # --- for other services (certification, national upload) ---

    @rpc
    def describe(self, ids: list[str], school_id: str | None = None) -> list[dict]:
        """Metadata of the given evidence the caller may see; unknown and other schools' ids are absent."""
        caller = require(self.caller, Permission.SCHOOL_EVIDENCE_DESCRIBE)
        school = self._school(caller, school_id)
        docs = self.store.find_many(school, _ids(ids)[:500])
        wide = caller.school_id is None or bool(caller.roles & _DESCRIBE_ALL)
        return [
            Described.model_validate({**d, "id": d["_id"], "lock_reason": d.get("lock_reason")}).model_dump(mode="json")
            for d in docs
            if wide or domain.can_read(caller, d)
        ]

    @rpc
    def child_files(self, student_id: str, ids: list[str] | None) -> list[dict]:
        """Metadata (name, digest) of a parent's child's files among `ids` (None: all of them); others are absent."""
        _, school, student_id = child_of(self.caller, self.identity_for_parents, student_id)
        docs = self.store.of_students(school, [student_id]) if ids is None else self.store.find_many(school, _ids(ids)[:500])
        return [
            Described.model_validate({**d, "id": d["_id"], "lock_reason": d.get("lock_reason")}).model_dump(mode="json")
            for d in docs
            if d.get("student_id") == student_id and d.get("state") != State.DELETED.value
        ]

    @rpc
    def fetch_url(self, school_id: str, evidence_id: str) -> dict:
        """A short presigned GET of the stored bytes, for the national upload workers (system caller)."""
        caller = require(self.caller, Permission.SCHOOL_NATIONAL_UPLOAD)
        school = self._school(caller, school_id)
        doc = self._find(school, evidence_id)
        url = self._storage().download_url(doc["key"], doc["version_id"], doc["filename"], doc["content_type"], seconds=300)
        return {"url": url, "sha256": doc["sha256"], "size": doc["size"]}

    @rpc
    def fetch_urls(self, school_id: str, evidence_ids: list[str]) -> dict[str, dict]:
        """fetch_url for up to 200 files in one call: a worker's threads ask together, one RPC hop for all.
        Unknown ids are absent. Each is looked up by itself: with FerretDB a `$in` would decode every
        evidence record of the school, a lookup by _id only scans."""
        caller = require(self.caller, Permission.SCHOOL_NATIONAL_UPLOAD)
        school = self._school(caller, school_id)
        storage = self._storage()
        urls: dict[str, dict] = {}
        for evidence_id in dict.fromkeys(_ids(evidence_ids)[:200]):
            doc = self.store.find_evidence(school, evidence_id)
            if doc is not None:
                url = storage.download_url(doc["key"], doc["version_id"], doc["filename"], doc["content_type"], seconds=300)
                urls[evidence_id] = {"url": url, "sha256": doc["sha256"], "size": doc["size"]}
        return urls

    @rpc
    def lock(self, ids: list[str], reason: str, school_id: str | None = None) -> dict:
        """Certified or submitted: immutable here at once, and under the store's legal hold.

        The service-side rule holds even when the store is down; a missing hold is reported
        (`store_hold: false`) and set later by reconcile --repair.
        """
        caller = require(self.caller, Permission.SCHOOL_EVIDENCE_LOCK)
        school = self._school(caller, school_id)
        request = parse(LockRequest, {"ids": _ids(ids) if isinstance(ids, list) else ids, "reason": reason})
        now = utcnow()
        locked, missing = [], []
        for evidence_id in dict.fromkeys(request.ids):
            doc = self.store.mark_locked(school, evidence_id, request.reason.value, now)
            if doc is None:
                missing.append(evidence_id)
                continue
            held = bool(doc.get("store_hold"))
            if not held:
                try:
                    self._storage().hold(doc["key"], doc["version_id"])
                    self.store.set_held(school, evidence_id, True)
                    held = True
                except StoreUnavailable:
                    held = False
            event = (events.LOCKED, {"school_id": school, "evidence_id": evidence_id, "reason": request.reason.value})
            self.changes.record(school, caller, "evidence.lock", evidence_id, note=request.reason.value, event=event)
            locked.append({"id": evidence_id, "sha256": doc["sha256"], "store_hold": held})
        return {"locked": locked, "not_found": missing}

    @rpc
    def grant_access(self, ids: list[str], account_ids: list[str], school_id: str | None = None) -> dict:
        """Lets accounts (a certifying teacher, the homeroom teacher) download the given evidence.

        A student may grant access to their own evidence (the certification service calls this
        when the student submits it to a teacher); staff roles may grant any in their school.
        """
        caller = require(self.caller, Permission.SCHOOL_EVIDENCE_GRANT)
        school = self._school(caller, school_id)
        request = parse(GrantRequest, {"ids": ids, "account_ids": account_ids})
        granted, missing = [], []
        for evidence_id in dict.fromkeys(request.ids):
            doc = self.store.find_evidence(school, evidence_id)
            staff = caller.school_id is None or bool(caller.roles - {Role.STUDENT})
            if doc is None or not (staff or domain.can_change(caller, doc)):
                missing.append(evidence_id)
                continue
            self.store.add_grants(school, evidence_id, request.account_ids)
            self.changes.record(school, caller, "evidence.grant", evidence_id, note=",".join(request.account_ids))
            granted.append(evidence_id)
        return {"granted": granted, "not_found": missing}

    # --- archive: records announces who left; their files are read-only, then purged ---

    def _refuse_archived(self, school_id: str, student_id: str | None) -> None:
        if self.store.archived.contains(school_id, student_id):
            raise StudentArchived(f"學號 {student_id} 已離校，檔案已封存唯讀", f"student {student_id} is archived (read-only)")

    def _archive_school(self, permission: Permission, school_id: str) -> str:
        caller = require(self.caller, permission)
        school = self._school(caller, school_id)
        if school != school_id:
            raise EvidenceNotFound("找不到此學校的檔案", "not your school")
        return school

    @rpc
    def files_of_student(self, school_id: str, student_id: str) -> list[dict]:
        """Every live file of one student with a short download link (the registrar's portfolio download)."""
        school = self._archive_school(Permission.SCHOOL_ARCHIVE_READ, school_id)
        docs = [d for d in self.store.of_students(school, [student_id]) if d.get("state") != State.DELETED.value]
        seconds = self.config.download_seconds
        out = []
        for doc in docs:
            url = self._storage().download_url(doc["key"], doc["version_id"], doc["filename"], doc["content_type"], seconds=seconds)
            out.append({**_view(doc), "url": url})
        if docs:
            self.changes.record(school, self.caller, "evidence.portfolio_download", student_id, note=f"{len(docs)} files")
        return out

    @rpc
    def purge_students(self, school_id: str, student_ids: list[str], dry_run: bool = True) -> dict:
        """Retention purge: every object version of the students' files, then their records (objects first,
        so a purge stopped halfway leaves records that a second run finds and finishes)."""
        school = self._archive_school(Permission.SCHOOL_ARCHIVE_PURGE, school_id)
        wanted = sorted({s for s in student_ids if isinstance(s, str) and s})
        docs = self.store.of_students(school, wanted)
        archived = self.store.archived.among(school, wanted)
        live = sorted({d["student_id"] for d in docs} - archived)
        if live:
            raise Conflict("未封存的學生不能清除：" + "、".join(live[:20]), "not archived, cannot purge: " + ", ".join(live[:20]))
        storage = self._storage()
        prefixes = tuple(domain.student_prefix(school, s) for s in wanted)
        # a whole year leaving: one listing of the school beats one listing per student
        listed = storage.versions(f"{school}/") if len(wanted) > 20 else [v for p in prefixes for v in storage.versions(p)]
        found = [v for v in listed if v.key.startswith(prefixes)]
        held = {(d["key"], d.get("version_id")) for d in docs if d.get("store_hold")}
        objects = storage.purge(found, held, bool(dry_run))
        counts = self.store.purge(school, wanted, bool(dry_run))
        return {"service": "evidence", "counts": {**counts, **objects}, "dry_run": bool(dry_run)}

    # --- the registrar's tools ---

    @rpc
    def sweep(self) -> dict:
        caller = require(self.caller, Permission.SCHOOL_EVIDENCE_ADMIN)
        school_id = caller.require_school()
        report = maintenance.sweep(self.store, self._storage(), school_id, utcnow(), self.config)
        self.changes.record(school_id, caller, "evidence.sweep", school_id, note=f"{report.expired_uploads} expired")
        return report.model_dump(mode="json")

    @rpc
    def reconcile(self, repair: bool = False) -> dict:
        caller = require(self.caller, Permission.SCHOOL_EVIDENCE_ADMIN)
        school_id = caller.require_school()
        report = maintenance.reconcile(self.store, self._storage(), school_id, utcnow(), self.config, repair=bool(repair))
        self.changes.record(school_id, caller, "evidence.reconcile", school_id, note=f"repair={bool(repair)}")
        return report.model_dump(mode="json")

    @rpc
    def scrub(self, limit: int = 0) -> dict:
        caller = require(self.caller, Permission.SCHOOL_EVIDENCE_ADMIN)
        school_id = caller.require_school()
        if not isinstance(limit, int) or limit < 0:
            raise ValidationFailed("limit 須為非負整數", "limit must be a non-negative integer")
        report = maintenance.scrub(self.store, self._storage(), school_id, utcnow(), limit=limit)
        self.changes.record(school_id, caller, "evidence.scrub", school_id, note=f"{len(report.mismatches)} mismatches")
        return report.model_dump(mode="json")

    @rpc
    def health(self) -> dict:  # the database and the store both answer
        result = super().health()
        try:
            self._storage().ping()
            result["store"] = True
        except StoreUnavailable:
            result["store"] = False
        return result

    # --- generated documents (the documents service names them; same school only) ---

    @rpc
    def document_upload_form(self, name: str, size: int) -> dict:
        caller = require(self.caller, Permission.SELF_ACCOUNT_READ)
        return documents.upload_form(self._storage(), caller.require_school(), name, size)

    @rpc
    def document_download(self, name: str, filename: str) -> dict:
        caller = require(self.caller, Permission.SELF_ACCOUNT_READ)
        url = documents.download_url(self._storage(), caller.require_school(), name, filename, self.config.download_seconds)
        if url is None:
            raise EvidenceNotFound("找不到此文件", "document not found")
        return {"url": url}
