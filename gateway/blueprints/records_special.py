"""Records: the semester re-check of basic data, in-school competitions (publish, claim), 自傳/學習計畫."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from gateway.endpoints import endpoint
from gateway.services import rpc
from services.records.schemas import CheckIn, ClaimIn, RecheckIn, SaveResult, StatementIn
from shared.permissions import Permission

bp = Blueprint("records_special", __name__, url_prefix="/api/v1/records")


@endpoint(
    bp,
    "/students/recheck",
    "POST",
    summary="學期檢核確認學生基本資料 / confirm basic data for a semester",
    permission=Permission.SCHOOL_STUDENTS_WRITE,
    body=RecheckIn,
)
def recheck():
    with rpc() as services:
        return jsonify(services.records.recheck_students(g.body.model_dump(mode="json")))


@endpoint(
    bp,
    "/competitions/<record_id>/publish",
    "POST",
    summary="公告校內競賽結果（須附證明文件）/ publish results",
    permission=Permission.SCHOOL_COMPETITIONS_WRITE,
)
def publish(record_id: str):
    with rpc() as services:
        return jsonify(services.records.publish_competition(record_id))


@endpoint(
    bp,
    "/competitions/<record_id>/claim",
    "POST",
    summary="得獎學生匯入多元表現 / claim a result into 多元表現",
    permission=Permission.SCHOOL_COMPETITIONS_CLAIM,
    body=ClaimIn,
    response=SaveResult,
    status=201,
)
def claim(record_id: str):
    with rpc() as services:
        record = services.records.claim_competition(record_id, g.body.model_dump(mode="json", exclude_none=True))
    return jsonify({"record": record, "created": True}), 201


@endpoint(
    bp,
    "/statements",
    "GET",
    summary="自傳/學習計畫（最新版或全部版本）/ statements",
    permission=Permission.SCHOOL_STATEMENTS_READ,
    query={"student_id": "學號", "kind": "autobiography | study_plan", "versions": "all: every version"},
)
def list_statements():
    args = request.args
    with rpc() as services:
        return jsonify(
            services.records.list_statements(args.get("student_id") or None, args.get("kind") or None, args.get("versions") == "all")
        )


@endpoint(
    bp,
    "/statements/<kind>",
    "PUT",
    summary="儲存自傳/學習計畫新版本 / save a new version",
    permission=Permission.SCHOOL_STATEMENTS_WRITE,
    body=StatementIn,
)
def save_statement(kind: str):
    with rpc() as services:
        return jsonify(services.records.save_statement(kind, g.body.model_dump(mode="json")))


@endpoint(
    bp,
    "/statements/<kind>/check",
    "POST",
    summary="檢核自傳/學習計畫並留言 / mark a version checked",
    permission=Permission.SCHOOL_STATEMENTS_CHECK,
    body=CheckIn,
)
def check_statement(kind: str):
    with rpc() as services:
        return jsonify(services.records.check_statement(kind, g.body.model_dump(mode="json")))
