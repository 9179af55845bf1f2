"""問題回報: a user reports a problem with a page to the school's registrar, who answers it."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from gateway.endpoints import endpoint
from gateway.params import int_arg
from gateway.services import rpc
from services.records.schemas import ProblemAnswerIn, ProblemReportIn
from shared.permissions import Permission

bp = Blueprint("problem_reports", __name__, url_prefix="/api/v1/problem-reports")


@endpoint(
    bp,
    "",
    "POST",
    summary="回報問題給註冊組 / report a problem to the registrar",
    permission=Permission.SELF_PROBLEM_REPORTS_WRITE,
    body=ProblemReportIn,
    status=201,
    other_statuses={409: "已有 10 件待處理的回報 / too many unanswered reports"},
)
def report():
    with rpc() as services:
        return jsonify(services.records.report_problem(g.body.model_dump(mode="json"))), 201


@endpoint(bp, "/mine", "GET", summary="我的問題回報與回覆 / my reports and their answers", permission=Permission.SELF_PROBLEM_REPORTS_WRITE)
def mine():
    with rpc() as services:
        return jsonify(services.records.my_problem_reports())


@endpoint(
    bp,
    "",
    "GET",
    summary="全校的問題回報 / the school's problem reports",
    permission=Permission.SCHOOL_PROBLEM_REPORTS_MANAGE,
    query={"state": "open（待處理）| answered（已回覆）", "page": "page", "per_page": "page size (at most 200)"},
)
def listing():
    state = request.args.get("state") or None
    page, per_page = int_arg("page", 1, minimum=1), int_arg("per_page", 50, minimum=1, maximum=200)
    with rpc() as services:
        return jsonify(services.records.list_problem_reports(state, page, per_page))


@endpoint(
    bp,
    "/<report_id>/answer",
    "POST",
    summary="回覆問題回報 / answer a problem report",
    permission=Permission.SCHOOL_PROBLEM_REPORTS_MANAGE,
    body=ProblemAnswerIn,
)
def answer(report_id: str):
    with rpc() as services:
        return jsonify(services.records.answer_problem_report(report_id, g.body.model_dump(mode="json")))
