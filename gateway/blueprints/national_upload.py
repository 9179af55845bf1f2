"""The registrar's national upload console: credentials, progress per upload, dead letters and retry."""

from __future__ import annotations

import base64
import time

from flask import Blueprint, Response, g, jsonify, request

from gateway.endpoints import endpoint
from gateway.import_jobs import POLL_SECONDS, preferred_wait
from gateway.services import FILE_BUILD_SECONDS, rpc
from services.national_upload.schemas import Credentials, PrepareRosters, Progress, ReceiptAnswer, StartUpload
from shared.errors import ValidationFailed
from shared.permissions import Permission

RECEIPT_MAX_BYTES = 10 * 1024 * 1024
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
    summary="產生並檢查名冊（背景工作，不上傳）/ build and check the rosters as a job, without sending",
    permission=P,
    body=PrepareRosters,
    response=Progress,
    status=202,
    other_statuses={
        201: "Prefer: wait=N and the check done in time: the draft with its report",
        200: "Prefer: wait=N and the check failed (state check_failed; `error` says why): nothing to send",
    },
)
def prepare_rosters():
    """202 with the draft `checking` and `Location` to follow (GET .../report: `phase` says the step);
    with `Prefer: wait=N` (at most 20 s) the finished draft instead when it ends in time."""
    with rpc() as services:
        progress = services.national_upload.prepare_rosters(g.body.model_dump())
    url = f"/api/v1/national/uploads/{progress['upload_id']}/report"
    until = time.monotonic() + preferred_wait()
    while progress["state"] == "checking" and time.monotonic() < until:
        time.sleep(POLL_SECONDS)
        with rpc(timeout=5) as services:
            progress = services.national_upload.upload_progress(progress["upload_id"], True)
    response = jsonify(progress)
    if progress["state"] == "checking":
        response.headers["Location"] = url
        return response, 202
    response.headers["Content-Location"] = url
    return response, (201 if progress["state"] == "draft" else 200)


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


@endpoint(bp, "/uploads/<upload_id>/resume", "POST", summary="繼續送出中斷的上傳 / queue the rest of an interrupted upload", permission=P)
def resume_upload(upload_id: str):
    with rpc() as services:
        return jsonify(services.national_upload.resume_upload(upload_id))


@endpoint(bp, "/uploads/<upload_id>/report", "GET", summary="名冊檢查報告（逐生逐列）/ the per-student check report", permission=P)
def upload_report(upload_id: str):
    with rpc() as services:
        return jsonify(services.national_upload.upload_progress(upload_id, True))


@endpoint(bp, "/uploads/<upload_id>/rosters", "GET", summary="名冊檔案清單 / the roster files", permission=P)
def roster_files(upload_id: str):
    with rpc() as services:
        return jsonify(services.national_upload.roster_files(upload_id))


@endpoint(
    bp,
    "/uploads/<upload_id>/rosters/<int:roster_code>/download",
    "GET",
    summary="下載名冊（XLSX）/ download a roster",
    permission=P,
    timeout=FILE_BUILD_SECONDS,
)
def roster_download(upload_id: str, roster_code: int):
    with rpc() as services:
        file = services.national_upload.roster_file(upload_id, roster_code)
    response = Response(base64.b64decode(file["data"]), mimetype=XLSX)
    response.headers["Content-Disposition"] = f"attachment; filename={file['filename']}"
    return response


@endpoint(
    bp, "/uploads/<upload_id>/receipts/fetch", "POST", summary="向國教署取回收訖明細並核對 / fetch and check the receipts", permission=P
)
def fetch_receipts(upload_id: str):
    with rpc() as services:
        return jsonify(services.national_upload.fetch_receipts(upload_id))


@endpoint(
    bp,
    "/uploads/<upload_id>/receipts",
    "POST",
    summary="匯入收訖明細 ZIP 並逐一核對 SHA-256 / import a receipt ZIP (body: the file)",
    permission=P,
    raw_body="application/zip",
    status=201,
)
def import_receipt(upload_id: str):
    data = request.get_data(cache=False)
    if not data or len(data) > RECEIPT_MAX_BYTES:
        raise ValidationFailed("請上傳收訖明細 ZIP 檔（10 MB 以內）", "send the receipt ZIP as the request body (at most 10 MB)")
    with rpc() as services:
        return jsonify(services.national_upload.import_receipt(upload_id, base64.b64encode(data).decode())), 201


@endpoint(
    bp, "/uploads/<upload_id>/receipts", "GET", summary="收訖明細核對結果與學生回覆 / receipts and the students' answers", permission=P
)
def receipts(upload_id: str):
    with rpc() as services:
        return jsonify(services.national_upload.receipts(upload_id))


me = Blueprint("national_receipts_me", __name__, url_prefix="/api/v1/me/receipts")


@endpoint(me, "", "GET", summary="我的收訖明細 / what the national database holds of me", permission=Permission.SELF_RECEIPT_CONFIRM)
def my_receipts():
    with rpc() as services:
        return jsonify(services.national_upload.my_receipts())


@endpoint(
    me,
    "/<entry_id>",
    "POST",
    summary="確認無誤或回報錯誤 / confirm or report an error",
    permission=Permission.SELF_RECEIPT_CONFIRM,
    body=ReceiptAnswer,
)
def answer_receipt(entry_id: str):
    with rpc() as services:
        return jsonify(services.national_upload.answer_receipt(entry_id, g.body.model_dump()))
