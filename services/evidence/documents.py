"""Generated documents (a class's 確認單, a school's receipts…) kept in the evidence bucket, so the
backups that hold every evidence version hold them too. The documents service names the file; the
key is chosen here, inside the caller's school, and the bytes go to the store by a presigned form."""

from __future__ import annotations

import re
from datetime import timedelta

from services.evidence.storage import Storage
from shared.clock import utcnow
from shared.errors import ValidationFailed

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}\.pdf$")
MAX_BYTES = 200 * 1024 * 1024


def document_key(school_id: str, name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationFailed("文件名稱不正確", "a document name is lower-case letters, digits and dashes ending in .pdf")
    return f"{school_id}/_documents/{name}"


def is_document_key(key: str) -> bool:
    return "/_documents/" in key


def upload_form(storage: Storage, school_id: str, name: str, size: int) -> dict:
    if not isinstance(size, int) or not 0 < size <= MAX_BYTES:
        raise ValidationFailed("文件大小不正確", f"a document is 1 to {MAX_BYTES} bytes")
    key = document_key(school_id, name)
    url, fields = storage.upload_form(key, size, utcnow() + timedelta(minutes=10))
    return {"url": url, "fields": fields, "key": key}


def download_url(storage: Storage, school_id: str, name: str, filename: str, seconds: int) -> str | None:
    key = document_key(school_id, name)
    info = storage.stat(key)
    if info is None:
        return None
    return storage.download_url(key, info.version_id, filename, "application/pdf", seconds=seconds)
