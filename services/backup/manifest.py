"""The manifest: what a backup holds and the digests that prove it (plain data, no I/O)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CollectionEntry:
    count: int
    digest: str  # SHA-256 over the BSON of every document, in _id order
    file: str
    indexes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ObjectEntry:
    bucket: str
    key: str
    version_id: str | None
    sha256: str
    size: int
    is_latest: bool
    last_modified: str
    file: str  # content-addressed path under the backup root (objects/<sha256>)
    legal_hold: bool = False


@dataclass
class BucketEntry:
    versioning: bool
    object_lock: bool


@dataclass
class Manifest:
    backup_id: str
    created_at: str
    db_prefix: str
    bucket_prefix: str
    databases: dict[str, dict[str, CollectionEntry]] = field(default_factory=dict)
    buckets: dict[str, BucketEntry] = field(default_factory=dict)
    objects: list[ObjectEntry] = field(default_factory=list)
    bytes_written: int = 0
    objects_reused: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        databases = {
            db: {name: CollectionEntry(**entry) for name, entry in collections.items()} for db, collections in data["databases"].items()
        }
        objects = [ObjectEntry(**o) for o in data["objects"]]
        buckets = {name: BucketEntry(**b) for name, b in data.get("buckets", {}).items()}
        rest = {k: v for k, v in data.items() if k not in {"databases", "objects", "buckets"}}
        return cls(databases=databases, objects=objects, buckets=buckets, **rest)

    def totals(self) -> dict[str, int]:
        return {
            "databases": len(self.databases),
            "collections": sum(len(c) for c in self.databases.values()),
            "documents": sum(e.count for c in self.databases.values() for e in c.values()),
            "objects": len(self.objects),
            "object_bytes": sum(o.size for o in self.objects),
        }


class DocumentDigest:
    """Count and SHA-256 of a stream of BSON-encoded documents."""

    def __init__(self) -> None:
        self.count = 0
        self._hash = hashlib.sha256()

    def add(self, encoded: bytes) -> None:
        self.count += 1
        self._hash.update(encoded)

    @property
    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def keep(manifests: list[dict[str, Any]], *, count: int, max_age_days: float, now_epoch: float) -> tuple[list[str], list[str]]:
    """Retention: keep the newest `count` backups and any younger than `max_age_days`; returns (kept, dropped) ids.

    `manifests` are dicts with `backup_id` and `created_epoch`, any order.
    """
    ordered = sorted(manifests, key=lambda m: m["created_epoch"], reverse=True)
    kept, dropped = [], []
    for index, entry in enumerate(ordered):
        young = now_epoch - entry["created_epoch"] <= max_age_days * 86400
        (kept if index < count or young else dropped).append(entry["backup_id"])
    return kept, dropped
