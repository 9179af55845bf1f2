"""How an import route answers: 202 with the job's URL, or the finished job when the client waits for it.

An import runs as a job in its service (records, identity). The request answers `202 Accepted` with
the job and `Location: <job URL>` at once. A client that prefers to wait (RFC 7240 `Prefer: wait=N`,
at most WAIT_CAP seconds) gets the finished job instead when it ends in time: 200 done, 422 rejected
(nothing imported), as a synchronous import answered; still running then: the 202. The same file
again answers 200 with the earlier job and `already_imported`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request

WAIT_CAP = 20.0
POLL_SECONDS = 0.25
FINISHED = ("done", "rejected", "failed")
_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d+)")


def preferred_wait() -> float:
    match = _WAIT.search(request.headers.get("Prefer", ""))
    return min(float(match.group(1)), WAIT_CAP) if match else 0.0


def job_response(job: dict[str, Any], poll: Callable[[], dict[str, Any]]) -> tuple[Response, int]:
    if job.get("already_imported"):
        return jsonify(job), 200
    wait = preferred_wait()
    until = time.monotonic() + wait
    while wait and job["status"] not in FINISHED and time.monotonic() < until:
        time.sleep(POLL_SECONDS)
        job = poll()
    if job["status"] in FINISHED:
        response = jsonify(job)
        response.headers["Content-Location"] = job["url"]
        return response, (200 if job["status"] == "done" else 422)
    response = jsonify(job)
    response.headers["Location"] = job["url"]
    if wait:
        response.headers["Preference-Applied"] = f"wait={int(wait)}"
    return response, 202
