"""Starting the national upload of one school, the registrar's way, and reading back what happened.

`start_upload` is the one switch: the registrar's `POST /api/v1/national/uploads {"year", "term"}`
when the gateway has it; until then (the roster builder is being written), a stand-in that records
an upload with one roster item per selected outcome and publishes the items exactly as the service
will (store first, then a confirmed publish). Everything after the start (workers, simulator,
progress through `GET /api/v1/national/uploads/<id>`) is the real path either way.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests

from services.national_upload.domain import RetryPolicy, idempotency_key
from services.national_upload.publisher import Publisher
from services.national_upload.store import UploadStore
from shared.clock import utcnow
from shared.config import Settings
from shared.mongo import make_client
from shared.national.roster_io import write_roster
from shared.national.rules import rules_for
from tests.national.samples import valid_sheets
from tests.support.api import Client

# how a load run times each request: timed(step, send) -> send()'s response
Timed = Callable[[str, Callable[[], requests.Response]], requests.Response]


def _untimed(step: str, send: Callable[[], requests.Response]) -> requests.Response:
    return send()


@dataclass
class StartedUpload:
    school: str
    upload_id: str
    mode: str  # "api" or "stand-in"
    keys: dict[str, str] = field(default_factory=dict)  # item id -> idempotency key (known in stand-in mode)


def check_rosters(registrar: Client, year: int, term: int, timed: Timed = _untimed) -> str:
    """名冊檢查 as the console runs it: a job (202), its progress polled until the draft is ready; the
    draft's id, which the start then sends. Each request goes through `timed(step, send)`."""
    body = {"year": year, "term": term}
    started = timed("national_check", lambda: registrar.post("/api/v1/national/rosters", json=body, headers={"Prefer": ""}))
    if started.status_code != 202:
        raise RuntimeError(f"the roster check did not start: {started.status_code} {started.text[:300]}")
    progress, deadline = started.json(), time.monotonic() + 300
    while progress.get("state") == "checking" and time.monotonic() < deadline:
        time.sleep(0.5)  # as the console polls
        progress = timed("national_progress", lambda: registrar.get(started.headers["Location"])).json()
    if progress.get("state") != "draft":
        raise RuntimeError(f"the roster check ended {progress.get('state')}: {str(progress.get('error'))[:300]}")
    return progress["upload_id"]


def start_upload(
    registrar: Client,
    school: str,
    year: int,
    term: int,
    selected: list[str],
    settings: Settings | None,
    draft_id: str | None = None,
    timed: Timed = _untimed,
) -> StartedUpload:
    """The registrar starts the school's national upload (from the roster check's draft, as the console
    does, when `draft_id` is given); `selected` are the student ids selected so far. A 503 is tried
    again for a while with the same Idempotency-Key, as the console's button does: the upload starts
    once however often it is asked."""
    key = uuid.uuid4().hex
    deadline = time.monotonic() + 120
    body: dict[str, object] = {"year": year, "term": term, **({"draft_id": draft_id} if draft_id else {})}
    while True:
        response = timed("national_start", lambda: registrar.post("/api/v1/national/uploads", json=body, headers={"Idempotency-Key": key}))
        if response.status_code not in (409, 503) or time.monotonic() > deadline:
            break
        if response.status_code == 409 and response.json().get("code") != "idempotency_in_progress":
            break
        time.sleep(2)
    if response.status_code == 201:
        return StartedUpload(school, response.json()["upload_id"], "api")
    if response.status_code not in (404, 405) or settings is None:
        raise RuntimeError(f"starting the national upload of {school} failed: {response.status_code} {response.text[:300]}")
    return _stand_in(settings, school, year, term, selected)


def _stand_in(settings: Settings, school: str, year: int, term: int, students: list[str]) -> StartedUpload:
    rules = rules_for(113)  # the simulator's sample rosters are built from these rules (tests/national/samples.py)
    client = make_client(settings)
    try:
        store = UploadStore(client[settings.database_name("national_upload")])
        store.ensure_indexes()
        upload_id = uuid.uuid4().hex
        store.insert_upload(school, {"_id": upload_id, "year": year, "term": term, "created_at": utcnow(), "stand_in": True})
        items, started = [], datetime(2025, 1, 20, 8, 0, tzinfo=UTC)
        for n, student in enumerate(students):
            data = write_roster(rules, school, 1, 1, valid_sheets(rules, 1, students=1))
            sha = hashlib.sha256(data).hexdigest()
            file_id, item_id = uuid.uuid4().hex, uuid.uuid4().hex
            filename = rules.roster_filename(school, 1, 1, started + timedelta(seconds=n))
            store.put_file(school, {"_id": file_id, "filename": filename, "sha256": sha, "data": data})
            items.append(
                {
                    "_id": item_id,
                    "upload_id": upload_id,
                    "roster": "1",
                    "kind": "roster",
                    "ref": file_id,
                    "student_id": student,
                    "state": "queued",
                    "attempts": 0,
                    "history": [],
                    "uploader": "註冊組長",
                    "idempotency_key": idempotency_key(school, year, term, "1", student, item_id, sha),
                }
            )
        if items:
            store.insert_items(school, items)
            policy = RetryPolicy.from_settings(settings.upload_retry_delays, settings.upload_max_attempts)
            with Publisher(settings.amqp_uri, policy) as publisher:
                for item in items:
                    publisher.enqueue({**item, "school_id": school})
        return StartedUpload(school, upload_id, "stand-in", {i["_id"]: i["idempotency_key"] for i in items})
    finally:
        client.close()


def upload_items(registrar: Client, started: StartedUpload) -> list[dict]:
    """Every item of the upload, by state (the registrar's console reads the same)."""
    items: list[dict] = []
    for state in ("queued", "sending", "retrying", "accepted", "rejected", "dead"):
        response = registrar.get(f"/api/v1/national/uploads/{started.upload_id}/items", params={"state": state})
        response.raise_for_status()
        items += [{**i, "key": started.keys.get(i["id"])} for i in response.json()]
    return items


def acceptances(sim_state: dict) -> dict[str, int]:
    """Idempotency key -> how many rosters or evidence files the national side holds under it."""
    held: dict[str, int] = {}
    for row in [*sim_state.get("rosters", []), *sim_state.get("evidence", [])]:
        held[row["idempotency_key"]] = held.get(row["idempotency_key"], 0) + 1
    return held


def roster_repeats(sim_state: dict) -> dict[str, int]:
    """Roster files (SHA-256) the national side accepted under more than one key, with how often."""
    held: dict[str, int] = {}
    for row in sim_state.get("rosters", []):
        held[row["sha256"]] = held.get(row["sha256"], 0) + 1
    return {sha: n for sha, n in held.items() if n > 1}
