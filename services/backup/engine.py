"""Backing up, verifying and restoring: databases as BSON dumps, object versions content-addressed.

Layout of a backup root (a directory; in production a mounted volume or a synced bucket):
    objects/<sha256>                   every object version's bytes, shared by all backups (incremental)
    <backup_id>/manifest.json          what the backup holds, with counts and digests
    <backup_id>/manifest.sha256        the manifest's own digest (a changed manifest is caught too)
    <backup_id>/mongo/<db>/<coll>.bson every document, in _id order

Databases are dumped before objects are listed: an evidence record is written only after its object,
so every record in the dump finds its object in the listing that follows.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bson
from minio import Minio
from minio.commonconfig import ENABLED
from minio.error import S3Error
from minio.versioningconfig import VersioningConfig
from pymongo import MongoClient

from services.backup.manifest import BucketEntry, CollectionEntry, DocumentDigest, Manifest, ObjectEntry
from shared.clock import utcnow

BACKUP_DB_SUFFIX = "backup"  # the backup service's own database (run records), never dumped
_CHUNK = 1024 * 1024


class BackupError(Exception):
    pass


def _db_names(client: MongoClient, prefix: str) -> list[str]:
    own = f"{prefix}_{BACKUP_DB_SUFFIX}"
    return sorted(n for n in client.list_database_names() if n.startswith(prefix + "_") and n != own)


def _buckets(s3: Minio, prefix: str, exclude: frozenset[str] = frozenset()) -> list[str]:
    return sorted(b.name for b in s3.list_buckets() if b.name.startswith(prefix) and b.name not in exclude)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _known_versions(root: Path) -> dict[tuple[str, str, str | None], str]:
    """(bucket, key, version) -> sha256 from earlier manifests, so unchanged versions are not fetched again."""
    known: dict[tuple[str, str, str | None], str] = {}
    for manifest_path in root.glob("*/manifest.json"):
        try:
            data = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for o in data.get("objects", []):
            if o.get("version_id"):
                known[(o["bucket"], o["key"], o["version_id"])] = o["sha256"]
    return known


# --- backup ---


def dump_databases(client: MongoClient, prefix: str, out: Path) -> dict[str, dict[str, CollectionEntry]]:
    databases: dict[str, dict[str, CollectionEntry]] = {}
    for db_name in _db_names(client, prefix):
        db = client[db_name]
        databases[db_name] = {}
        for coll_name in sorted(db.list_collection_names()):
            relative = f"mongo/{db_name}/{coll_name}.bson"
            path = out / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            digest = DocumentDigest()
            with path.open("wb") as handle:
                for doc in db[coll_name].find({}).sort("_id", 1):
                    encoded = bson.encode(doc)
                    digest.add(encoded)
                    handle.write(encoded)
            indexes = [
                {"name": name, "key": [list(k) for k in spec["key"]], "unique": bool(spec.get("unique", False))}
                for name, spec in db[coll_name].index_information().items()
                if name != "_id_"
            ]
            databases[db_name][coll_name] = CollectionEntry(digest.count, digest.hexdigest, relative, indexes)
    return databases


def _bucket_entry(s3: Minio, bucket: str) -> BucketEntry:
    versioning = s3.get_bucket_versioning(bucket).status == ENABLED
    try:
        object_lock = s3.get_object_lock_config(bucket) is not None
    except S3Error:
        object_lock = False
    return BucketEntry(versioning=versioning, object_lock=object_lock)


def _legal_hold(s3: Minio, bucket: str, key: str, version_id: str | None, enabled: bool) -> bool:
    if not enabled:
        return False
    try:
        return bool(s3.is_object_legal_hold_enabled(bucket, key, version_id=version_id))
    except S3Error:
        return False


def copy_objects(s3: Minio, prefix: str, root: Path, manifest: Manifest, exclude: frozenset[str] = frozenset()) -> None:
    known = _known_versions(root)
    store = root / "objects"
    store.mkdir(parents=True, exist_ok=True)
    for bucket in _buckets(s3, prefix, exclude):
        manifest.buckets[bucket] = _bucket_entry(s3, bucket)
        for item in s3.list_objects(bucket, recursive=True, include_version=True):
            if item.is_delete_marker:
                continue
            sha = known.get((bucket, item.object_name, item.version_id))
            if sha and (store / sha).exists():
                manifest.objects_reused += 1
            else:
                sha = _fetch(s3, bucket, item.object_name, item.version_id, store)
                manifest.bytes_written += item.size or 0
            manifest.objects.append(
                ObjectEntry(
                    bucket=bucket,
                    key=item.object_name,
                    version_id=item.version_id,
                    sha256=sha,
                    size=item.size or 0,
                    is_latest=str(item.is_latest).lower() == "true",  # the SDK passes the XML text through
                    last_modified=item.last_modified.isoformat() if item.last_modified else "",
                    file=f"objects/{sha}",
                    legal_hold=_legal_hold(s3, bucket, item.object_name, item.version_id, manifest.buckets[bucket].object_lock),
                )
            )


def _fetch(s3: Minio, bucket: str, key: str, version_id: str | None, store: Path) -> str:
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=store, delete=False) as tmp:
        response = s3.get_object(bucket, key, version_id=version_id)
        try:
            for chunk in response.stream(_CHUNK):
                digest.update(chunk)
                tmp.write(chunk)
        finally:
            response.close()
            response.release_conn()
    sha = digest.hexdigest()
    final = store / sha
    if final.exists():
        os.unlink(tmp.name)
    else:
        os.replace(tmp.name, final)
    return sha


def backup(
    client: MongoClient, s3: Minio, *, db_prefix: str, bucket_prefix: str, root: Path, exclude: frozenset[str] = frozenset()
) -> Manifest:
    """`exclude`: buckets never backed up (the backup bucket itself, when it shares the prefix)."""
    now = utcnow()
    backup_id = now.strftime("%Y%m%dT%H%M%S%fZ")
    out = root / backup_id
    out.mkdir(parents=True)
    manifest = Manifest(backup_id=backup_id, created_at=now.isoformat(), db_prefix=db_prefix, bucket_prefix=bucket_prefix)
    manifest.databases = dump_databases(client, db_prefix, out)
    copy_objects(s3, bucket_prefix, root, manifest, exclude)
    text = json.dumps(manifest.to_json(), ensure_ascii=False, indent=1)
    (out / "manifest.json").write_text(text, encoding="utf-8")
    (out / "manifest.sha256").write_text(hashlib.sha256(text.encode()).hexdigest(), encoding="utf-8")
    return manifest


# --- verification ---


@dataclass
class Report:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)


def load_manifest(root: Path, backup_id: str, report: Report | None = None) -> Manifest:
    folder = root / backup_id
    try:
        text = (folder / "manifest.json").read_text(encoding="utf-8")
        expected = (folder / "manifest.sha256").read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise BackupError(f"backup {backup_id} is missing or incomplete: {exc}") from None
    if hashlib.sha256(text.encode()).hexdigest() != expected:
        if report is None:
            raise BackupError(f"backup {backup_id}: the manifest does not match its digest")
        report.fail("manifest.json does not match manifest.sha256")
    try:
        return Manifest.from_json(json.loads(text))
    except (ValueError, TypeError, KeyError) as exc:
        raise BackupError(f"backup {backup_id}: the manifest cannot be read: {exc}") from None


def _read_dump(path: Path) -> DocumentDigest:
    digest = DocumentDigest()
    data = path.read_bytes()
    offset = 0
    while offset < len(data):
        size = int.from_bytes(data[offset : offset + 4], "little")
        if size < 5 or offset + size > len(data):
            raise BackupError(f"{path.name}: truncated or corrupt BSON at byte {offset}")
        chunk = data[offset : offset + size]
        bson.decode(chunk)  # raises on corrupt documents
        digest.add(chunk)
        offset += size
    return digest


def verify(root: Path, backup_id: str) -> Report:
    """Reads every file of the backup back and compares it with the manifest."""
    report = Report()
    try:
        manifest = load_manifest(root, backup_id, report)
    except BackupError as exc:
        report.fail(str(exc))
        return report
    documents = 0
    for db_name, collections in manifest.databases.items():
        for coll_name, entry in collections.items():
            try:
                digest = _read_dump(root / backup_id / entry.file)
            except (OSError, BackupError, bson.errors.BSONError) as exc:
                report.fail(f"{db_name}.{coll_name}: {exc}")
                continue
            documents += digest.count
            if digest.count != entry.count or digest.hexdigest != entry.digest:
                report.fail(f"{db_name}.{coll_name}: count or digest differs from the manifest")
    seen: dict[str, bool] = {}
    for o in manifest.objects:
        if o.sha256 not in seen:
            path = root / o.file
            seen[o.sha256] = path.exists() and _sha256_file(path) == o.sha256
        if not seen[o.sha256]:
            report.fail(f"object {o.bucket}/{o.key} ({o.version_id}): bytes missing or SHA-256 differs")
    report.checked = {"documents": documents, "objects": len(manifest.objects), "distinct_files": len(seen)}
    return report


# --- restore ---


def is_empty(client: MongoClient, s3: Minio, *, db_prefix: str, bucket_prefix: str) -> bool:
    for name in _db_names(client, db_prefix):
        if any(client[name][c].estimated_document_count() for c in client[name].list_collection_names()):
            return False
    return not any(next(iter(s3.list_objects(b, recursive=True)), None) for b in _buckets(s3, bucket_prefix))


def restore(
    client: MongoClient, s3: Minio, *, root: Path, backup_id: str, db_prefix: str, bucket_prefix: str, force: bool = False
) -> dict[str, Any]:
    """Restores a verified backup into this system's databases and buckets (renamed to its prefixes)."""
    report = verify(root, backup_id)
    if not report.ok:
        raise BackupError("the backup failed verification: " + "; ".join(report.problems[:5]))
    if not force and not is_empty(client, s3, db_prefix=db_prefix, bucket_prefix=bucket_prefix):
        raise BackupError("the target system is not empty; restore refuses unless forced")
    manifest = load_manifest(root, backup_id)
    # Objects first: the store issues new version ids, and records that name a version must name the new one.
    version_map = _restore_objects(s3, root, manifest, bucket_prefix)
    remapped: dict[str, int] = {}
    for db_name, collections in manifest.databases.items():
        target = client[db_prefix + db_name[len(manifest.db_prefix) :]]
        for coll_name, entry in collections.items():
            collection = target[coll_name]
            if force:
                collection.drop()
            batch: list[dict] = []
            with (root / backup_id / entry.file).open("rb") as handle:
                for doc in bson.decode_file_iter(handle):
                    if _remap_versions(doc, version_map):
                        remapped[f"{db_name}.{coll_name}"] = remapped.get(f"{db_name}.{coll_name}", 0) + 1
                    batch.append(doc)
                    if len(batch) == 1000:
                        collection.insert_many(batch, ordered=True)
                        batch = []
            if batch:
                collection.insert_many(batch, ordered=True)
            for index in entry.indexes:
                collection.create_index([tuple(k) for k in index["key"]], name=index["name"], unique=index["unique"])
    return {"backup_id": backup_id, **manifest.totals(), "version_map": version_map, "remapped": remapped}


