"""課程學習成果: the student's outcomes, teachers' certification, supervision and the selection (勾選)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from gateway.auth import current_caller
from gateway.endpoints import endpoint
from gateway.params import int_arg
from gateway.services import rpc
from services.certification.schemas import (
    BulkCertify,
    BulkResult,
    CreateOutcome,
    EditOutcome,
    NameProxy,
    Outcome,
    Reminder,
    ReturnOutcome,
    SchoolCap,
)
from shared.permissions import Permission

bp = Blueprint("certification", __name__, url_prefix="/api/v1")

P = Permission


def _term() -> tuple[int | None, int | None]:
    return int_arg("year", None, minimum=100, maximum=200), int_arg("term", None, minimum=1, maximum=2)


@endpoint(
    bp,
    "/outcomes",
    "POST",
    summary="登錄課程學習成果 / create an outcome",
    permission=P.SELF_OUTCOMES_WRITE,
    body=CreateOutcome,
    response=Outcome,
    status=201,
)
def create_outcome():
    with rpc() as services:
        return jsonify(services.certification.create_outcome(g.body.model_dump(mode="json"))), 201


@endpoint(
    bp,
    "/outcomes/mine",
    "GET",
    summary="我的課程學習成果（含剩餘件數）/ my outcomes",
    permission=P.SELF_OUTCOMES_READ,
    query={"year": "學年度", "term": "學期"},
)
def my_outcomes():
    with rpc() as services:
        return jsonify(services.certification.my_outcomes(*_term()))


@endpoint(bp, "/outcomes/<outcome_id>", "GET", summary="學習成果 / one outcome", permission=P.SCHOOL_OUTCOMES_READ, response=Outcome)
def get_outcome(outcome_id: str):
    with rpc() as services:
        return jsonify(services.certification.get_outcome(outcome_id))


@endpoint(
    bp,
    "/outcomes/<outcome_id>",
    "PATCH",
    summary="修改學習成果 / edit an outcome",
    permission=P.SELF_OUTCOMES_WRITE,
    body=EditOutcome,
    response=Outcome,
)
def edit_outcome(outcome_id: str):
    with rpc() as services:
        return jsonify(services.certification.edit_outcome(outcome_id, g.body.model_dump(mode="json", exclude_unset=True)))


@endpoint(
    bp,
    "/outcomes/<outcome_id>/submit",
    "POST",
    summary="送出認證 / submit for certification",
    permission=P.SELF_OUTCOMES_WRITE,
    response=Outcome,
)
def submit_outcome(outcome_id: str):
    with rpc() as services:
        return jsonify(services.certification.submit_outcome(outcome_id))


@endpoint(bp, "/outcomes/<outcome_id>/withdraw", "POST", summary="撤回 / withdraw", permission=P.SELF_OUTCOMES_WRITE, response=Outcome)
def withdraw_outcome(outcome_id: str):
    with rpc() as services:
        return jsonify(services.certification.withdraw_outcome(outcome_id))


@endpoint(bp, "/outcomes/<outcome_id>/certify", "POST", summary="認證 / certify", permission=P.COURSE_OUTCOMES_CERTIFY, response=Outcome)
def certify_outcome(outcome_id: str):
    with rpc() as services:
        return jsonify(services.certification.certify_outcome(outcome_id))


@endpoint(
    bp,
    "/outcomes/<outcome_id>/return",
    "POST",
    summary="退回（須選原因）/ return with a reason",
    permission=P.COURSE_OUTCOMES_CERTIFY,
    body=ReturnOutcome,
    response=Outcome,
)
def return_outcome(outcome_id: str):
    with rpc() as services:
        return jsonify(services.certification.return_outcome(outcome_id, g.body.model_dump(mode="json")))


@endpoint(
    bp,
    "/outcomes/bulk-certify",
    "POST",
    summary="批次認證 / certify many",
    permission=P.COURSE_OUTCOMES_CERTIFY,
    body=BulkCertify,
    response=BulkResult,
)
def bulk_certify():
    with rpc() as services:
        return jsonify(services.certification.bulk_certify(g.body.model_dump(mode="json")))


@endpoint(
    bp, "/outcomes/<outcome_id>/selection", "POST", summary="勾選上傳 / select for the national database", permission=P.SELF_SELECTION_WRITE
)
def select_outcome(outcome_id: str):
    with rpc() as services:
        return jsonify(services.certification.select_outcome(outcome_id))


@endpoint(bp, "/outcomes/<outcome_id>/selection", "DELETE", summary="取消勾選 / unselect", permission=P.SELF_SELECTION_WRITE)
def unselect_outcome(outcome_id: str):
    with rpc() as services:
        return jsonify(services.certification.unselect_outcome(outcome_id))


@endpoint(bp, "/teacher/queue", "GET", summary="待認證清單 / my certification queue", permission=P.COURSE_QUEUE_READ)
def teacher_queue():
    with rpc() as services:
        return jsonify(services.certification.teacher_queue())


@endpoint(bp, "/proxies", "POST", summary="指定代理人 / name a proxy", permission=P.SCHOOL_PROXIES_WRITE, body=NameProxy, status=201)
def name_proxy():
    with rpc() as services:
        return jsonify(services.certification.name_proxy(g.body.model_dump(mode="json"))), 201


@endpoint(
    bp,
    "/classes/<class_code>/progress",
    "GET",
    summary="班級進度 / my class's progress",
    permission=P.CLASS_PROGRESS_READ,
    query={"year": "學年度", "term": "學期"},
)
def class_progress(class_code: str):
    with rpc() as services:
        return jsonify(services.certification.class_progress(class_code, *_term()))


@endpoint(
    bp, "/classes/<class_code>/reminders", "POST", summary="提醒學生 / remind students", permission=P.CLASS_REMINDERS_WRITE, body=Reminder
)
def remind_class(class_code: str):
    with rpc() as services:
        return jsonify(services.certification.remind_class(class_code, g.body.model_dump(mode="json")))


@endpoint(bp, "/notifications", "GET", summary="通知 / my notifications", permission=P.SELF_NOTIFICATIONS_READ)
def my_notifications():
    with rpc() as services:
        items = services.certification.my_notifications()
        # Notifications name people by display name, never by username.
        senders = sorted({n["from_id"] for n in items if n.get("from_id") and n["from_id"] != "system"})
        names = {}
        if senders and current_caller().school_id:
            names = {a["id"]: a["name"] for a in services.identity.lookup_staff("", None, senders)}
    for item in items:
        item["from"] = names.get(item.get("from_id"), item["from"])
    return jsonify(items)


@endpoint(
    bp,
    "/completion",
    "GET",
    summary="各班、各教師完成情形 / completion per class and teacher",
    permission=P.SCHOOL_COMPLETION_READ,
    query={"year": "學年度", "term": "學期"},
)
def completion():
    year, term = _term()
    with rpc() as services:
        if year is None or term is None:
            return jsonify(services.certification.completion_current())
        return jsonify(services.certification.completion(year, term))


@endpoint(
    bp, "/terms/<int:year>/<int:term>/selection-lock", "POST", summary="鎖定勾選 / lock the selection", permission=P.SCHOOL_SELECTION_LOCK
)
def lock_selection(year: int, term: int):
    with rpc() as services:
        return jsonify(services.certification.lock_selection(year, term))


@endpoint(
    bp,
    "/certification/settings",
    "PUT",
    summary="本校課程學習成果上限 / the school's outcome cap",
    permission=P.SCHOOL_CERTIFICATION_SETTINGS,
    body=SchoolCap,
)
def set_school_cap():
    with rpc() as services:
        return jsonify(services.certification.set_school_cap(g.body.model_dump(mode="json")))


@endpoint(
    bp,
    "/performances/selection",
    "GET",
    summary="我勾選的多元表現與上限 / my ticked performances and the cap",
    permission=P.SELF_OUTCOMES_READ,
    query={"year": "學年度"},
)
def my_performance_selection():
    with rpc() as services:
        return jsonify(services.certification.my_performance_selection(_term()[0]))


@endpoint(
    bp,
    "/performances/<performance_id>/selection",
    "POST",
    summary="勾選多元表現上傳（每學年至多 10 件）/ select a performance",
    permission=P.SELF_SELECTION_WRITE,
)
def select_performance(performance_id: str):
    with rpc() as services:
        return jsonify(services.certification.select_performance(performance_id))


@endpoint(
    bp,
    "/performances/<performance_id>/selection",
    "DELETE",
    summary="取消勾選多元表現 / unselect a performance",
    permission=P.SELF_SELECTION_WRITE,
)
def unselect_performance(performance_id: str):
    with rpc() as services:
        return jsonify(services.certification.unselect_performance(performance_id))
