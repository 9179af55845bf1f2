"""Printed documents (PDF): the student's 勾選確認單, a class's 確認單 (a job) and 班級進度.

Every route asks the documents service, which gathers its data through the other services as the
caller: a document lists only what the caller's pages would show (another class, student or school: 404)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, redirect, request

from gateway.downloads import pdf_response
from gateway.endpoints import endpoint
from gateway.params import int_arg
from gateway.services import rpc
from services.documents.schemas import BuildPortfolio
from shared.permissions import Permission

bp = Blueprint("documents", __name__, url_prefix="/api/v1/documents")
P = Permission
TERM = {"year": "學年度 (default: the current semester)", "term": "學期 1 or 2"}


def _term() -> tuple[int | None, int | None]:
    return int_arg("year", None, minimum=100, maximum=200), int_arg("term", None, minimum=1, maximum=2)


@endpoint(
    bp, "/confirmation.pdf", "GET", summary="我的勾選確認單 / my selection confirmation (PDF)", permission=P.SELF_OUTCOMES_READ, query=TERM
)
def my_confirmation():
    with rpc() as services:
        return pdf_response(services.documents.my_confirmation(*_term()))


@endpoint(
    bp,
    "/confirmation/status",
    "GET",
    summary="確認單是否為最新 / is my printed confirmation still current",
    permission=P.SELF_OUTCOMES_READ,
    query=TERM,
)
def my_confirmation_status():
    with rpc() as services:
        return jsonify(services.documents.my_confirmation_status(*_term()))


@endpoint(
    bp,
    "/classes/<class_code>/confirmations",
    "POST",
    summary="產生全班勾選確認單（背景作業）/ start a class's confirmations (job)",
    permission=P.SCHOOL_OUTCOMES_READ,
    query=TERM,
    status=202,
)
def start_class_confirmations(class_code: str):
    with rpc() as services:
        return jsonify(services.documents.start_class_confirmations(class_code, *_term())), 202


@endpoint(
    bp,
    "/classes/<class_code>/progress.pdf",
    "GET",
    summary="班級進度（PDF）/ a class's progress (PDF)",
    permission=P.SCHOOL_OUTCOMES_READ,
    query=TERM,
)
def class_progress(class_code: str):
    with rpc() as services:
        return pdf_response(services.documents.class_progress(class_code, *_term()))


@endpoint(bp, "/jobs/<job_id>", "GET", summary="文件產生進度 / a document job's progress", permission=P.SELF_ACCOUNT_READ)
def job(job_id: str):
    with rpc() as services:
        return jsonify(services.documents.job(job_id))


@endpoint(
    bp, "/jobs/<job_id>/file", "GET", summary="下載產生的文件 / download the job's PDF (303 to the file)", permission=P.SELF_ACCOUNT_READ
)
def job_file(job_id: str):
    with rpc() as services:
        return redirect(services.documents.job_download(job_id)["url"], code=303)


@endpoint(bp, "/receipts.pdf", "GET", summary="我的收訖明細（PDF）/ my national receipts (PDF)", permission=P.SELF_RECEIPT_CONFIRM)
def my_receipts():
    with rpc() as services:
        return pdf_response(services.documents.my_receipts())


@endpoint(
    bp,
    "/students/<student_id>/receipts.pdf",
    "GET",
    summary="學生收訖明細（PDF，註冊組）/ a student's national receipts (PDF, registrar)",
    permission=P.SCHOOL_NATIONAL_UPLOAD,
)
def student_receipts(student_id: str):
    with rpc() as services:
        return pdf_response(services.documents.student_receipts(student_id))


@endpoint(
    bp,
    "/working-group/meetings/<meeting_id>.pdf",
    "GET",
    summary="工作小組會議紀錄（PDF）/ meeting minutes (PDF)",
    permission=P.SCHOOL_WORKING_GROUP_READ,
)
def meeting_minutes(meeting_id: str):
    with rpc() as services:
        return pdf_response(services.documents.meeting_minutes(meeting_id))


@endpoint(
    bp,
    "/working-group/trainings/<training_id>/sign-in.pdf",
    "GET",
    summary="簽到表（PDF，辦理前列印）/ a session's sign-in sheet (PDF)",
    permission=P.SCHOOL_TRAININGS_READ,
)
def training_signin(training_id: str):
    with rpc() as services:
        return pdf_response(services.documents.training_signin(training_id))


@endpoint(
    bp,
    "/working-group/commendations/<proposal_id>.pdf",
    "GET",
    summary="敘獎名單（PDF）/ the commendation list (PDF)",
    permission=P.SCHOOL_WORKING_GROUP_READ,
)
def commendations(proposal_id: str):
    with rpc() as services:
        return pdf_response(services.documents.commendations(proposal_id))


@endpoint(bp, "/portfolio/rules", "GET", summary="自行上傳PDF 的限制（規則資料）/ the portfolio's limits", permission=P.SELF_OUTCOMES_READ)
def portfolio_rules():
    with rpc() as services:
        return jsonify(services.documents.portfolio_rules())


@endpoint(bp, "/portfolio/texts", "GET", summary="學習歷程自述與多元表現綜整心得 / my portfolio texts", permission=P.SELF_OUTCOMES_READ)
def my_portfolio_texts():
    with rpc() as services:
        return jsonify(services.documents.my_portfolio_texts())


@endpoint(bp, "/portfolio/texts", "PUT", summary="儲存自述與綜整心得 / save my portfolio texts", permission=P.SELF_OUTCOMES_WRITE)
def save_portfolio_texts():
    with rpc() as services:
        return jsonify(services.documents.save_portfolio_texts(request.get_json(silent=True) or {}))


@endpoint(
    bp,
    "/portfolio",
    "POST",
    summary="產生學習歷程檔案 PDF（自行上傳PDF）/ build my portfolio PDF",
    permission=P.SELF_OUTCOMES_WRITE,
    body=BuildPortfolio,
    status=201,
)
def build_portfolio():
    with rpc() as services:
        return jsonify(services.documents.build_portfolio(g.body.model_dump())), 201


@endpoint(
    bp,
    "/school/confirmations",
    "POST",
    summary="產生全校勾選確認單（背景作業，註冊組）/ start the whole school's confirmations (job)",
    permission=P.SCHOOL_SELECTION_LOCK,
    query=TERM,
    status=202,
)
def start_school_confirmations():
    with rpc() as services:
        return jsonify(services.documents.start_school_confirmations(*_term())), 202
