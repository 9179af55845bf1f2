"""The registrar's national upload console: credentials, progress per upload, dead letters and retry."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from gateway.endpoints import endpoint
from gateway.services import rpc
from services.national_upload.schemas import Credentials, Progress
from shared.permissions import Permission

bp = Blueprint("national_upload", __name__, url_prefix="/api/v1/national")
P = Permission.SCHOOL_NATIONAL_UPLOAD


@endpoint(bp, "/credentials", "PUT", summary="設定國教署上傳憑證 / set the national credential", permission=P, body=Credentials)
def set_credentials():
    with rpc() as services:
        return jsonify(services.national_upload.set_credentials(g.body.model_dump()))


@endpoint(bp, "/uploads", "GET", summary="上傳批次與進度 / uploads and their progress", permission=P, response=list[Progress])
def list_uploads():
    with rpc() as services:
        return jsonify(services.national_upload.list_uploads())


@endpoint(bp, "/uploads/<upload_id>", "GET", summary="上傳進度 / one upload's progress", permission=P, response=Progress)
def upload_progress(upload_id: str):
    with rpc() as services:
        return jsonify(services.national_upload.upload_progress(upload_id))


@endpoint(
    bp,
    "/uploads/<upload_id>/items",
    "GET",
    summary="上傳項目（可依狀態篩選）/ items by state",
    permission=P,
    query={"state": "queued, sending, accepted, rejected, retrying, dead"},
)
def upload_items(upload_id: str):
    with rpc() as services:
        return jsonify(services.national_upload.items(upload_id, request.args.get("state") or None))


@endpoint(bp, "/items/<item_id>/retry", "POST", summary="重送無法送達的項目 / retry a dead-lettered item", permission=P)
def retry_item(item_id: str):
    with rpc() as services:
        return jsonify(services.national_upload.retry_item(item_id))
