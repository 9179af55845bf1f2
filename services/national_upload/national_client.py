"""Talking to the national database (the simulator here): one item, one request, its idempotency key.

Items are either an evidence file (bytes streamed from the evidence store through a short presigned
GET, never through RabbitMQ) or a roster workbook kept in our database, so every retry sends the
very same bytes under the same key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from services.national_upload.domain import SendResult, Verdict, classify_http, parse_retry_after
from services.national_upload.store import UploadStore
from shared.config import Settings
from shared.crypto import FieldCipher

_CHUNK = 256 * 1024
TOKEN_CACHE_SECONDS = 30.0  # a school's token read once per half minute, not once per item; a new one is seen soon


class NationalClient:
    def __init__(self, settings: Settings, store: UploadStore, evidence_url: Callable[[dict], str] | None = None) -> None:
        self.base = settings.national_url.rstrip("/")
        self.timeout = settings.national_timeout_seconds
        self.store = store
        self.cipher = FieldCipher(settings.field_key)
        self.evidence_url = evidence_url
        self._local = threading.local()  # one HTTP session per worker thread (a Session is not thread-safe)
        self._tokens: dict[str, tuple[float, str]] = {}

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _token(self, school_id: str) -> str:
        cached = self._tokens.get(school_id)
        if cached is not None and time.monotonic() - cached[0] < TOKEN_CACHE_SECONDS:
            return cached[1]
        credentials = self.store.credentials(school_id)
        if credentials is None:
            raise LookupError(f"no national credentials configured for school {school_id}")
        token = self.cipher.decrypt(credentials["token_enc"])
        self._tokens[school_id] = (time.monotonic(), token)
        return token

    def send(self, item: dict[str, Any]) -> SendResult:
        result, status = self._send(item)
        if status in (401, 403) and self._tokens.pop(item["school_id"], None) is not None:
            result, status = self._send(item)  # the cached token may be one the registrar just replaced
        return result

    def _send(self, item: dict[str, Any]) -> tuple[SendResult, int | None]:
        headers = {
            "Authorization": f"Bearer {self._token(item['school_id'])}",
            "Idempotency-Key": item["idempotency_key"],
            "Content-Type": "application/octet-stream",
        }
        if item["kind"] == "roster":
            doc = self.store.get_file(item["school_id"], item["ref"])
            if doc is None:
                return SendResult(Verdict.REJECTED, detail="roster file missing"), None
            params = {"filename": doc["filename"], "uploader": item.get("uploader", ""), "sha256": doc["sha256"]}
            body: bytes | Iterator[bytes] = bytes(doc["data"])
            url = f"{self.base}/api/v1/rosters"
        else:
            if self.evidence_url is None:
                raise LookupError("evidence items need an evidence URL source")
            params = {"filename": item["filename"], "sha256": item["content_sha256"], "year": item["year"]}
            body = self._stream(self.evidence_url(item))
            url = f"{self.base}/api/v1/evidence"
        try:
            response = self.session.post(url, params=params, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:  # dropped connection, timeout: retried
            return SendResult(Verdict.RETRY, detail=f"{type(exc).__name__}"), None
        return self._result(response), response.status_code

    def fetch_receipt(self, school_id: str, roster_id: str) -> bytes:
        """The 收訖明細 ZIP of one accepted roster (raises requests' errors; the caller reports them)."""
        response = self.session.get(
            f"{self.base}/api/v1/rosters/{roster_id}/receipt",
            headers={"Authorization": f"Bearer {self._token(school_id)}"},
            timeout=self.timeout,
        )
        response.raise_for_status()
        return response.content

    def _stream(self, url: str) -> Iterator[bytes]:
        with self.session.get(url, stream=True, timeout=self.timeout) as source:
            source.raise_for_status()
            yield from source.iter_content(_CHUNK)

    @staticmethod
    def _result(response: requests.Response) -> SendResult:
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = body.get("code") if isinstance(body, dict) else None
        verdict = classify_http(response.status_code, code)
        detail = f"HTTP {response.status_code}" + (f" {code}" if code else "")
        if verdict is Verdict.ACCEPTED:
            receipt = body.get("roster_id") or body.get("sha256")
            partial = body.get("status") == "partial"
            reasons = tuple(body.get("findings", ())) if partial else ()
            return SendResult(Verdict.ACCEPTED, detail="partial" if partial else "accepted", reasons=reasons, receipt_id=receipt)
        if verdict is Verdict.REJECTED:
            return SendResult(Verdict.REJECTED, detail=detail, reasons=tuple(body.get("findings", ()) or ({"code": code},)))
        return SendResult(Verdict.RETRY, detail=detail, retry_after=parse_retry_after(response.headers.get("Retry-After")))
