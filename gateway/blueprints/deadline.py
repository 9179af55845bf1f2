"""Deadline console: every school's national upload, the work queue and its workers, live.

The district admin sees each school of the district (names from identity, figures from
national_upload); a registrar sees their own school. Only counts: nothing personal leaves here.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from gateway.auth import current_caller
from gateway.endpoints import endpoint
from gateway.process_state import supervised_processes
from gateway.services import rpc
from services.national_upload.schemas import PauseUploads, school_row
from shared.permissions import Permission
from shared.roles import Role

bp = Blueprint("deadline", __name__, url_prefix="/api/v1/national")


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
            for row in overview["schools"]:
                row["school_name"] = names.get(row["school_id"], "")
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
