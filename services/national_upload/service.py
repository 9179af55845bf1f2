"""NationalUploadService: the registrar's side of the upload queue (credentials, progress, dead letters).

The sending itself is done by the workers (`python -m services.national_upload.worker`) through the pika
work queue; this service only reads and writes the upload records and republishes retried items.
"""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from services.national_upload import console
from services.national_upload.domain import FINAL_STATES, STATE_NAMES_ZH, ItemState, RetryPolicy
from services.national_upload.errors import ItemNotDead, UploadNotFound
from services.national_upload.publisher import Publisher
from services.national_upload.schemas import Credentials, PauseUploads, Progress
from services.national_upload.store import UploadStore
from shared.caller import Caller
from shared.crypto import FieldCipher
from shared.mongo import StoreProvider
from shared.permissions import Permission, require
from shared.roles import Role
from shared.service_base import CallerProvider, HealthMixin, SettingsProvider
from shared.validation import parse


class NationalUploadService(HealthMixin):
    name = "national_upload"

    store: UploadStore = StoreProvider("national_upload", UploadStore)
    caller: Caller | None = CallerProvider()
    settings = SettingsProvider()

    def _registrar(self) -> tuple[Caller, str]:
        caller = require(self.caller, Permission.SCHOOL_NATIONAL_UPLOAD)
        return caller, caller.require_school()

    @rpc
    def set_credentials(self, payload: dict) -> dict:
        """The school's credential for the national database, kept encrypted with the field key."""
        caller, school = self._registrar()
        token = parse(Credentials, payload).token
        self.store.set_credentials(school, FieldCipher(self.settings.field_key).encrypt(token), caller.user_id)
        self.store.audit.record(school, caller, "national.credentials", school)
        return {"configured": True}

    @rpc
    def list_uploads(self) -> list[dict]:
        _, school = self._registrar()
        return [self._progress(school, u) for u in self.store.list_uploads(school)]

    @rpc
    def upload_progress(self, upload_id: str) -> dict:
        _, school = self._registrar()
        upload = self.store.get_upload(school, upload_id) if isinstance(upload_id, str) else None
        if upload is None:
            raise UploadNotFound("找不到此上傳批次", "upload not found")
        return self._progress(school, upload)

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
        item = self.store.requeue(school, item_id) if isinstance(item_id, str) else None
        if item is None:
            raise ItemNotDead("只有無法送達的項目可以重送", "only dead-lettered items can be retried")
        policy = RetryPolicy.from_settings(self.settings.upload_retry_delays, self.settings.upload_max_attempts)
        with Publisher(self.settings.amqp_uri, policy) as publisher:
            publisher.enqueue({**item, "school_id": school})
        self.store.audit.record(school, caller, "national.retry", item_id)
        return _item_view({**item, "state": ItemState.QUEUED.value})

    def _progress(self, school: str, upload: dict[str, Any]) -> dict:
        counts = self.store.progress(school, upload["_id"])
        total = sum(counts.values())
        done = total > 0 and sum(counts[s.value] for s in (*FINAL_STATES, ItemState.DEAD)) == total
        return Progress(
            upload_id=upload["_id"], year=upload["year"], term=upload["term"], total=total, counts=counts, done=done
        ).model_dump(mode="json")

    # deadline console (issue 10)
    @rpc
    def deadline_overview(self) -> dict:
        """Per school, the latest upload's progress, retries and dead letters; the work queue's depth and
        workers. The district admin sees every school that has uploaded; a registrar their own."""
        caller = require(self.caller, Permission.DISTRICT_UPLOAD_CONSOLE_READ)
        schools = self.store.schools_with_uploads() if caller.has(Role.DISTRICT_ADMIN) else [caller.require_school()]
        rows = []
        for school in schools:
            latest = self.store.list_uploads(school, limit=1)
            progress = self._progress(school, latest[0]) if latest else None
            retries = self.store.retries(school, latest[0]["_id"]) if latest else 0
            rows.append(console.school_row(school, progress, retries, self.store.is_paused(school)))
        queue = console.queue_figures(self.settings.amqp_uri)
        queue["sending"] = sum(r.get("sending", 0) for r in rows)
        return {"schools": rows, "queue": queue}

    @rpc
    def set_paused(self, payload: dict) -> dict:
        """Pause or resume the school's sends (e.g. a wrong roster spotted mid-deadline); queued items wait."""
        caller, school = self._registrar()
        paused = parse(PauseUploads, payload).paused
        self.store.set_paused(school, paused, caller.user_id)
        self.store.audit.record(school, caller, "national.pause" if paused else "national.resume", school)
        return {"school_id": school, "paused": paused}


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