VERSION_FIELDS = frozenset({"version_id", "base_version"})


def _remap_versions(value: Any, version_map: dict[str, str]) -> bool:
    """Rewrites object version ids named in fields called version_id/base_version, at any depth."""
    changed = False
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in VERSION_FIELDS and isinstance(inner, str) and inner in version_map:
                value[key] = version_map[inner]
                changed = True
            elif isinstance(inner, dict | list):
                changed |= _remap_versions(inner, version_map)
    elif isinstance(value, list):
        for inner in value:
            changed |= _remap_versions(inner, version_map)
    return changed


def _restore_objects(s3: Minio, root: Path, manifest: Manifest, bucket_prefix: str) -> dict[str, str]:
    """Object versions are written oldest first, so each key's latest version is latest again.

    A store issues new version ids; the returned map (old -> new) lets callers translate references.
    """
    version_map: dict[str, str] = {}
    targets = {name: bucket_prefix + name[len(manifest.bucket_prefix) :] for name in manifest.buckets}
    for name, entry in manifest.buckets.items():
        target = targets[name]
        if not s3.bucket_exists(target):
            s3.make_bucket(target, object_lock=entry.object_lock)
        if entry.versioning:
            s3.set_bucket_versioning(target, VersioningConfig(ENABLED))
    # S3 lists a key's versions newest first, and the manifest keeps that order: write them in reverse.
    ordered = list(reversed(manifest.objects))
    for o in ordered:
        path = root / o.file
        with path.open("rb") as handle:
            result = s3.put_object(targets[o.bucket], o.key, handle, length=path.stat().st_size)
        if o.version_id and result.version_id:
            version_map[o.version_id] = result.version_id
        if o.legal_hold:
            s3.enable_object_legal_hold(targets[o.bucket], o.key, version_id=result.version_id)
    return version_map


