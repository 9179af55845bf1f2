"""問題回報 / 障礙排除: anyone of a school reports a problem with a page to the school's registrar, who
answers it; the reporter reads the answer on the same page. The page and the browser travel with the
report, so the registrar sees where it happened without asking."""

from __future__ import annotations

from typing import Any

from services.records import domain
from services.records.errors import ProblemReportNotFound, TooManyOpenReports
from services.records.problem_report_store import ProblemReportStore
from services.records.schemas import ProblemAnswerIn, ProblemReportIn
from shared.caller import Caller
from shared.changes import Changes
from shared.clock import utcnow
from shared.jsonable import jsonable
from shared.permissions import Permission, require
from shared.roles import ROLE_NAMES_ZH
from shared.validation import parse

# One person's unanswered reports are capped: a stuck page is reported once, not a hundred times.
MAX_OPEN_PER_REPORTER = 10
STATE_NAMES_ZH = {"open": "待處理", "answered": "已回覆"}


def view(doc: dict[str, Any]) -> dict[str, Any]:
    out = jsonable({k: v for k, v in doc.items() if k not in {"_id", "school_id"}})
    out["id"] = doc["_id"]
    out["state_zh"] = STATE_NAMES_ZH[doc["state"]]
    return out


def _school_caller(caller: Caller | None, permission: Permission) -> tuple[Caller, str]:
    caller = require(caller, permission)
    return caller, caller.require_school()


def report(caller: Caller | None, store: ProblemReportStore, changes: Changes, payload: dict) -> dict:
    caller, school = _school_caller(caller, Permission.SELF_PROBLEM_REPORTS_WRITE)
    request = parse(ProblemReportIn, payload)
    if store.open_count_of(school, caller.user_id) >= MAX_OPEN_PER_REPORTER:
        raise TooManyOpenReports(
            f"您已有 {MAX_OPEN_PER_REPORTER} 件待處理的回報，請待註冊組回覆後再回報",
            f"you have {MAX_OPEN_PER_REPORTER} unanswered reports already",
        )
    doc = {
        "_id": domain.new_id(),
        **request.model_dump(),
        "reporter_id": caller.user_id,
        "reporter_name": f"{caller.display_name}（{caller.username}）" if caller.display_name else caller.username,
        "reporter_roles": [ROLE_NAMES_ZH[r] for r in sorted(caller.roles)],
        "state": "open",
        "reported_at": utcnow(),
    }
    store.insert(school, doc)
    changes.record(school, caller, "problem_report.create", doc["_id"], note=request.page)
    return view(doc)


def mine(caller: Caller | None, store: ProblemReportStore) -> list[dict]:
    caller, school = _school_caller(caller, Permission.SELF_PROBLEM_REPORTS_WRITE)
    return [view(d) for d in store.of_reporter(school, caller.user_id, limit=100)]


def listing(caller: Caller | None, store: ProblemReportStore, state: str | None, page: int, per_page: int) -> dict:
    _, school = _school_caller(caller, Permission.SCHOOL_PROBLEM_REPORTS_MANAGE)
    state = state if state in STATE_NAMES_ZH else None
    page, per_page = max(1, int(page)), min(max(1, int(per_page)), 200)
    docs, total = store.page(school, state, (page - 1) * per_page, per_page)
    return {"items": [view(d) for d in docs], "total": total, "page": page, "per_page": per_page}


def answer(caller: Caller | None, store: ProblemReportStore, changes: Changes, report_id: str, payload: dict) -> dict:
    caller, school = _school_caller(caller, Permission.SCHOOL_PROBLEM_REPORTS_MANAGE)
    request = parse(ProblemAnswerIn, payload)
    fields = {"answer": request.answer, "state": "answered", "answered_by": caller.display_name or caller.username, "answered_at": utcnow()}
    doc = store.answer(school, report_id, fields) if isinstance(report_id, str) else None
    if doc is None:
        raise ProblemReportNotFound("找不到此問題回報", "no such problem report")
    changes.record(school, caller, "problem_report.answer", report_id)
    return view(doc)
