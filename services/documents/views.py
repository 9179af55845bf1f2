"""What the documents service's entrypoints return: a PDF for the gateway, a job's progress."""

from __future__ import annotations

import base64
from typing import Any


def pdf_result(data: bytes, filename: str, **extra: Any) -> dict:
    return {"pdf": base64.b64encode(data).decode(), "filename": filename, "bytes": len(data), **extra}


def job_view(doc: dict[str, Any]) -> dict:
    return {
        "id": doc["_id"],
        "kind": doc["kind"],
        "title": doc["title"],
        "state": doc["state"],
        "done": doc.get("done", 0),
        "total": doc.get("total", 0),
        "error": doc.get("error"),
        "bytes": doc.get("bytes"),
        "created_at": doc["created_at"].isoformat(),
        "finished_at": doc["finished_at"].isoformat() if doc.get("finished_at") else None,
    }