def list_backups(root: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(root.glob("*/manifest.json"), reverse=True):
        try:
            manifest = Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            continue
        out.append({"backup_id": manifest.backup_id, "created_at": manifest.created_at, **manifest.totals()})
    return out


def remove_backup(root: Path, backup_id: str) -> None:
    """Drops one backup's folder, then object files no remaining manifest refers to."""
    shutil.rmtree(root / backup_id, ignore_errors=True)
    referenced = {o["sha256"] for m in root.glob("*/manifest.json") for o in json.loads(m.read_text(encoding="utf-8"))["objects"]}
    for path in (root / "objects").glob("*"):
        if path.name not in referenced:
            path.unlink()


# --- a second copy in an S3 bucket (another store, or another bucket of the same store) ---


def _ensure_bucket(s3: Minio, bucket: str) -> None:
    if not s3.bucket_exists(bucket):
        try:
            s3.make_bucket(bucket)
        except S3Error as exc:
            if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise


def upload_to_s3(target: Minio, bucket: str, root: Path, backup_id: str) -> dict[str, int]:
    """Copies one backup (same layout: objects/<sha256> shared, <backup_id>/...) into a bucket.

    Object files already there are skipped (content-addressed, so incremental); the manifest goes
    last, so a backup is listed in the bucket only once all its files are in it.
    """
    _ensure_bucket(target, bucket)
    manifest = load_manifest(root, backup_id)
    present = {o.object_name for o in target.list_objects(bucket, prefix="objects/", recursive=True)}
    uploaded = uploaded_bytes = skipped = 0
    for sha in sorted({o.sha256 for o in manifest.objects}):
        if f"objects/{sha}" in present:
            skipped += 1
            continue
        path = root / "objects" / sha
        target.fput_object(bucket, f"objects/{sha}", str(path))
        uploaded += 1
        uploaded_bytes += path.stat().st_size
    folder = root / backup_id
    last = ("manifest.json", "manifest.sha256")
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in last):
        target.fput_object(bucket, f"{backup_id}/{path.relative_to(folder).as_posix()}", str(path))
        uploaded_bytes += path.stat().st_size
    for name in last:
        target.fput_object(bucket, f"{backup_id}/{name}", str(folder / name))
    return {"objects_uploaded": uploaded, "objects_already_there": skipped, "bytes_uploaded": uploaded_bytes}


