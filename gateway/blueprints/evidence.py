"""Evidence files: presigned upload forms and complete, a proxied upload, downloads, the registrar's tools.

The proxied upload is for API clients that cannot reach the store. The gateway holds no S3
credentials: it asks evidence for the same presigned POST form a browser gets, streams the request
body into that form (never reading it whole), then calls complete, so every guarantee of the direct
flow (size capped by the store's policy, verification on complete) holds unchanged.
"""

from __future__ import annotations

import secrets

import requests
from flask import Blueprint, g, jsonify, redirect, request

from gateway.endpoints import QueryParam, endpoint
from gateway.limits import PARAMETER_SCHEMA
from gateway.services import rpc
from services.evidence.errors import FileTooLarge, StoreUnavailable, UploadRejected
from services.evidence.schemas import (
    PURPOSE_NAMES,
    CompleteUpload,
    Download,
    Evidence,
    Kind,
    ReconcileReport,
    RequestUpload,
    ScrubReport,
    SweepReport,
    UploadForm,
)
from shared.errors import ValidationFailed
from shared.permissions import Permission
from shared.validation import parse

bp = Blueprint("evidence", __name__, url_prefix="/api/v1")

_CHUNK = 256 * 1024
_STORE_TIMEOUT = (5, 120)  # connect, read: a 10 MB body over a slow link still fits


@endpoint(
    bp,
    "/evidence/uploads",
    "POST",
    summary="申請上傳（取得預簽表單）/ request a presigned upload form",
    permission=Permission.SCHOOL_EVIDENCE_UPLOAD,
    body=RequestUpload,
    response=UploadForm,
    status=201,
)
def request_upload():
    with rpc() as services:
        return jsonify(services.evidence.request_upload(g.body.model_dump(mode="json", exclude_none=True))), 201


@endpoint(
    bp,
    "/evidence/uploads/<upload_id>/complete",
    "POST",
    summary="完成上傳（檢查大小、類型、SHA-256）/ complete an upload",
    permission=Permission.SCHOOL_EVIDENCE_UPLOAD,
    body=CompleteUpload,
    response=Evidence,
)
def complete_upload(upload_id: str):
    with rpc() as services:
        return jsonify(services.evidence.complete_upload(upload_id, g.body.model_dump(mode="json", exclude_none=True)))


