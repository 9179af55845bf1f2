"""Archive (封存): the registrar archives students who left, sets the retention, downloads an
archived portfolio as a ZIP streamed from the store, and purges portfolios past retention."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import requests
from flask import Blueprint, Response, g, jsonify, stream_with_context
from openpyxl import Workbook

from gateway.downloads import export_cell
from gateway.endpoints import endpoint
from gateway.services import rpc
from services.backup.schemas import PurgeIn, RetentionIn
from services.records.schemas import ArchiveIn, UnarchiveIn
from shared.permissions import Permission

bp = Blueprint("archive", __name__, url_prefix="/api/v1/archive")

P = Permission
_CHUNK = 256 * 1024


@endpoint(
    bp,
    "/students",
    "POST",
    summary="封存離校學生（學號或整班）/ archive students who left",
    permission=P.SCHOOL_ARCHIVE_WRITE,
    body=ArchiveIn,
)
def archive_students():
    with rpc() as services:
        return jsonify(services.records.archive_students(g.body.model_dump(mode="json", exclude_none=True)))


@endpoint(
    bp,
    "/students/<student_id>/unarchive",
    "POST",
    summary="解除封存（誤設時，須說明原因）/ undo an archive set by mistake",
    permission=P.SCHOOL_ARCHIVE_WRITE,
    body=UnarchiveIn,
)
def unarchive_student(student_id: str):
    with rpc() as services:
        return jsonify(services.records.unarchive_student(student_id, g.body.model_dump(mode="json")))


@endpoint(bp, "/settings", "GET", summary="封存保存年限 / retention setting", permission=P.SCHOOL_ARCHIVE_READ)
def archive_settings():
    with rpc() as services:
        return jsonify(services.backup.archive_settings())


@endpoint(bp, "/settings", "PUT", summary="設定離校後保存年數 / set the retention", permission=P.SCHOOL_ARCHIVE_WRITE, body=RetentionIn)
def set_archive_settings():
    with rpc() as services:
        return jsonify(services.backup.set_archive_settings(g.body.model_dump(mode="json")))


@endpoint(
    bp,
    "/purges",
    "POST",
    summary="清除逾保存期限的封存資料（預設試算）/ purge portfolios past retention (dry run by default)",
    permission=P.SCHOOL_ARCHIVE_PURGE,
    body=PurgeIn,
    other_statuses={202: "a real purge, queued: follow GET /api/v1/archive/purges/{purge_id}"},
)
def purge():
    with rpc() as services:
        report = services.backup.purge(g.body.model_dump(mode="json", exclude_none=True))
    return jsonify(report), (200 if report["dry_run"] else 202)  # a real purge is queued: follow GET /purges/<id>


@endpoint(bp, "/purges", "GET", summary="清除紀錄 / purge reports", permission=P.SCHOOL_ARCHIVE_READ)
def list_purges():
    with rpc() as services:
        return jsonify(services.backup.list_purges())


@endpoint(bp, "/purges/<purge_id>", "GET", summary="清除報告 / one purge report", permission=P.SCHOOL_ARCHIVE_READ)
def get_purge(purge_id: str):
    with rpc() as services:
        return jsonify(services.backup.get_purge(purge_id))


@endpoint(
    bp,
    "/students/<student_id>/portfolio.zip",
    "GET",
    summary="下載學生學習歷程（ZIP：資料 JSON/XLSX 與佐證檔案）/ download a portfolio",
    permission=P.SCHOOL_ARCHIVE_READ,
)
def portfolio_zip(student_id: str):
    with rpc() as services:
        data = services.backup.portfolio(student_id)  # refusals (404, 403) answer before the stream starts
    response = Response(stream_with_context(_zip_stream(data)), mimetype="application/zip")
    response.headers["Content-Disposition"] = f"attachment; filename=portfolio-{_safe(student_id)}.zip"
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)[:40] or "student"


class _Sink(io.RawIOBase):
    """An unseekable stream the ZIP writer writes into; the generator hands its bytes on as they come."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def _workbook(data: dict[str, Any]) -> bytes:
    workbook = Workbook(write_only=True)
    student = data["student"]
    sheet = workbook.create_sheet("學生基本資料")
    for key in ("student_id", "name", "national_id_masked", "class_code", "status", "left_on"):
        sheet.append([key, export_cell(student.get(key))])
    for key, items in data["records"].items():
        columns = [tuple(c) for c in data["columns"].get(key, [])] or [(k, k) for k in sorted({k for i in items for k in i})]
        sheet = workbook.create_sheet(data["labels"].get(key, key)[:31])
        sheet.append([label for _, label in columns])
        for item in items:
            sheet.append([export_cell(item.get(name)) for name, _ in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip_stream(data: dict[str, Any]) -> Iterator[bytes]:
    sink = _Sink()
    files = data.pop("files", [])
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "records.json", json.dumps({k: v for k, v in data.items() if k not in {"labels", "columns"}}, ensure_ascii=False, indent=1)
        )
        archive.writestr("records.xlsx", _workbook(data))
        yield sink.take()
        checked = []
        for n, item in enumerate(files, start=1):
            name = f"evidence/{n:03d}-{item['filename']}"
            digest = hashlib.sha256()
            with requests.get(item["url"], stream=True, timeout=(5, 120)) as source, archive.open(name, "w") as target:
                source.raise_for_status()
                for chunk in source.iter_content(_CHUNK):
                    digest.update(chunk)
                    target.write(chunk)
                    yield sink.take()
            checked.append(
                {"file": name, "evidence_id": item["id"], "sha256": item["sha256"], "intact": digest.hexdigest() == item["sha256"]}
            )
        archive.writestr("evidence/manifest.json", json.dumps(checked, ensure_ascii=False, indent=1))
    yield sink.take()
