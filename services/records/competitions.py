"""In-school competitions: the organiser (the contest_organizer role) publishes the results; a winner claims theirs into 多元表現."""

from __future__ import annotations

from services.records.access import Context
from services.records.calendar import check_old_window
from services.records.division import TYPES
from services.records.errors import AlreadyClaimed, AlreadyPublished, RecordExists, RecordNotFound
from services.records.schemas import ClaimIn
from services.records.units import insert, parse_one, prepare, raise_first, view
from shared.clock import utcnow
from shared.errors import ValidationFailed, field_error
from shared.permissions import Permission
from shared.validation import parse

COMPETITIONS = TYPES["competitions"]
PERFORMANCES = TYPES["performances"]


def publish(ctx: Context, competition_id: str) -> dict:
    type_ = COMPETITIONS
    caller, school = ctx.school_caller(Permission.SCHOOL_COMPETITIONS_WRITE)
    doc = ctx.store.get(type_.key, school, competition_id, also={type_.owner_field: caller.user_id})
    if doc is None:
        raise RecordNotFound("找不到此競賽", "competition not found")
    if type_.is_frozen(doc):
        return view(type_, doc)
    if not doc.get("proof_evidence_id") or not doc.get("results"):
        raise ValidationFailed(
            "公告前須附簽呈或證明文件，並至少有一筆得獎名單",
            "publishing needs the signed proof document and at least one result",
            [field_error("proof_evidence_id", "請附證明文件", "proof required", "missing")],
        )
    check_old_window(ctx, school, type_, doc)
    after = ctx.store.update(type_.key, school, competition_id, {"status": "published", "published_at": utcnow()}, {"status": "draft"})
    if after is None:
        raise AlreadyPublished("競賽結果已公告", "already published")
    entries = [ctx.entry("competitions.publish", competition_id, doc, after)]
    ctx.changed(school, type_.key, "publish", [competition_id], type_.students_of(after), entries)
    return view(type_, after)


def claim(ctx: Context, competition_id: str, payload: dict) -> dict:
    """A winner claims a published in-school result into their 多元表現 (競賽參與紀錄) without re-typing."""
    caller, school = ctx.school_caller(Permission.SCHOOL_COMPETITIONS_CLAIM)
    request = parse(ClaimIn, payload)
    student = caller.student_id
    doc = ctx.store.get(COMPETITIONS.key, school, competition_id, also={"results.student_id": student or "", "status": "published"})
    if doc is None:
        raise RecordNotFound("找不到此競賽或您不在得獎名單中", "competition not found for you")
    result = next(r for r in doc["results"] if r["student_id"] == student)
    content = {
        "year": doc["year"],
        "term": doc["term"],
        "student_id": student,
        "category": "2",
        "fields": {
            "競賽名稱": doc["name"],
            **({"項目": doc["item"]} if doc.get("item") else {}),
            "競賽等級": doc["level"],
            "獎項": result["award"],
            "結果公布日期": doc["published_on"],
            "團體參與": result["team"],
        },
        "summary": request.summary or doc["summary"],
        "evidence_ids": [doc["proof_evidence_id"]],
        "video_url": request.video_url,
    }
    content = parse_one(caller, PERFORMANCES, content)
    ready, errors = prepare(ctx, school, caller, PERFORMANCES, [(1, content)])
    if errors:
        raise_first(errors)
    content = {**ready[0][1], "source_key": f"competition:{competition_id}"}
    if ctx.store.find_one(PERFORMANCES.key, school, {"student_id": student, "source_key": content["source_key"]}):
        raise AlreadyClaimed("已登錄過此競賽成績", "already claimed")
    try:
        return insert(ctx, school, caller, PERFORMANCES, content)
    except RecordExists:
        raise AlreadyClaimed("已登錄過此競賽成績", "already claimed") from None
