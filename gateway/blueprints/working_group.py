"""The working group (工作小組): members, meetings, trainings with attendance, the effectiveness dashboard,
commendation proposals and their export for the school's award procedure."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from gateway.downloads import xlsx_response
from gateway.endpoints import ACADEMIC_YEAR_SCHEMA, QueryParam, endpoint
from gateway.params import int_arg
from gateway.services import rpc
from gateway.uploads import uploaded_table
from services.working_group.schemas import (
    CANDIDATE_KINDS_ZH,
    Attendance,
    Decide,
    Meeting,
    MeetingIn,
    Member,
    MemberIn,
    MemberPatch,
    Proposal,
    Training,
    TrainingIn,
    TrainingKind,
    TrainingPatch,
)
from shared.errors import no_semester_yet
from shared.permissions import Permission
from shared.tabular import JOB_MAX_BYTES, JOB_MAX_ROWS

bp = Blueprint("working_group", __name__, url_prefix="/api/v1/working-group")
READ = Permission.SCHOOL_WORKING_GROUP_READ
WRITE = Permission.SCHOOL_WORKING_GROUP_WRITE
T_READ = Permission.SCHOOL_TRAININGS_READ
T_WRITE = Permission.SCHOOL_TRAININGS_WRITE
TERM = {"year": "學年度 (default: the current semester)", "term": "學期 1 or 2"}


def _current_year(services) -> int:
    semester = services.records.current_semester(g.caller.require_school())
    if not semester:
        raise no_semester_yet()
    return int(semester["year"])


def _term() -> tuple[int | None, int | None]:
    return int_arg("year", None, minimum=100, maximum=200), int_arg("term", None, minimum=1, maximum=2)


# members
@endpoint(bp, "/positions", "GET", summary="工作小組職位 / positions of the regulation", permission=READ)
def positions():
    with rpc() as services:
        return jsonify(services.working_group.positions())


@endpoint(
    bp,
    "/members",
    "GET",
    summary="工作小組成員與任期 / members and terms",
    permission=READ,
    response=list[Member],
    query={"on": "YYYY-MM-DD: serving that day"},
)
def list_members():
    with rpc() as services:
        return jsonify(services.working_group.list_members(request.args.get("on") or None))


@endpoint(bp, "/members", "POST", summary="新增成員 / add a member", permission=WRITE, body=MemberIn, response=Member, status=201)
def add_member():
    with rpc() as services:
        return jsonify(services.working_group.add_member(g.body.model_dump(mode="json"))), 201


@endpoint(
    bp,
    "/members/<member_id>",
    "PATCH",
    summary="修改成員或結束任期 / update or end a term",
    permission=WRITE,
    body=MemberPatch,
    response=Member,
)
def update_member(member_id: str):
    with rpc() as services:
        return jsonify(services.working_group.update_member(member_id, g.body.model_dump(mode="json", exclude_unset=True)))


# meetings
@endpoint(bp, "/meetings", "GET", summary="會議紀錄 / meetings", permission=READ, response=list[Meeting], query={"year": "學年度"})
def list_meetings():
    with rpc() as services:
        return jsonify(services.working_group.list_meetings(int_arg("year", None, minimum=100, maximum=200)))


@endpoint(
    bp, "/meetings", "POST", summary="登錄會議紀錄 / record a meeting", permission=WRITE, body=MeetingIn, response=Meeting, status=201
)
def record_meeting():
    with rpc() as services:
        return jsonify(services.working_group.record_meeting(g.body.model_dump(mode="json"))), 201


@endpoint(bp, "/meetings/<meeting_id>", "GET", summary="一次會議紀錄 / one meeting", permission=READ, response=Meeting)
def get_meeting(meeting_id: str):
    with rpc() as services:
        return jsonify(services.working_group.get_meeting(meeting_id))


@endpoint(bp, "/warnings", "GET", summary="提醒：未開會的學期、未辦理的訓練 / warnings", permission=READ)
def warnings():
    with rpc() as services:
        return jsonify(services.working_group.warnings())


# trainings
@endpoint(
    bp,
    "/trainings",
    "GET",
    summary="訓練、研習、說明場次 / sessions of a year",
    permission=T_READ,
    response=list[Training],
    query={"year": "學年度", "kind": "student_training, teacher_workshop, parent_briefing"},
)
def list_trainings():
    year = int_arg("year", None, minimum=100, maximum=200)
    with rpc() as services:
        if year is None:
            year = _current_year(services)
        return jsonify(services.working_group.list_trainings(year, request.args.get("kind") or None))


@endpoint(bp, "/trainings", "POST", summary="規劃場次 / plan a session", permission=T_WRITE, body=TrainingIn, response=Training, status=201)
def plan_training():
    with rpc() as services:
        return jsonify(services.working_group.plan_training(g.body.model_dump(mode="json"))), 201


@endpoint(bp, "/trainings/<training_id>", "GET", summary="一個場次 / one session", permission=T_READ, response=Training)
def get_training(training_id: str):
    with rpc() as services:
        return jsonify(services.working_group.get_training(training_id))


@endpoint(
    bp,
    "/trainings/<training_id>",
    "PATCH",
    summary="修改場次或登錄辦理日期 / update, or record it was held",
    permission=T_WRITE,
    body=TrainingPatch,
    response=Training,
)
def update_training(training_id: str):
    with rpc() as services:
        return jsonify(services.working_group.update_training(training_id, g.body.model_dump(mode="json", exclude_unset=True)))


@endpoint(
    bp,
    "/trainings/<training_id>/attendance",
    "PUT",
    summary="點名（勾選名單）/ the tick list",
    permission=T_WRITE,
    body=Attendance,
    response=Training,
)
def set_attendance(training_id: str):
    with rpc() as services:
        return jsonify(services.working_group.set_attendance(training_id, g.body.model_dump(mode="json")))


@endpoint(
    bp,
    "/trainings/<training_id>/attendance/import",
    "POST",
    summary="匯入簽到表（XLSX/CSV，至多 200,000 列，於請求內完成）/ import a sign-in sheet (up to 200,000 rows, answered at once)",
    permission=T_WRITE,
    response=Training,
    multipart=True,
)
def import_attendance(training_id: str):
    # A sheet of any length is answered here, not as a job: whatever its rows, the work is one look-up
    # of who may attend and one write of the session (50,000 rows: about a second, mostly reading the file).
    rows = uploaded_table(JOB_MAX_ROWS, JOB_MAX_BYTES)
    with rpc() as services:
        return jsonify(services.working_group.import_attendance(training_id, rows))


@endpoint(bp, "/trainings/<training_id>/trainees", "GET", summary="點名單（應出席者與出席狀態）/ the tick list", permission=T_READ)
def trainees(training_id: str):
    with rpc() as services:
        return jsonify(services.working_group.trainees(training_id))


@endpoint(
    bp,
    "/trainings/gaps",
    "GET",
    summary="本學年尚未參加者 / who has not attended this year",
    permission=T_READ,
    query={
        "year": QueryParam("學年度 (left out: the current one)", ACADEMIC_YEAR_SCHEMA),
        "kind": QueryParam("場次類別 / kind of session", {"type": "string", "enum": [k.value for k in TrainingKind]}, required=True),
    },
)
def training_gaps():
    year = int_arg("year", None, minimum=100, maximum=200)
    with rpc() as services:
        if year is None:
            year = _current_year(services)
        return jsonify(services.working_group.training_gaps(year, request.args.get("kind", "")))


# effectiveness review and commendations
@endpoint(
    bp,
    "/dashboard",
    "GET",
    summary="成效評核儀表板（含 SVG 圖表）/ effectiveness dashboard",
    permission=Permission.SCHOOL_EFFECTIVENESS_READ,
    query=TERM,
)
def dashboard():
    year, term = _term()
    with rpc() as services:
        return jsonify(services.working_group.dashboard(year, term))


@endpoint(bp, "/commendations", "GET", summary="敘獎提案 / commendation proposals", permission=READ)
def list_proposals():
    with rpc() as services:
        return jsonify(services.working_group.list_proposals())


@endpoint(
    bp,
    "/commendations",
    "POST",
    summary="執行秘書提出敘獎名單 / the secretary proposes",
    permission=Permission.SCHOOL_COMMENDATIONS_WRITE,
    body=Proposal,
    status=201,
)
def propose():
    with rpc() as services:
        return jsonify(services.working_group.propose_commendations(g.body.model_dump(mode="json"))), 201


@endpoint(bp, "/commendations/<proposal_id>", "GET", summary="一份敘獎提案 / one proposal", permission=READ)
def get_proposal(proposal_id: str):
    with rpc() as services:
        return jsonify(services.working_group.get_proposal(proposal_id))


@endpoint(
    bp,
    "/commendations/<proposal_id>/decision",
    "POST",
    summary="工作小組議決 / the group's decision",
    permission=Permission.SCHOOL_COMMENDATIONS_WRITE,
    body=Decide,
)
def decide(proposal_id: str):
    with rpc() as services:
        return jsonify(services.working_group.decide_commendations(proposal_id, g.body.model_dump(mode="json")))


EXPORT_COLUMNS = [
    ("kind_name", "類別"),
    ("name", "單位或姓名"),
    ("reason", "具體事蹟"),
    ("approved", "工作小組議決通過"),
    ("award", "建議獎度"),
    ("term", "學年度學期"),
    ("meeting_id", "議決會議"),
]
KIND_NAMES = CANDIDATE_KINDS_ZH


@endpoint(bp, "/commendations/<proposal_id>.xlsx", "GET", summary="敘獎名單匯出（XLSX）/ export for the award procedure", permission=READ)
def export_proposal(proposal_id: str):
    with rpc() as services:
        doc = services.working_group.get_proposal(proposal_id)
    term = f"{doc['year']}-{doc['term']}"
    rows = [
        {**c, "kind_name": KIND_NAMES.get(c["kind"], c["kind"]), "term": term, "meeting_id": doc.get("meeting_id", "")}
        for c in doc["candidates"]
        if doc["status"] != "decided" or c.get("approved")
    ]
    return xlsx_response("敘獎名單", EXPORT_COLUMNS, rows, f"commendations-{term}.xlsx")
