"""Records: the school calendar (semesters, deadlines, entry windows, reopenings), rules, audit, import jobs."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from gateway.endpoints import endpoint
from gateway.services import rpc
from services.records.schemas import AuditEntry, ImportReport, ReopenIn, Reopening, Semester, SemesterIn, SemesterPatch
from shared.permissions import Permission

bp = Blueprint("records_calendar", __name__, url_prefix="/api/v1/records")


@endpoint(
    bp, "/rules", "GET", summary="代碼與類別（多元表現十類、假別…）/ codes and categories", permission=Permission.SCHOOL_RECORD_RULES_READ
)
def rules():
    with rpc() as services:
        return jsonify(services.records.rules())


@endpoint(
    bp,
    "/semesters",
    "POST",
    summary="建立學期（休業式、截止日、登錄時段）/ create a semester",
    permission=Permission.SCHOOL_CALENDAR_WRITE,
    body=SemesterIn,
    response=Semester,
    status=201,
)
def create_semester():
    with rpc() as services:
        return jsonify(services.records.create_semester(g.body.model_dump(mode="json"))), 201


@endpoint(bp, "/semesters", "GET", summary="學期列表 / semesters", permission=Permission.SCHOOL_CALENDAR_READ, response=list[Semester])
def list_semesters():
    with rpc() as services:
        return jsonify(services.records.list_semesters())


@endpoint(
    bp,
    "/semesters/<semester_id>",
    "GET",
    summary="學期（semester_id 如 113-1，或 current）/ one semester",
    permission=Permission.SCHOOL_CALENDAR_READ,
    response=Semester,
)
def get_semester(semester_id: str):
    with rpc() as services:
        return jsonify(services.records.semester(semester_id))


@endpoint(
    bp,
    "/semesters/<semester_id>",
    "PATCH",
    summary="修改學期日期、截止日或登錄時段 / update a semester",
    permission=Permission.SCHOOL_CALENDAR_WRITE,
    body=SemesterPatch,
    response=Semester,
)
def update_semester(semester_id: str):
    with rpc() as services:
        return jsonify(services.records.update_semester(semester_id, g.body.model_dump(mode="json", exclude_unset=True)))


@endpoint(
    bp,
    "/semesters/<semester_id>/reopenings",
    "POST",
    summary="為指定學生重新開放登錄（須填理由）/ reopen a window for one student",
    permission=Permission.SCHOOL_WINDOWS_REOPEN,
    body=ReopenIn,
    response=Reopening,
    status=201,
)
def reopen(semester_id: str):
    with rpc() as services:
        return jsonify(services.records.reopen_window(semester_id, g.body.model_dump(mode="json"))), 201


@endpoint(
    bp,
    "/semesters/<semester_id>/reopenings",
    "GET",
    summary="重新開放紀錄 / reopenings",
    permission=Permission.SCHOOL_WINDOWS_REOPEN,
    response=list[Reopening],
)
def list_reopenings(semester_id: str):
    with rpc() as services:
        return jsonify(services.records.list_reopenings(semester_id))


@endpoint(
    bp,
    "/audit",
    "GET",
    summary="學習歷程資料異動稽核 / records audit trail",
    permission=Permission.SCHOOL_RECORDS_AUDIT_READ,
    response=list[AuditEntry],
    query={"target": "record id", "limit": "at most 500"},
)
def list_audit():
    limit = request.args.get("limit", "100")
    with rpc() as services:
        return jsonify(services.records.list_audit(request.args.get("target") or None, int(limit) if limit.isdigit() else 100))


@endpoint(
    bp,
    "/imports/<import_id>",
    "GET",
    summary="匯入進度 / progress of an import",
    permission=Permission.SCHOOL_RECORD_IMPORTS_READ,
    response=ImportReport,
)
def get_import(import_id: str):
    with rpc() as services:
        return jsonify(services.records.get_import(import_id))
