"""The S3 store, through the MinIO SDK (any S3 store works): the only code that touches object bytes.

One bucket per installation, `{bucket_prefix}-evidence`, created at start with object lock (which
turns versioning on): a replaced or deleted file keeps its earlier versions, and a locked version
carries a legal hold the store itself enforces. Store failures become `StoreUnavailable` (503).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import urllib3
from minio import Minio
from minio.datatypes import PostPolicy
from minio.deleteobjects import DeleteObject
from minio.error import MinioException, S3Error
from nameko.extensions import DependencyProvider
from urllib3.util import Retry

from services.evidence import domain
from services.evidence.config import EvidenceConfig
from services.evidence.errors import StoreUnavailable
from shared.clock import utcnow
from shared.config import Settings, load_settings
from shared.disposition import content_disposition

log = logging.getLogger("licheng.evidence.storage")

REGION = "us-east-1"  # fixed, so signing a form never needs a round trip to the store
_MISSING = {"NoSuchKey", "NoSuchVersion", "NoSuchObject", "NoSuchBucket", "NotFound"}
CHUNK = 256 * 1024
CHECKSUM_QUERY = "x-amz-checksum-algorithm=SHA256"
_CHECKSUM_MODE = {"x-amz-checksum-mode": "ENABLED"}


def _stored_sha256(headers) -> str | None:
    """The store's SHA-256 of a version (base64 in `x-amz-checksum-sha256`) as hex, if it kept one."""
    value = headers.get("x-amz-checksum-sha256") if headers is not None else None
    if not value:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 else None


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    version_id: str | None
    is_latest: bool = True
    is_delete_marker: bool = False
    last_modified: datetime | None = None


@dataclass(frozen=True)
class Inspection:
    info: ObjectInfo
    head: bytes
    sha256: str
    bytes_read: int


@contextmanager
def _store_errors(action: str) -> Iterator[None]:
    """Connection trouble and 5xx answers are the store being unavailable, not our bug."""
    try:
        yield
    except S3Error as exc:
        if exc.code in _MISSING or exc.code.startswith("AccessDenied") or exc.code in {"InvalidRequest", "ObjectLocked"}:
            raise
        log.warning("s3 error", extra={"fields": {"action": action, "code": exc.code}})
        raise StoreUnavailable("檔案儲存服務暫時無法使用，請稍後再試", f"the store failed to {action}: {exc.code}") from None
    except (urllib3.exceptions.HTTPError, OSError, MinioException) as exc:
        log.warning("s3 unreachable", extra={"fields": {"action": action, "error": type(exc).__name__}})
        raise StoreUnavailable("檔案儲存服務暫時無法使用，請稍後再試", f"the store cannot be reached to {action}") from None


def make_client(settings: Settings) -> Minio:
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=3, read=30),
        maxsize=16,
        retries=Retry(total=2, connect=1, read=1, backoff_factor=0.1, status_forcelist=[502, 503, 504]),
    )
    return Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        secure=settings.s3_secure,
        region=REGION,
        http_client=http,
    )


