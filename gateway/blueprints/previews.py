"""Inline previews of evidence for the browser (a teacher reading a PDF before certifying it).

The download link that evidence signs says `attachment`, so a browser would save the file instead of
showing it in an <iframe>/<img>/<video>. This route asks evidence for the same authorised, short-lived
link and streams the bytes back with `inline`, passing Range through so video and audio can seek.
Evidence already verified the bytes (magic bytes match the declared type); nosniff keeps it that way.
"""

from __future__ import annotations

import urllib.parse

import requests
from flask import Blueprint, Response, request, stream_with_context

from gateway.endpoints import endpoint
from gateway.services import rpc
from services.evidence.errors import StoreUnavailable
from shared.permissions import Permission

bp = Blueprint("previews", __name__, url_prefix="/api/v1")

_CHUNK = 256 * 1024
_TIMEOUT = (5, 60)
_PASSED = ("Content-Length", "Content-Range", "Accept-Ranges", "ETag", "Last-Modified")


@endpoint(
    bp,
    "/evidence/<evidence_id>/view",
    "GET",
    summary="檔案預覽（內嵌顯示，支援 Range）/ view a file inline",
    permission=Permission.SCHOOL_EVIDENCE_READ,
)
def view(evidence_id: str):
    with rpc() as services:
        link = services.evidence.download(evidence_id)
    headers = {"Range": request.headers["Range"]} if "Range" in request.headers else {}
    try:
        upstream = requests.get(link["url"], headers=headers, stream=True, timeout=_TIMEOUT)
    except requests.RequestException:
        raise StoreUnavailable("檔案儲存服務暫時無法使用，請稍後再試", "the store cannot be reached") from None
    if upstream.status_code not in (200, 206):
        upstream.close()
        raise StoreUnavailable("檔案儲存服務暫時無法使用，請稍後再試", f"the store answered {upstream.status_code}")

    def body():
        try:
            yield from upstream.iter_content(_CHUNK)
        finally:
            upstream.close()

    response = Response(stream_with_context(body()), status=upstream.status_code, mimetype=link["content_type"])
    for name in _PASSED:
        if name in upstream.headers:
            response.headers[name] = upstream.headers[name]
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{urllib.parse.quote(link['filename'], safe='')}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"  # our own pages may frame it (the app's default is DENY)
    response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
    return response
