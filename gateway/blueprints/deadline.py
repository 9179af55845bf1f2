"""Deadline console: every school's national upload, the work queue and its workers, live.

The district admin sees each school of the district (names from identity, figures from
national_upload); a registrar sees their own school. Only counts: nothing personal leaves here.
"""

from __future__ import annotations

import time

from flask import Blueprint, g, jsonify

from gateway.auth import current_caller
from gateway.endpoints import endpoint
from gateway.process_state import supervised_processes
from gateway.services import rpc, system_rpc
from services.national_upload.schemas import PauseUploads, batch_deadline_list, batch_deadlines_text, school_row
from shared.permissions import Permission
from shared.roles import Role

bp = Blueprint("deadline", __name__, url_prefix="/api/v1/national")
DEADLINES_TTL_SECONDS = 30.0  # the console polls every 5 s; semesters change rarely
_deadlines_cache: dict[str, tuple[float, dict | None]] = {}


def _semesters(codes: list[str]) -> dict[str, dict | None]:
    """Each school's 高三 梯次 deadlines (校內 and 國教署, 民國 dates) for the district admin's rows.
    The gateway asks records as itself: dates of a calendar, nothing personal, for the district's own
    schools; kept half a minute so the 5-second poll does not ask every school each time."""
    now = time.monotonic()
    stale = [c for c in codes if c not in _deadlines_cache or now - _deadlines_cache[c][0] > DEADLINES_TTL_SECONDS]
    if stale:
        with system_rpc() as services:
            for code in stale:
                semester = services.records.current_semester(code) or {}
                _deadlines_cache[code] = (now, {"batch_deadlines": semester.get("batch_deadlines") or {}})
    return {c: _deadlines_cache[c][1] for c in codes}


@endpoint(
    bp,
    "/deadline",
    "GET",
    summary="截止日上傳監控（各校進度、佇列、重試與無法送達）/ deadline console",
    permission=Permission.DISTRICT_UPLOAD_CONSOLE_READ,
)
def deadline_console():
    with rpc() as services:
        overview = services.national_upload.deadline_overview()
        if current_caller().has(Role.DISTRICT_ADMIN):  # every school of the district, uploading or not
            names = {s["code"]: s["name"] for s in services.identity.list_schools()}
            seen = {row["school_id"] for row in overview["schools"]}
            overview["schools"] += [school_row(code, None, 0) for code in sorted(names) if code not in seen]
            semesters = _semesters([row["school_id"] for row in overview["schools"]])
            for row in overview["schools"]:
                row["school_name"] = names.get(row["school_id"], "")
                semester = semesters.get(row["school_id"])
                row["batch_deadlines"] = row.get("batch_deadlines") or batch_deadlines_text(semester)
                row["batch_deadline_list"] = row.get("batch_deadline_list") or batch_deadline_list(semester)
            processes = supervised_processes()
            if processes is not None:  # restarts of services, workers and gateway on the native path
                overview["processes"] = processes
    return jsonify(overview)


@endpoint(
    bp,
    "/pause",
    "PUT",
    summary="暫停／恢復本校上傳 / pause or resume this school's national upload",
    permission=Permission.SCHOOL_NATIONAL_UPLOAD,
    body=PauseUploads,
)
def pause_uploads():
    with rpc() as services:
        return jsonify(services.national_upload.set_paused(g.body.model_dump()))
