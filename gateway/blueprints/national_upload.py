"""The registrar's national upload console: credentials, progress per upload, dead letters and retry."""

from __future__ import annotations

import base64

from flask import Blueprint, Response, g, jsonify, request

from gateway.endpoints import endpoint
from gateway.services import rpc
from services.national_upload.schemas import Credentials, PrepareRosters, Progress, StartUpload
from shared.permissions import Permission

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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


@endpoint(
    bp,
    "/rosters",
    "POST",
    summary="產生並檢查名冊（不上傳）/ build and check the rosters without sending",
    permission=P,
    body=PrepareRosters,
    response=Progress,
    status=201,
)
def prepare_rosters():
    with rpc() as services:
        return jsonify(services.national_upload.prepare_rosters(g.body.model_dump())), 201


@endpoint(
    bp,
    "/uploads",
    "POST",
    summary="開始上傳國教署 / start the national upload",
    permission=P,
    body=StartUpload,
    response=Progress,
    status=201,
)
def start_upload():
    with rpc() as services:
        return jsonify(services.national_upload.start_upload(g.body.model_dump())), 201


@endpoint(bp, "/uploads/<upload_id>/report", "GET", summary="名冊檢查報告（逐生逐列）/ the per-student check report", permission=P)
def upload_report(upload_id: str):
    with rpc() as services:
        return jsonify(services.national_upload.upload_progress(upload_id, True))


@endpoint(bp, "/uploads/<upload_id>/rosters", "GET", summary="名冊檔案清單 / the roster files", permission=P)
def roster_files(upload_id: str):
    with rpc() as services:
        return jsonify(services.national_upload.roster_files(upload_id))


@endpoint(bp, "/uploads/<upload_id>/rosters/<int:code>.xlsx", "GET", summary="下載名冊（XLSX）/ download a roster", permission=P)
def roster_download(upload_id: str, code: int):
    with rpc() as services:
        file = services.national_upload.roster_file(upload_id, code)
    response = Response(base64.b64decode(file["data"]), mimetype=XLSX)
    response.headers["Content-Disposition"] = f"attachment; filename={file['filename']}"
    return response
