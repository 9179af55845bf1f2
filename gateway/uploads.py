"""Reading an uploaded import table from a multipart form (field `file`)."""

from __future__ import annotations

import hashlib

from flask import request

from shared.errors import ValidationFailed, field_error
from shared.tabular import JOB_MAX_BYTES, JOB_MAX_ROWS, MAX_BYTES, MAX_ROWS, read_table


def _upload_bytes(max_bytes: int) -> tuple[str, bytes]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(
            "請選擇要匯入的檔案",
            "attach the file as multipart field 'file'",
            [field_error("file", "請選擇檔案", "a file is required", "missing")],
        )
    return upload.filename, upload.stream.read(max_bytes + 1)


def uploaded_table(max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> list[dict[str, str]]:
    """A table answered within the request (at most `max_rows` rows)."""
    filename, data = _upload_bytes(max_bytes)
    return read_table(filename, data, max_rows, max_bytes)


def uploaded_job_file() -> tuple[list[dict[str, str]], str]:
    """A whole term's table for an import job, and the SHA-256 of its bytes (the same file again is a no-op)."""
    filename, data = _upload_bytes(JOB_MAX_BYTES)
    rows = read_table(filename, data, JOB_MAX_ROWS, JOB_MAX_BYTES)
    return rows, hashlib.sha256(data).hexdigest()