def list_s3_backups(target: Minio, bucket: str) -> list[str]:
    """Backup ids in the bucket that have their manifest (complete copies), newest first."""
    if not target.bucket_exists(bucket):
        return []
    ids = [o.object_name.rstrip("/") for o in target.list_objects(bucket) if o.is_dir and o.object_name != "objects/"]
    return sorted((i for i in ids if _s3_exists(target, bucket, f"{i}/manifest.json")), reverse=True)


def _s3_exists(target: Minio, bucket: str, key: str) -> bool:
    try:
        target.stat_object(bucket, key)
        return True
    except S3Error:
        return False


def fetch_from_s3(target: Minio, bucket: str, backup_id: str, root: Path) -> None:
    """Brings one backup back from the bucket into a local root (then verify and restore as usual)."""
    if not _s3_exists(target, bucket, f"{backup_id}/manifest.json"):
        raise BackupError(f"backup {backup_id} is not in bucket {bucket}")
    folder = root / backup_id
    for item in target.list_objects(bucket, prefix=f"{backup_id}/", recursive=True):
        path = folder / item.object_name[len(backup_id) + 1 :]
        path.parent.mkdir(parents=True, exist_ok=True)
        target.fget_object(bucket, item.object_name, str(path))
    manifest = load_manifest(root, backup_id)
    (root / "objects").mkdir(parents=True, exist_ok=True)
    for sha in sorted({o.sha256 for o in manifest.objects}):
        path = root / "objects" / sha
        if not path.exists():
            target.fget_object(bucket, f"objects/{sha}", str(path))