class Storage:
    def __init__(self, settings: Settings, config: EvidenceConfig | None = None) -> None:
        self.client = make_client(settings)
        self.config = config or EvidenceConfig()
        self.bucket = f"{settings.bucket_prefix}-evidence"
        scheme = "https" if settings.s3_secure else "http"
        self.base_url = (self.config.public_url or f"{scheme}://{settings.s3_endpoint}").rstrip("/")
        self.ready = False

    # --- the bucket ---

    def ensure_bucket(self) -> None:
        """Idempotent: the bucket with object lock (and so versioning) exists."""
        with _store_errors("create the bucket"):
            if not self.client.bucket_exists(self.bucket):
                try:
                    self.client.make_bucket(self.bucket, object_lock=True)
                except S3Error as exc:
                    if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                        raise
        self.ready = True

    def ping(self) -> None:
        with _store_errors("answer"):
            self.client.bucket_exists(self.bucket)

    # --- uploads ---

    def upload_form(self, key: str, max_size: int, expires_at: datetime) -> tuple[str, dict[str, str]]:
        """A presigned POST form: the key is fixed, the size capped by the store (content-length-range)."""
        policy = PostPolicy(self.bucket, expires_at)
        policy.add_equals_condition("key", key)
        policy.add_content_length_range_condition(1, max_size)
        fields = self.client.presigned_post_policy(policy)  # signed locally: REGION is fixed
        # The query asks the store to compute the body's SHA-256 as it arrives and keep it with the
        # version (SeaweedFS does; a store that ignores it leaves `inspect` to read the body).
        return f"{self.base_url}/{self.bucket}?{CHECKSUM_QUERY}", {**fields, "key": key}

    def put(self, key: str, stream, length: int, content_type: str = "application/octet-stream") -> str | None:
        """Used by repairs and tests; clients never upload through the service."""
        with _store_errors("store the file"):
            return self.client.put_object(self.bucket, key, stream, length, content_type=content_type).version_id

    def stat(self, key: str, version_id: str | None = None) -> ObjectInfo | None:
        with _store_errors("read the file's details"):
            try:
                st = self.client.stat_object(self.bucket, key, version_id=version_id)
            except S3Error as exc:
                if exc.code in _MISSING:
                    return None
                raise
        return ObjectInfo(key, int(st.size or 0), st.version_id, last_modified=st.last_modified)

    def head(self, key: str, version_id: str | None, length: int = domain.SNIFF_BYTES) -> bytes:
        with _store_errors("read the file"):
            response = self.client.get_object(self.bucket, key, offset=0, length=length, version_id=version_id)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

    def sha256(self, key: str, version_id: str | None) -> tuple[str, int]:
        """Streams the object through SHA-256: (hex digest, bytes read)."""
        digest = hashlib.sha256()
        total = 0
        with _store_errors("read the file"):
            response = self.client.get_object(self.bucket, key, version_id=version_id)
            try:
                for chunk in response.stream(CHUNK):
                    digest.update(chunk)
                    total += len(chunk)
            finally:
                response.close()
                response.release_conn()
        return digest.hexdigest(), total

    def inspect(self, key: str, version_id: str | None = None) -> Inspection | None:
        """The latest (or given) version's size and version, its leading bytes and the SHA-256 of its
        whole body (which the form's policy capped at the declared size).

        The SHA-256 is the one the store computed from the bytes it received (the form's URL asked
        for it; a client cannot hand it one: the form's signed policy admits no such field, and the store
        refuses the POST with 403), read with the version's metadata, so the body is not read back; only
        when the store kept none (another store, a client that dropped the query) is the body read
        through SHA-256 here."""
        with _store_errors("read the file"):
            try:
                st = self.client.stat_object(self.bucket, key, version_id=version_id, extra_headers=_CHECKSUM_MODE)
            except S3Error as exc:
                if exc.code in _MISSING:
                    return None
                raise
        stored = _stored_sha256(st.metadata)
        if stored is None:
            return self._read_through(key, st.version_id or version_id)
        info = ObjectInfo(key, int(st.size or 0), st.version_id or version_id)
        head = self.head(key, info.version_id) if info.size else b""
        return Inspection(info, head, stored, info.size)

    def _read_through(self, key: str, version_id: str | None) -> Inspection | None:
        """One GET of the version: its leading bytes and the SHA-256 of the whole body."""
        with _store_errors("read the file"):
            try:
                response = self.client.get_object(self.bucket, key, version_id=version_id)
            except S3Error as exc:
                if exc.code in _MISSING:
                    return None
                raise
            try:
                size = int(response.headers.get("Content-Length", "0"))
                version = response.headers.get("x-amz-version-id") or version_id
                digest = hashlib.sha256()
                head = b""
                total = 0
                for chunk in response.stream(CHUNK):
                    if len(head) < domain.SNIFF_BYTES:
                        head += chunk[: domain.SNIFF_BYTES - len(head)]
                    digest.update(chunk)
                    total += len(chunk)
            finally:
                response.close()
                response.release_conn()
        return Inspection(ObjectInfo(key, size, version), head, digest.hexdigest(), total)

    # --- removal and locking ---

    def remove_version(self, key: str, version_id: str | None) -> None:
        """Permanently removes one version (a refused or abandoned upload). Missing is fine."""
        with _store_errors("remove the file"):
            try:
                self.client.remove_object(self.bucket, key, version_id=version_id)
            except S3Error as exc:
                if exc.code not in _MISSING:
                    raise

    def hide(self, key: str) -> None:
        """A delete marker: the object disappears from plain reads, every version stays."""
        with _store_errors("delete the file"):
            self.client.remove_object(self.bucket, key)

    def hold(self, key: str, version_id: str | None) -> None:
        """Legal hold on one version: the store refuses to delete it, even with our own keys."""
        with _store_errors("lock the file"):
            self.client.enable_object_legal_hold(self.bucket, key, version_id=version_id)

    def is_held(self, key: str, version_id: str | None) -> bool:
        with _store_errors("read the lock"):
            return bool(self.client.is_object_legal_hold_enabled(self.bucket, key, version_id=version_id))

    def versions(self, prefix: str) -> list[ObjectInfo]:
        """Every version and delete marker under a prefix (a key is its own prefix)."""
        with _store_errors("list files"):
            return [
                ObjectInfo(
                    o.object_name,
                    int(o.size or 0),
                    o.version_id,
                    bool(o.is_latest and o.is_latest != "false"),
                    bool(o.is_delete_marker),
                    o.last_modified,
                )
                for o in self.client.list_objects(self.bucket, prefix=prefix, recursive=True, include_version=True)
            ]

    def purge(self, found: list[ObjectInfo], held: set[tuple[str, str | None]], dry_run: bool) -> dict[str, int]:
        """Removes the given versions and delete markers for good, releasing the legal holds in `held`
        (key, version) first (the retention purge). Returns what was, or in a dry run would be, removed."""
        counts = {"object_versions": 0, "delete_markers": 0, "bytes": 0, "held": 0}
        for info in found:
            counts["delete_markers" if info.is_delete_marker else "object_versions"] += 1
            counts["bytes"] += 0 if info.is_delete_marker else info.size
            counts["held"] += (info.key, info.version_id) in held
        if dry_run or not found:
            return counts
        with _store_errors("purge files"):
            for info in found:
                if (info.key, info.version_id) in held:
                    try:
                        self.client.disable_object_legal_hold(self.bucket, info.key, version_id=info.version_id)
                    except S3Error as exc:
                        if exc.code not in _MISSING | {"InvalidRequest", "NoSuchObjectLegalHold", "NoSuchObjectLockConfiguration"}:
                            raise
            batch = [DeleteObject(info.key, info.version_id) for info in found]
            for start in range(0, len(batch), 1000):  # one DeleteObjects request per thousand versions
                errors = list(self.client.remove_objects(self.bucket, batch[start : start + 1000]))
                for error in (e for e in errors if e.code not in _MISSING):
                    # held without our record knowing it (a hold set outside the service): release, then remove
                    self.client.disable_object_legal_hold(self.bucket, error.name, version_id=error.version_id)
                    self.client.remove_object(self.bucket, error.name, version_id=error.version_id)
                    counts["held"] += 1
        return counts

    # --- downloads ---

    def download_url(
        self, key: str, version_id: str | None, filename: str, content_type: str, *, seconds: int, now: datetime | None = None
    ) -> str:
        with _store_errors("sign the download"):
            return self.client.presigned_get_object(
                self.bucket,
                key,
                expires=timedelta(seconds=seconds),
                request_date=now,
                version_id=version_id,
                response_headers={
                    "response-content-disposition": content_disposition(filename),
                    "response-content-type": content_type,
                },
            )

    # --- tests and tools ---

    def destroy(self) -> None:
        """Removes every version, releasing legal holds first, then the bucket (test clean-up only)."""
        if not self.client.bucket_exists(self.bucket):
            return
        for info in self.versions(""):
            if not info.is_delete_marker:
                try:
                    self.client.disable_object_legal_hold(self.bucket, info.key, version_id=info.version_id)
                except S3Error:
                    pass
            self.client.remove_object(self.bucket, info.key, version_id=info.version_id)
        self.client.remove_bucket(self.bucket)


def form_expiry(config: EvidenceConfig) -> datetime:
    return utcnow() + timedelta(seconds=config.form_seconds)


class StorageProvider(DependencyProvider):
    """Gives workers the container's Storage; the bucket is ensured at start and again on first use
    when the store was down at start (the service still answers, with 503s, until it is back)."""

    def setup(self) -> None:
        self.storage = Storage(load_settings())
        try:
            self.storage.ensure_bucket()
        except StoreUnavailable:
            log.warning("the store is unavailable at start; retrying on first use")

    def get_dependency(self, worker_ctx) -> Storage:
        return self.storage
