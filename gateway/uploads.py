"""Reading an uploaded import table from a multipart form (field `file`)."""

from __future__ import annotations

from flask import request

from shared.errors import ValidationFailed, field_error
from shared.tabular import MAX_BYTES, read_table


def uploaded_table() -> list[dict[str, str]]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(
            "請選擇要匯入的檔案",
            "attach the file as multipart field 'file'",
            [field_error("file", "請選擇檔案", "a file is required", "missing")],
        )
    data = upload.stream.read(MAX_BYTES + 1)
    return read_table(upload.filename, data)
