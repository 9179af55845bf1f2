"""The registrar's tools: sweep abandoned uploads, reconcile store and records, scrub checksums.

Plain functions over the store and the storage, called by the service's RPCs and by the command
`python -m services.evidence.reconcile`. Each works on one school (a key prefix `{school}/`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.evidence.config import EvidenceConfig
from services.evidence.documents import is_document_key
from services.evidence.errors import StoreUnavailable
from services.evidence.schemas import ReconcileReport, ScrubReport, State, SweepReport
from services.evidence.storage import Storage
from services.evidence.store import EvidenceStore


def _known_versions(doc: dict[str, Any]) -> set[str | None]:
    return {doc.get("version_id"), *(v.get("version_id") for v in doc.get("versions", []))}


def sweep(store: EvidenceStore, storage: Storage, school_id: str, now: datetime, config: EvidenceConfig) -> SweepReport:
    """Uploads never completed: after their form expired plus a grace, their objects and intents go.

    For a replacement, only versions the evidence record does not know are removed.
    """
    expired = store.expired_uploads(school_id, now - timedelta(seconds=config.abandon_grace_seconds))
    removed, errors = 0, []
    for upload in expired:
        try:
            keep: set[str | None] = set()
            if upload.get("replaces"):
                doc = store.find_evidence(school_id, upload["replaces"])
                keep = _known_versions(doc) if doc else set()
            elif store.find_by_upload(school_id, upload["_id"]) is not None:
                keep = {None}  # completed after all: keep every version (reconcile reports extras)
            for info in storage.versions(upload["key"]):
                if info.key == upload["key"] and None not in keep and info.version_id not in keep:
                    storage.remove_version(info.key, info.version_id)
                    removed += 1
            store.delete_upload(school_id, upload["_id"])
        except StoreUnavailable as exc:
            errors.append(f"{upload['_id']}: {exc.detail_en}")
    return SweepReport(expired_uploads=len(expired) - len(errors), objects_removed=removed, errors=errors)


def reconcile(
    store: EvidenceStore, storage: Storage, school_id: str, now: datetime, config: EvidenceConfig, *, repair: bool
) -> ReconcileReport:
    """Objects without records and records without objects.

    Safe repairs (with repair=True): an orphan object older than the abandon grace with no open
    upload is removed (nothing ever acknowledged it); a locked record whose version lacks the
    store's legal hold gets it. A record whose object is missing is never "repaired" by deleting
    the record: it is reported for restore from backup.
    """
    records = store.all_evidence(school_id)
    by_key = {d["key"]: d for d in records}
    open_keys = {u["key"] for u in store.open_uploads(school_id)}
    versions = storage.versions(f"{school_id}/")
    present = {(v.key, v.version_id) for v in versions if not v.is_delete_marker}
    cutoff = now - timedelta(seconds=config.abandon_grace_seconds)

    orphans, repaired, attention = [], [], []
    for info in versions:
        if info.is_delete_marker or info.key in by_key or info.key in open_keys or is_document_key(info.key):
            continue  # generated documents have no evidence record of their own
        orphans.append(f"{info.key}@{info.version_id}")
        if repair and info.last_modified is not None and info.last_modified < cutoff:
            storage.remove_version(info.key, info.version_id)
            repaired.append(f"removed orphan {info.key}@{info.version_id}")

    missing = []
    for doc in records:
        if (doc["key"], doc.get("version_id")) not in present:
            missing.append(doc["_id"])
            attention.append(f"{doc['_id']}: object {doc['key']}@{doc.get('version_id')} is missing; restore it from backup")
            continue
        if doc.get("state") == State.LOCKED.value and not storage.is_held(doc["key"], doc.get("version_id")):
            if repair:
                storage.hold(doc["key"], doc.get("version_id"))
                store.set_held(school_id, doc["_id"], True)
                repaired.append(f"legal hold set on {doc['_id']}")
            else:
                attention.append(f"{doc['_id']}: locked but the store holds no legal hold")
    return ReconcileReport(objects_without_records=orphans, records_without_objects=missing, repaired=repaired, needs_attention=attention)


def scrub(store: EvidenceStore, storage: Storage, school_id: str, now: datetime, *, limit: int = 0) -> ScrubReport:
    """Re-reads every stored file (or the `limit` least recently checked) and compares its SHA-256."""
    records = [d for d in store.all_evidence(school_id) if d.get("state") in (State.STORED.value, State.LOCKED.value)]
    if limit:
        records = records[:limit]
    mismatches, missing, ok = [], [], 0
    for doc in records:
        if storage.stat(doc["key"], doc.get("version_id")) is None:
            missing.append(doc["_id"])
            store.record_scrub(school_id, doc["_id"], now, False)
            continue
        digest, size = storage.sha256(doc["key"], doc.get("version_id"))
        good = digest == doc["sha256"] and size == doc["size"]
        store.record_scrub(school_id, doc["_id"], now, good)
        if good:
            ok += 1
        else:
            mismatches.append(doc["_id"])
    return ScrubReport(checked=len(records), ok=ok, mismatches=mismatches, missing=missing)