class _MultipartStream:
    """A multipart/form-data body around the request stream, with a known length (no chunking)."""

    def __init__(self, fields: dict[str, str], stream, size: int, content_type: str) -> None:
        self.boundary = "licheng" + secrets.token_hex(16)
        parts = [f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n' for name, value in fields.items()]
        parts.append(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\nContent-Type: {content_type}\r\n\r\n'
        )
        self._head = "".join(parts).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._stream = stream
        self._remaining = size
        self._length = len(self._head) + size + len(self._tail)
        self._stage = 0

    def __len__(self) -> int:
        return self._length

    def read(self, n: int = -1) -> bytes:
        if self._stage == 0:
            self._stage = 1
            return self._head
        if self._stage == 1:
            if self._remaining > 0:
                chunk = self._stream.read(min(_CHUNK, self._remaining))
                if not chunk:
                    raise ValidationFailed("上傳內容不完整", "the request body ended before Content-Length")
                self._remaining -= len(chunk)
                return chunk
            self._stage = 2
            return self._tail
        return b""


@endpoint(
    bp,
    "/evidence/proxy-upload",
    "POST",
    summary="經由閘道上傳（串流，內容為檔案本身）/ upload through the gateway (raw body, streamed)",
    permission=Permission.SCHOOL_EVIDENCE_UPLOAD,
    response=Evidence,
    status=201,
    raw_body="application/octet-stream",
    query={
        "kind": QueryParam("document | media", {"type": "string", "enum": [k.value for k in Kind]}, required=True),
        "purpose": QueryParam("what the file is for", {"type": "string", "enum": list(PURPOSE_NAMES)}, required=True),
        "filename": QueryParam("original filename", {**PARAMETER_SCHEMA, "minLength": 1}, required=True),
        "student_id": "for staff uploads",
        "sha256": "optional checksum of the body",
        "replaces": "evidence id to replace",
    },
)
def proxy_upload():
    size = request.content_length
    if not size:
        raise ValidationFailed("請附上檔案內容與 Content-Length", "send the file as the body with a Content-Length")
    declared = {k: v for k, v in request.args.items() if k in RequestUpload.model_fields}
    content_type = (request.content_type or "").split(";")[0].strip()
    upload = parse(RequestUpload, {**declared, "size": size, "content_type": content_type})
    with rpc() as services:
        form = services.evidence.request_upload(upload.model_dump(mode="json", exclude_none=True))
    body = _MultipartStream(form["fields"], request.stream, size, upload.content_type)
    try:
        stored = requests.post(
            form["url"],
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={body.boundary}"},
            timeout=_STORE_TIMEOUT,
        )
    except requests.RequestException:
        raise StoreUnavailable("檔案儲存服務暫時無法使用，請稍後再試", "the store cannot be reached") from None
    if stored.status_code >= 500:
        raise StoreUnavailable("檔案儲存服務暫時無法使用，請稍後再試", f"the store answered {stored.status_code}")
    if stored.status_code == 400 and "EntityTooLarge" in stored.text:
        raise FileTooLarge("檔案超過申報的大小", "the body exceeds the declared size")
    if stored.status_code >= 400:
        raise UploadRejected("檔案儲存服務拒絕此檔案", f"the store refused the file ({stored.status_code})")
    with rpc() as services:
        return jsonify(services.evidence.complete_upload(form["upload_id"], {"sha256": upload.sha256} if upload.sha256 else {})), 201


@endpoint(
    bp,
    "/evidence",
    "GET",
    summary="檔案列表 / list evidence",
    permission=Permission.SCHOOL_EVIDENCE_READ,
    response=list[Evidence],
    query={"student_id": "registrar: one student's files"},
)
def list_evidence():
    with rpc() as services:
        return jsonify(services.evidence.list_evidence(request.args.get("student_id") or None))


@endpoint(
    bp, "/evidence/<evidence_id>", "GET", summary="檔案資訊 / one evidence", permission=Permission.SCHOOL_EVIDENCE_READ, response=Evidence
)
def get_evidence(evidence_id: str):
    with rpc() as services:
        return jsonify(services.evidence.get_evidence(evidence_id))


@endpoint(
    bp,
    "/evidence/<evidence_id>/download",
    "GET",
    summary="下載連結（短效）/ a short-lived download link",
    permission=Permission.SCHOOL_EVIDENCE_READ,
    response=Download,
    query={"redirect": "1: answer 303 to the link (browsers)"},
)
def download(evidence_id: str):
    with rpc() as services:
        result = services.evidence.download(evidence_id)
    if request.args.get("redirect") == "1":
        response = redirect(result["url"], code=303)
        response.headers["Cache-Control"] = "no-store"
        return response
    return jsonify(result)


@endpoint(
    bp,
    "/evidence/<evidence_id>",
    "DELETE",
    summary="刪除檔案（認證前）/ delete evidence before certification",
    permission=Permission.SCHOOL_EVIDENCE_UPLOAD,
    status=204,
)
def delete_evidence(evidence_id: str):
    with rpc() as services:
        services.evidence.delete_evidence(evidence_id)
    return "", 204


@endpoint(
    bp,
    "/evidence/admin/sweep",
    "POST",
    summary="清除逾時未完成的上傳 / sweep abandoned uploads",
    permission=Permission.SCHOOL_EVIDENCE_ADMIN,
    response=SweepReport,
)
def sweep():
    with rpc() as services:
        return jsonify(services.evidence.sweep())


@endpoint(
    bp,
    "/evidence/admin/reconcile",
    "POST",
    summary="核對儲存與紀錄 / reconcile the store with the records",
    permission=Permission.SCHOOL_EVIDENCE_ADMIN,
    response=ReconcileReport,
    query={"repair": "1: repair what is safe to repair"},
)
def reconcile():
    with rpc() as services:
        return jsonify(services.evidence.reconcile(request.args.get("repair") == "1"))


@endpoint(
    bp,
    "/evidence/admin/scrub",
    "POST",
    summary="重新驗證 SHA-256 / re-verify every file's SHA-256",
    permission=Permission.SCHOOL_EVIDENCE_ADMIN,
    response=ScrubReport,
    query={"limit": "at most this many files"},
)
def scrub():
    limit = request.args.get("limit", "0")
    with rpc() as services:
        return jsonify(services.evidence.scrub(int(limit) if limit.isdigit() else 0))
